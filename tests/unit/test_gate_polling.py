"""Wait loops: the interval doubles up to its cap, a 5-hour training costs at most ~40 checks, the limit is enforced."""

from __future__ import annotations

import pytest
from workflow.errors import WaitTimeoutError
from workflow.polling import Poll, PollingLimits, checks_needed, interval, next_poll

LIMITS = PollingLimits(initial_interval_seconds=60, max_interval_seconds=600, max_wait_seconds=86400)


def test_polling_interval_doubles_then_caps() -> None:
    assert [interval(LIMITS, n) for n in range(6)] == [60, 120, 240, 480, 600, 600]


def test_polling_five_hour_training_costs_at_most_40_checks() -> None:
    assert checks_needed(LIMITS, 5 * 3600) <= 40


def test_polling_wait_is_scaled_but_the_budget_counts_real_seconds() -> None:
    poll = next_poll(next_poll(None, LIMITS, 0.0, "x"), LIMITS, 0.0, "x")
    assert poll == Poll(attempt=2, waited=180, wait_seconds=0)
    assert next_poll(None, LIMITS, 1.0, "x").wait_seconds == 60


def test_polling_timeout_names_the_step_and_the_params_key() -> None:
    limits = PollingLimits(initial_interval_seconds=60, max_interval_seconds=600, max_wait_seconds=150)
    first = next_poll(None, limits, 0, "training of personal")
    with pytest.raises(WaitTimeoutError) as error:
        next_poll(first, limits, 0, "training of personal")
    assert str(error.value).startswith("training of personal is still not ready after 60 s and 1 checks")
    assert "polling.maxWaitSeconds = 150" in str(error.value)
