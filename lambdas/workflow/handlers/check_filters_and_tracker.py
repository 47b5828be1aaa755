"""Check Filters And Tracker: are the filters and the event tracker ACTIVE yet."""

from __future__ import annotations

# The step is idempotent: checking is running it again, so both states share one handler (and one test suite).
from workflow.handlers.ensure_filters_and_tracker import handler

__all__ = ["handler"]
