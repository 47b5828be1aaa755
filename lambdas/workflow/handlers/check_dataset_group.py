"""Check Dataset Group: is the dataset group ACTIVE yet (the ensure is idempotent, so it checks too)."""

from __future__ import annotations

# The step is idempotent: checking is running it again, so both states share one handler (and one test suite).
from workflow.handlers.ensure_dataset_group import handler

__all__ = ["handler"]
