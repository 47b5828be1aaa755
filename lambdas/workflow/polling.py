"""How long to wait before the next status check: an interval that doubles up to a cap, within a maximum per step."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from workflow.errors import WaitTimeoutError

GROWTH = 2


class PollingLimits(BaseModel):
    """The params' `polling` block, in the units the arithmetic needs."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)

    initial_interval_seconds: int = 60
    max_interval_seconds: int = 600
    max_wait_seconds: int = 86400


class Poll(BaseModel):
    """Where a wait loop stands: checks done, seconds waited (unscaled), and the next Wait state's seconds (scaled)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    attempt: int = 0
    waited: int = 0
    wait_seconds: int = 0


def interval(limits: PollingLimits, attempt: int) -> int:
    """The wait before check number `attempt + 1`: initial * 2**attempt, capped."""
    cap = max(limits.max_interval_seconds, limits.initial_interval_seconds)
    return int(min(limits.initial_interval_seconds * GROWTH ** min(attempt, 32), cap))


def next_poll(previous: Poll | None, limits: PollingLimits, scale: float, what: str) -> Poll:
    """The poll state after one more "not ready yet"; raises WaitTimeoutError once the step's maximum wait is spent."""
    done = previous or Poll()
    seconds = interval(limits, done.attempt)
    if done.waited + seconds > limits.max_wait_seconds:
        raise WaitTimeoutError(
            f"{what} is still not ready after {done.waited} s and {done.attempt} checks "
            f"(params polling.maxWaitSeconds = {limits.max_wait_seconds}); check it in the Personalize console, "
            "then raise polling.maxWaitSeconds or drop the params file again to resume"
        )
    return Poll(attempt=done.attempt + 1, waited=done.waited + seconds, wait_seconds=round(seconds * scale))


def checks_needed(limits: PollingLimits, duration_seconds: int) -> int:
    """How many checks a step that takes `duration_seconds` costs (for the docs and the budget test)."""
    waited, attempt = 0, 0
    while waited < duration_seconds:
        waited += interval(limits, attempt)
        attempt += 1
    return attempt


def limits_from(params: dict[str, Any] | None) -> PollingLimits:
    """The params' polling block; the stack's defaults (env POLL_*) fill what it leaves out."""
    defaults = {
        "initialIntervalSeconds": int(os.environ.get("POLL_INTERVAL_SECONDS", "60")),
        "maxIntervalSeconds": int(os.environ.get("POLL_MAX_INTERVAL_SECONDS", "600")),
    }
    return PollingLimits.model_validate({**defaults, **((params or {}).get("polling") or {})})


def advance(result: dict[str, Any], previous: Poll | None, params: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """Attach the next poll state to a step's result: reset once `ready`, else one more (growing) wait."""
    scale = float(os.environ.get("WAIT_SCALE", "1"))
    poll = Poll() if result.get("ready") else next_poll(previous, limits_from(params), scale, what)
    return {**result, "poll": poll.model_dump(by_alias=True)}
