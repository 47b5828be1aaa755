"""The named errors that end a run: the class name is the error name Step Functions reports (the Lambda's errorType).

The ASL catches none of them by name and retries none of them. Every Lambda Task of the state machines (or the Map
around it) has a Catch on `States.ALL`, which routes any of them to the failure path: in training, Notify Failure,
then Release Lock, then `Run Failed` with this name as the execution's error; in teardown, Release Lock (once the
lock is held), then `Teardown Failed`. The ASL retries only the Lambda service's transient errors (`Lambda.*`) and
DynamoDB's; waiting for a resource is not an error but a `ready: false` result and a Wait state. Expected outcomes
(a gate rejection, a skipped campaign) are data. tests/unit/test_asl.py checks these sentences against the ASL.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every error a handler raises on purpose."""


class InvalidParamsError(WorkflowError):
    """The params file (or the execution input) is invalid; carries every problem, each with its JSON path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s):\n{listing}")


class ResourceFailedError(WorkflowError):
    """A Personalize resource ended CREATE FAILED (or STOPPED); carries Personalize's failureReason."""

    def __init__(self, arn: str, status: str, failure_reason: str | None) -> None:
        self.arn = arn
        self.status = status
        self.failure_reason = failure_reason or "(Personalize gave no failureReason)"
        super().__init__(f"{arn} is {status}: {self.failure_reason}")


class ResourceConflictError(WorkflowError):
    """A resource with the deterministic name exists with another configuration (drift): never silently copied."""


class WaitTimeoutError(WorkflowError):
    """A resource did not become ready within the params' polling.maxWaitSeconds for that step."""


class LockBusyError(WorkflowError):
    """Another run held the dataset group's lock for longer than the params' polling.maxWaitSeconds (Acquire Lock
    waits between tries with its own Wait state, then raises this)."""


class InsufficientDataError(WorkflowError):
    """A dataset's data is missing or below Personalize's minimums: caught before any import or training is paid for."""
