"""Per account/region state kept on moto's Personalize backend (so `mock_aws` resets it), and the operation registry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from moto.personalize.models import personalize_backends

from autopersonalize.emulator.faults import Faults
from autopersonalize.emulator.lifecycle import Lifecycle
from autopersonalize.emulator.model import PersonalizeError, not_found

Handler = Callable[["Store", dict[str, Any]], dict[str, Any]]
OPERATIONS: dict[tuple[str, str], Handler] = {}
R = TypeVar("R", bound="Resource")
_STORE_LOCK = threading.Lock()


def operation(name: str, service: str = "personalize") -> Callable[[Handler], Handler]:
    """Register the handler of one API operation (its botocore name)."""

    def register(fn: Handler) -> Handler:
        OPERATIONS[(service, name)] = fn
        return fn

    return register


class Resource:
    """A Personalize resource: ARN, name, the create request, a lifecycle; `view()` is its Describe payload."""

    kind: ClassVar[str] = ""  # the ARN's resource type, e.g. "dataset-group"
    arn_key: ClassVar[str] = ""  # e.g. "datasetGroupArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        self.store = store
        self.arn = arn
        self.name = name
        self.params = params
        self.created = time.time()
        self.lifecycle = Lifecycle()
        self.deleting = False

    def view(self) -> dict[str, Any]:
        return {
            **self.params,
            "name": self.name or None,
            self.arn_key: self.arn,
            "status": self.status,
            "failureReason": self.lifecycle.failure_reason,
            "creationDateTime": self.created,
            "lastUpdatedDateTime": max(self.created, self.lifecycle.updated),
        }

    @property
    def status(self) -> str:
        return "DELETE PENDING" if self.deleting else self.lifecycle.current()

    def observe(self) -> None:
        """A describe: let the lifecycle move on."""
        if not self.deleting:
            self.lifecycle.observe(self.store.lock)


@dataclass
class Store:
    account: str
    region: str
    # Held by every operation. A condition on a reentrant lock: a paced describe waits for background work on it,
    # releasing the lock meanwhile, and the work's end notifies it (lifecycle.run_work).
    lock: threading.Condition = field(default_factory=lambda: threading.Condition(threading.RLock()))
    resources: dict[str, dict[str, Resource]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)

    def arn(self, path: str) -> str:
        return f"arn:aws:personalize:{self.region}:{self.account}:{path}"

    def bucket(self, cls: type[R]) -> dict[str, R]:
        return self.resources.setdefault(cls.kind, {})  # type: ignore[return-value]

    def add(self, resource: R, tags: list[dict[str, str]] | None = None) -> R:
        bucket = self.bucket(type(resource))
        if resource.arn in bucket or (resource.name and any(r.name == resource.name for r in bucket.values())):
            raise PersonalizeError("ResourceAlreadyExistsException", f"Resource Arn {resource.arn} already exists.")
        bucket[resource.arn] = resource
        if tags:
            self.tags[resource.arn] = {t["tagKey"]: t.get("tagValue", "") for t in tags}
        return resource

    def get(self, cls: type[R], arn: str) -> R:
        resource = self.bucket(cls).get(arn)
        if resource is None:
            raise not_found(arn)
        return resource

    def all(self, cls: type[R]) -> list[R]:
        return list(self.bucket(cls).values())

    def remove(self, resource: Resource) -> None:
        self.bucket(type(resource)).pop(resource.arn, None)
        self.tags.pop(resource.arn, None)

    def find(self, arn: str) -> Resource | None:
        return next((b[arn] for b in self.resources.values() if arn in b), None)


def store_for(account: str, region: str) -> Store:
    backend = personalize_backends[account][region]
    with _STORE_LOCK:
        store = getattr(backend, "_emulator_store", None)
        if store is None:
            store = Store(account, region)
            backend._emulator_store = store  # type: ignore[attr-defined]
        return store  # type: ignore[no-any-return]


def describe(store: Store, cls: type[R], arn: str) -> R:
    """Describe semantics: a deleted resource shows DELETE PENDING once, then is gone."""
    resource = store.get(cls, arn)
    if resource.deleting:
        store.remove(resource)
        return resource
    resource.observe()
    return resource


def delete(store: Store, resource: Resource) -> dict[str, Any]:
    from autopersonalize.emulator.lifecycle import is_immediate

    if is_immediate():
        store.remove(resource)
    else:
        resource.deleting = True
    return {}


def paginate(items: Iterable[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
    """nextToken/maxResults over a list sorted newest first, like Personalize's List* calls."""
    rows = sorted(items, key=lambda r: r.get("creationDateTime", 0), reverse=True)
    token = params.get("nextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise PersonalizeError("InvalidNextTokenException", f"The nextToken {token!r} is not valid.") from None
    size = int(params.get("maxResults") or 100)
    page = rows[start : start + size]
    result: dict[str, Any] = {key: page}
    if start + size < len(rows):
        result["nextToken"] = str(start + size)
    return result
