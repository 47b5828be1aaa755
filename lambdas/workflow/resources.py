"""Shared Personalize plumbing: find a resource by its deterministic name, read its status, name its failures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from workflow import aws
from workflow.errors import ResourceFailedError

T = TypeVar("T")
ACTIVE = "ACTIVE"
FAILED = frozenset({"CREATE FAILED", "CREATE STOPPED", "CREATE STOPPING"})
PENDING = frozenset({"CREATE PENDING", "CREATE IN_PROGRESS", "UPDATE PENDING", "UPDATE IN_PROGRESS"})
LIMIT_CODES = frozenset({"LimitExceededException", "TooManyRequestsException"})


def personalize() -> Any:
    return aws.client("personalize")


def pages(operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every summary of a List* call, following nextToken."""
    call = getattr(personalize(), operation)
    token: str | None = None
    while True:
        response = call(**params, **({"nextToken": token} if token else {}))
        yield from response.get(key, [])
        token = response.get("nextToken")
        if not token:
            return


def find(operation: str, key: str, name: str, **params: Any) -> dict[str, Any] | None:
    """The summary of the resource called `name` in a List* call (names are unique per account and region)."""
    return next((item for item in pages(operation, key, **params) if item.get("name") == name), None)


def is_ready(what: str, arn: str, status: str, failure_reason: str | None) -> bool:
    """True when ACTIVE, False while pending; raises ResourceFailedError (with Personalize's reason) when it failed."""
    if status == ACTIVE:
        return True
    if status in FAILED or status.startswith("DELETE"):
        raise ResourceFailedError(arn, status, failure_reason if failure_reason else f"{what} is {status}")
    return False


def unless_limited(call: Callable[[], T]) -> T | None:
    """Run a create call; None when Personalize refuses for a quota (the state machine waits and tries again)."""
    try:
        return call()
    except ClientError as exc:
        if aws.error_code(exc) in LIMIT_CODES:
            return None
        raise


def tags(params: dict[str, Any]) -> list[dict[str, str]]:
    """The params' root tags, put on every resource the workflow creates."""
    return [{"tagKey": t["tagKey"], "tagValue": t["tagValue"]} for t in params.get("tags") or []]


def tag_args(params: dict[str, Any]) -> dict[str, Any]:
    found = tags(params)
    return {"tags": found} if found else {}
