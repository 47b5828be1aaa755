"""A test clock for EventBridge Scheduler offline: moto stores schedules but fires none; advancing this clock does.

Each schedule fires when its expression says (workflow.schedule_expr: a rate every period from its StartDate, or
from its creation when it has none; a cron at each matching minute in its time zone; nothing past its EndDate or
while DISABLED), in time order across schedules. Firing calls the target as EventBridge Scheduler's templated
Step Functions target does: StartExecution of the target's state machine with the target's Input, signed as the
target's RoleArn ("Using templated targets in EventBridge Scheduler"; "Set up the execution role"); a Lambda target
is invoked (Invoke, event payload: the Input) the same way. Only the clock's
time moves: the code the schedules start still reads the real time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from workflow.schedule_expr import fire_times

from autopersonalize.local import iam, patches
from autopersonalize.local.stack import OfflineStack
from autopersonalize.local.template import ACCOUNT, REGION


@dataclass(frozen=True)
class Fired:
    """One invocation: which schedule, at what simulated time, and the execution it started."""

    group: str
    schedule: str
    at: datetime
    execution_arn: str  # a Lambda target: the function's ARN (its answer is in `answer`)
    answer: dict[str, Any] | None = None


class SchedulerClock:
    """Simulated time for the schedules of the current offline_aws(); starts at the real time unless told."""

    def __init__(self, stack: OfflineStack, now: datetime | None = None) -> None:
        self.stack = stack
        self.now = now or datetime.now(UTC)

    def advance(self, delta: timedelta, *, wait: bool = True) -> list[Fired]:
        """Move the clock by `delta`, firing every schedule due on the way; with `wait`, each execution a firing
        starts has ended before the next firing (so a run that changes the schedules is seen by the next one)."""
        until = self.now + delta
        fired = []
        while (due := self._next_due(until)) is not None:
            self.now, schedule = due
            fired.append(self._invoke(schedule, wait))
        self.now = until
        return fired

    def _next_due(self, until: datetime) -> tuple[datetime, Any] | None:
        from moto.scheduler.models import scheduler_backends

        found: tuple[datetime, Any] | None = None
        for group in scheduler_backends[ACCOUNT][REGION].schedule_groups.values():
            for schedule in list(group.schedules.values()):
                if schedule.state != "ENABLED":
                    continue
                start = _moment(schedule.start_date) or _moment(schedule.creation_date) or self.now
                end = min(until, _moment(schedule.end_date) or until)
                tz = schedule.schedule_expression_timezone or "UTC"
                at = next(fire_times(schedule.schedule_expression, tz, start, self.now, end), None)
                if at is not None and (found is None or at < found[0]):
                    found = (at, schedule)
        return found

    def _invoke(self, schedule: Any, wait: bool) -> Fired:
        target = schedule.target
        arn = str(target["Arn"])
        if arn.startswith("arn:aws:lambda:") and ":function:" in arn:
            return self._invoke_function(schedule, arn)
        if not arn.startswith("arn:aws:states:") or ":stateMachine:" not in arn:
            raise ValueError(
                f"schedule {schedule.group_name}/{schedule.name}: target {arn} is not a state machine; the offline "
                "clock fires only Step Functions StartExecution targets"
            )
        _, session = iam.role_session(
            str(target["RoleArn"]), f"scheduler-{schedule.name}", REGION, patches.SERVICE_MODELS
        )
        started = session.client("stepfunctions").start_execution(
            stateMachineArn=arn, input=target.get("Input") or "{}"
        )
        execution = str(started["executionArn"])
        if wait:
            self.stack.wait(execution, timeout=300)
        return Fired(schedule.group_name, schedule.name, self.now, execution)

    def _invoke_function(self, schedule: Any, arn: str) -> Fired:
        target = schedule.target
        _, session = iam.role_session(
            str(target["RoleArn"]), f"scheduler-{schedule.name}", REGION, patches.SERVICE_MODELS
        )
        response = session.client("lambda").invoke(FunctionName=arn, Payload=(target.get("Input") or "{}").encode())
        answer = json.loads(response["Payload"].read() or b"null")
        return Fired(schedule.group_name, schedule.name, self.now, arn, answer)


def _moment(value: Any) -> datetime | None:
    """A schedule's stored time (epoch seconds from the API, or a datetime) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)
