"""Check Solution: is the solution ACTIVE yet (ensuring again is idempotent)."""

from __future__ import annotations

# The step is idempotent: checking is running it again, so both states share one handler (and one test suite).
from workflow.handlers.ensure_solution import handler

__all__ = ["handler"]
