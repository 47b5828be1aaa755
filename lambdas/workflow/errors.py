"""The exceptions the ASL names: class name == the ASL `ErrorEquals` name. Expected outcomes are data, not errors."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every error the state machine can catch by name."""


class InvalidParamsError(WorkflowError):
    """The params file is invalid; carries every problem, each with its JSON path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s):\n{listing}")


class ResourcePendingError(WorkflowError):
    """A resource is not ready yet: retried by the ASL."""


class ResourceFailedError(WorkflowError):
    """A Personalize resource ended CREATE FAILED (or STOPPED); carries Personalize's failureReason."""

    def __init__(self, arn: str, status: str, failure_reason: str | None) -> None:
        self.arn = arn
        self.status = status
        self.failure_reason = failure_reason or "(Personalize gave no failureReason)"
        super().__init__(f"{arn} is {status}: {self.failure_reason}")


class ResourceConflictError(WorkflowError):
    """A resource with the deterministic name exists with another configuration (drift): never silently copied."""


class LimitExceededError(WorkflowError):
    """Personalize refused for a quota (LimitExceededException or throttling): try again later."""


class WaitTimeoutError(WorkflowError):
    """A resource did not become ready within the params' maximum wait for that step."""


class LockBusyError(WorkflowError):
    """Another run holds the dataset group's lock: retried by the ASL up to the configured limit."""


class InsufficientDataError(WorkflowError):
    """A dataset's data is missing or below Personalize's minimums: caught before any import or training is paid for."""
