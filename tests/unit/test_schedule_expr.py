"""Retraining schedules as data: the EventBridge Scheduler expressions, the params rules, the retrain-only params."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from workflow.errors import InvalidParamsError
from workflow.params import load_params
from workflow.retrain import RetrainEvent, narrowed
from workflow.schedule_expr import ScheduleExpressionError, fire_times, parse

THURSDAY_NOON = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # 2026-01-01 is a Thursday


def fires(expression: str, days: int, timezone: str = "UTC", start: datetime = THURSDAY_NOON) -> list[str]:
    until = THURSDAY_NOON + timedelta(days=days)
    return [t.astimezone(UTC).strftime("%a %d %H:%M") for t in fire_times(expression, timezone, start, start, until)]


def test_schedule_expr_rate_fires_every_period_after_its_start() -> None:
    assert fires("rate(1 day)", 3) == ["Fri 02 12:00", "Sat 03 12:00", "Sun 04 12:00"]
    assert fires("rate(12 hours)", 1) == ["Fri 02 00:00", "Fri 02 12:00"]


def test_schedule_expr_rate_keeps_its_grid_when_the_clock_starts_between_fires() -> None:
    start = THURSDAY_NOON - timedelta(hours=30)  # fires at 06:00 each day
    after, until = THURSDAY_NOON, THURSDAY_NOON + timedelta(days=1)
    assert list(fire_times("rate(1 day)", "UTC", start, after, until)) == [datetime(2026, 1, 2, 6, 0, tzinfo=UTC)]


def test_schedule_expr_cron_weekdays_and_steps() -> None:
    assert fires("cron(0 3 ? * MON-FRI *)", 7) == [
        "Fri 02 03:00",
        "Mon 05 03:00",
        "Tue 06 03:00",
        "Wed 07 03:00",
        "Thu 08 03:00",
    ]
    assert fires("cron(0 3 ? * 1 *)", 7) == ["Sun 04 03:00"]  # day-of-week 1 is Sunday
    assert fires("cron(0 0/12 1,2 JAN ? 2026)", 2) == ["Fri 02 00:00", "Fri 02 12:00"]


def test_schedule_expr_cron_is_evaluated_in_its_time_zone() -> None:
    # 03:00 in Paris is 02:00 UTC in winter
    assert fires("cron(0 3 * * ? *)", 2, "Europe/Paris") == ["Fri 02 02:00", "Sat 03 02:00"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("rate(1 days)", '"rate(1 days)": write "rate(1 day)" (singular unit for 1 only)'),
        ("rate(2 day)", '"rate(2 day)": write "rate(2 days)" (singular unit for 1 only)'),
        ("rate(0 minutes)", '"rate(0 minutes)": the rate must be a positive integer'),
        ("rate(1 week)", '"rate(1 week)": not recognised; give "rate(<n> minutes|hours|days)"'),
        ("at(2026-01-01T00:00:00)", '"at(2026-01-01T00:00:00)": one-time at() schedules retrain once only'),
        ("cron(0 3 * * *)", '"cron(0 3 * * *)": a cron has 6 fields, found 5'),
        ("cron(0 3 * * MON *)", 'exactly one of day-of-month and day-of-week must be "?"'),
        ("cron(0 24 * * ? *)", 'hours "24": expected 0-23'),
        ("cron(0 3 L * ? *)", 'day-of-month "L": the L, W and # wildcards are not supported'),
        ("cron(? 3 * * ? *)", '"?" is only valid in day-of-month or day-of-week'),
        ("cron(5-1 3 * * ? *)", 'minutes "5-1" is not a valid range or step'),
    ],
)
def test_schedule_expr_refuses_what_it_cannot_fire(expression: str, message: str) -> None:
    with pytest.raises(ScheduleExpressionError) as error:
        parse(expression)
    assert message in str(error.value)


def params(solution: dict[str, Any]) -> str:
    interactions = {
        "type": "record",
        "name": "Interactions",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
        ],
    }
    return json.dumps(
        {
            "datasetGroup": {"name": "shop"},
            "datasets": [{"datasetType": "Interactions", "schema": interactions, "dataLocation": "s3://b/i/"}],
            "solutions": [solution],
        }
    )


def test_params_retrain_schedule_accepts_full_and_update_on_an_update_recipe() -> None:
    schedule = {"full": "cron(0 3 ? * SUN *)", "update": "rate(1 day)", "timezone": "Europe/Paris"}
    loaded = load_params(
        params({"name": "p", "recipe": "aws-user-personalization", "retrainSchedule": schedule}), "f.json", str
    )
    assert loaded.solutions[0].retrain_schedule is not None
    assert loaded.solutions[0].retrain_schedule.update == "rate(1 day)"


def test_params_retrain_schedule_reports_every_problem() -> None:
    schedule = {"update": "rate(1 days)", "timezone": "Mars/Olympus"}
    with pytest.raises(InvalidParamsError) as error:
        load_params(params({"name": "p", "recipe": "aws-popularity-count", "retrainSchedule": schedule}), "f.json", str)
    assert error.value.problems == [
        'solutions[0].retrainSchedule.update: "rate(1 days)": write "rate(1 day)" (singular unit for 1 only)',
        'solutions[0].retrainSchedule.timezone: time zone "Mars/Olympus" is not an IANA time zone name; give e.g. '
        '"UTC" or "Europe/Paris"',
        "solutions[0].retrainSchedule.update: UPDATE training works only with aws-hrnn-coldstart, "
        'aws-user-personalization; solution "p" uses recipe "aws-popularity-count"; schedule "full" instead',
    ]


def test_params_retrain_schedule_needs_an_expression() -> None:
    with pytest.raises(InvalidParamsError) as error:
        load_params(params({"name": "p", "recipe": "aws-popularity-count", "retrainSchedule": {}}), "f.json", str)
    assert error.value.problems == [
        'solutions[0].retrainSchedule: give "full", "update" or both (a schedule expression each), or remove '
        "retrainSchedule"
    ]


def test_retrain_narrowed_keeps_one_solution_its_campaigns_and_no_batch_jobs() -> None:
    document = {
        "datasetGroup": {"name": "shop"},
        "solutions": [{"name": "a", "recipe": "r"}, {"name": "b", "recipe": "r", "trainingMode": "FULL"}],
        "campaigns": [{"name": "ca", "solution": "a"}, {"name": "cb", "solution": "b"}],
        "batchInferenceJobs": [{"name": "j", "solution": "b"}],
        "batchSegmentJobs": [{"name": "s", "solution": "b"}],
    }
    event = RetrainEvent(
        datasetGroup="shop", solution="b", trainingMode="UPDATE", snapshot="s3://x/p", snapshotEtag="e"
    )
    result = narrowed(document, event, "run-7")
    assert result["solutions"] == [{"name": "b", "recipe": "r", "trainingMode": "UPDATE"}]
    assert result["campaigns"] == [{"name": "cb", "solution": "b"}]
    assert (result["batchInferenceJobs"], result["batchSegmentJobs"]) == ([], [])
    assert result["retrain"] == {"solution": "b", "trainingMode": "UPDATE", "runId": "run-7"}


def test_retrain_narrowed_names_a_solution_the_params_no_longer_have() -> None:
    event = RetrainEvent(
        datasetGroup="shop", solution="gone", trainingMode="FULL", snapshot="s3://x/p", snapshotEtag="e"
    )
    with pytest.raises(InvalidParamsError) as error:
        narrowed({"solutions": []}, event, "run-7")
    assert error.value.problems == [
        "the retraining schedule names solution 'gone', which the params lack; drop the params file again: the full "
        "run updates the schedule to its own params"
    ]
