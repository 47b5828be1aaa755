"""Fault injection: LimitExceeded on create, training that ends CREATE FAILED, throttled runtime calls.

Use it from the process that runs moto (in-process `mock_aws`, or a ThreadedMotoServer in the same process):

    from autopersonalize import emulator
    f = emulator.faults()                                   # account 123456789012, us-east-1 by default
    f.limit_exceeded("CreateSolutionVersion", times=2)      # the next 2 calls raise LimitExceededException
    f.limit_exceeded("campaign")                            # a resource type means its Create call
    f.fail_training("Insufficient memory", times=1)         # the next solution version (or recommender) fails
    f.throttle("GetRecommendations", times=3)               # the next 3 calls raise ThrottlingException
    f.clear()

Faults live with the emulated account and region, so a new `mock_aws` starts without them. boto3 retries throttling on
its own (and LimitExceededException too), so arm more `times` than the client retries to see the error reach the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from autopersonalize.emulator.model import PersonalizeError

VERBS = ("Create", "Describe", "List", "Delete", "Update", "Get", "Put", "Stop", "Tag", "Untag")


def operation_name(name: str) -> str:
    """An API operation name from itself or from a resource type: "solution-version" -> "CreateSolutionVersion"."""
    if re.fullmatch(rf"(?:{'|'.join(VERBS)})[A-Z]\w*", name):
        return name
    parts = re.split(r"[-_ ]+", name.strip())
    return "Create" + "".join(p[:1].upper() + (p[1:] if len(parts) == 1 else p[1:].lower()) for p in parts if p)


@dataclass
class Faults:
    limits: dict[str, int] = field(default_factory=dict)
    throttles: dict[str, int] = field(default_factory=dict)
    training_failures: list[str] = field(default_factory=list)

    def limit_exceeded(self, operation: str, times: int = 1) -> None:
        """The next `times` calls of `operation` raise LimitExceededException.

        `operation` is an API name ("CreateSolutionVersion") or a resource type ("solution-version", "SolutionVersion"),
        which means its Create call.
        """
        name = operation_name(operation)
        self.limits[name] = self.limits.get(name, 0) + times

    def throttle(self, operation: str, times: int = 1) -> None:
        """The next `times` calls of `operation` (e.g. "GetRecommendations") raise ThrottlingException."""
        self.throttles[operation] = self.throttles.get(operation, 0) + times

    def fail_training(self, reason: str, times: int = 1) -> None:
        """The next `times` solution versions or recommenders end in CREATE FAILED with `reason` as failureReason."""
        self.training_failures.extend([reason] * times)

    def clear(self) -> None:
        self.limits.clear()
        self.throttles.clear()
        self.training_failures.clear()

    def check(self, operation: str) -> None:
        """Raise the injected error for this call, if any is armed."""
        if self.limits.get(operation, 0) > 0:
            self.limits[operation] -= 1
            raise PersonalizeError(
                "LimitExceededException", f"{operation}: the limit for this resource type has been exceeded (injected)."
            )
        if self.throttles.get(operation, 0) > 0:
            self.throttles[operation] -= 1
            error = PersonalizeError("ThrottlingException", f"{operation}: rate exceeded (injected).")
            error.status = 429
            raise error

    def next_training_failure(self) -> str | None:
        return self.training_failures.pop(0) if self.training_failures else None
