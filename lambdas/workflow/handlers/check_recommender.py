"""Check Recommender: is the recommender (and its latest update) ACTIVE yet."""

from __future__ import annotations

# The step is idempotent: checking is running it again, so both states share one handler (and one test suite).
from workflow.handlers.ensure_recommender import handler

__all__ = ["handler"]
