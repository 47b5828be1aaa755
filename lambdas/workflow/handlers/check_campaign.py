"""Check Campaign: is the campaign (and its latestCampaignUpdate) ACTIVE yet."""

from __future__ import annotations

# The step is idempotent: checking is running it again, so both states share one handler (and one test suite).
from workflow.handlers.deploy_campaign import handler

__all__ = ["handler"]
