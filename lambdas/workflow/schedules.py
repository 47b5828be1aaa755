"""Retraining schedules: EventBridge Scheduler schedules that start the training machine in retrain-only mode.

A full run that succeeds makes the stack's schedule group hold exactly the schedules its params declare (one per
solution and training mode), each pointing at that run's params snapshot; a retrain-only run leaves them alone, and
teardown deletes them. Each schedule's target is the training state machine (EventBridge Scheduler's templated
target for Step Functions StartExecution, "Using templated targets in EventBridge Scheduler"), its Input the
`retrain` event Load Params reads (workflow.retrain), started as the stack's scheduler role.
"""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from workflow import aws, naming, schedule_expr
from workflow.steps import Run

MODES = ("FULL", "UPDATE")


def schedule_name(group: str, solution: str, mode: str) -> str:
    """The schedule's name in the stack's group (1-64 of [0-9a-zA-Z-_.], CreateSchedule's Name)."""
    return naming.retrain_schedule(group, solution, mode.lower())


def wanted(run: Run, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The schedules these params declare: name -> CreateSchedule's arguments (without Name and GroupName)."""
    group = params["datasetGroup"]["name"]
    found: dict[str, dict[str, Any]] = {}
    for solution in params.get("solutions") or []:
        schedule = solution.get("retrainSchedule") or {}
        for mode in MODES:
            expression = schedule.get(mode.lower())
            if not expression:
                continue
            event = {
                "retrain": {
                    "datasetGroup": group,
                    "solution": solution["name"],
                    "trainingMode": mode,
                    "snapshot": run.snapshot,
                    "snapshotEtag": run.snapshot_etag,
                }
            }
            found[schedule_name(group, solution["name"], mode)] = arguments(
                expression,
                schedule.get("timezone", "UTC"),
                aws.env("TRAINING_MACHINE_ARN"),
                event,
                f"retraining of {group}/{solution['name']} {mode}",
            )
    return found


def arguments(expression: str, timezone: str, target: str, event: dict[str, Any], what: str) -> dict[str, Any]:
    """CreateSchedule's arguments (without Name and GroupName): `target` (the training machine or a function) gets
    `event` as the stack's scheduler role."""
    parsed = schedule_expr.parse(expression)
    # A rate schedule without StartDate invokes its target at once (Scheduler User Guide, "Rate-based schedules"):
    # the run that makes it has just trained (or deployed), so the first time is one period from now.
    start = {"StartDate": time.time() + parsed.seconds} if isinstance(parsed, schedule_expr.Rate) else {}
    return {
        "ScheduleExpression": expression,
        "ScheduleExpressionTimezone": timezone,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Description": f"autopersonalize {what}",
        "State": "ENABLED",
        "Target": {
            "Arn": target,
            "RoleArn": aws.env("SCHEDULER_ROLE_ARN"),
            "Input": json.dumps(event, separators=(",", ":")),
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        },
        **start,
    }


def existing(group: str, kinds: tuple[str, ...] = ("retrain",)) -> list[str]:
    """The names of this dataset group's schedules in the stack's schedule group, known by their Input (a name prefix
    would also match a group whose name starts with this one's, and long names are shortened): its retraining
    schedules, or also (kinds "experiment") its experiments' checks (workflow/experiments.py)."""
    scheduler = aws.client("scheduler")
    names = []
    for page in scheduler.get_paginator("list_schedules").paginate(GroupName=aws.env("SCHEDULE_GROUP")):
        for summary in page["Schedules"]:
            found = scheduler.get_schedule(GroupName=aws.env("SCHEDULE_GROUP"), Name=summary["Name"])
            event = json.loads(found["Target"].get("Input") or "{}")
            if any((event.get(kind) or {}).get("datasetGroup") == group for kind in kinds):
                names.append(str(summary["Name"]))
    return names


def sync(run: Run, params: dict[str, Any]) -> list[dict[str, str]]:
    """Create, update (to this run's snapshot) or delete schedules so the group holds what the params declare."""
    scheduler = aws.client("scheduler")
    group_name = aws.env("SCHEDULE_GROUP")
    present = set(existing(params["datasetGroup"]["name"]))
    actions = []
    for name, arguments in wanted(run, params).items():
        call = scheduler.update_schedule if name in present else scheduler.create_schedule
        call(Name=name, GroupName=group_name, **arguments)
        actions.append({"schedule": name, "action": "updated" if name in present else "created"})
        present.discard(name)
    for name in sorted(present):
        delete(name)
        actions.append({"schedule": name, "action": "deleted"})
    return actions


def put(name: str, arguments: dict[str, Any]) -> None:
    """Update the schedule, or create it when it does not exist."""
    scheduler, group = aws.client("scheduler"), aws.env("SCHEDULE_GROUP")
    try:
        scheduler.update_schedule(Name=name, GroupName=group, **arguments)
    except ClientError as exc:
        if aws.error_code(exc) != "ResourceNotFoundException":
            raise
        scheduler.create_schedule(Name=name, GroupName=group, **arguments)


def delete(name: str) -> None:
    """Delete one schedule; gone already is fine."""
    try:
        aws.client("scheduler").delete_schedule(Name=name, GroupName=aws.env("SCHEDULE_GROUP"))
    except ClientError as exc:
        if aws.error_code(exc) != "ResourceNotFoundException":
            raise


def delete_all(group: str) -> list[str]:
    """Teardown: every retraining schedule and experiment check of the dataset group (before anything they would
    train on, or promote, goes)."""
    names = existing(group, ("retrain", "experiment"))
    for name in names:
        delete(name)
    return names
