"""IAM policy evaluation as AWS documents it, for the offline world: identity and resource policies, conditions.

AWS's rules (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements: Condition operators"):
an explicit Deny in any applicable statement wins; otherwise any applicable Allow allows; otherwise the request is
implicitly denied. A statement applies when its Action (or NotAction), Resource (or NotResource), Principal (resource
policies) and every Condition match the request. `*` matches any run of characters and `?` one character; actions
match case-insensitively, resources case-sensitively. A condition key missing from the request context makes the
condition false, except for negated operators (StringNotEquals, ArnNotLike, ...), which are then true, and
`...IfExists` operators, which are then true.

moto 5.2.5's own evaluator ignores Resource for most services, treats an unmet Condition as a Deny even in an Allow
statement, and ignores NotResource and service principals; the offline stack installs this one in its place (see
docs/emulator.md, "IAM offline"). A resource of None means the caller could not name the resource: the Resource
element then matches whatever it says (only the action is checked).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

Decision = Literal["allow", "deny", "neutral"]


@dataclass(frozen=True)
class Request:
    """What is being asked: the action (`service:Operation`), the resource ARN (None if unknown), who asks, context."""

    action: str
    resource: str | None
    principal: str = ""  # caller ARN (role ARN for a role session) or a service principal (`personalize.amazonaws.com`)
    context: Mapping[str, str] = field(default_factory=dict)


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _like(glob: str, value: str, ignore_case: bool = False) -> bool:
    return bool(_pattern(glob, ignore_case).fullmatch(value))


def _values(element: Any) -> list[str]:
    return [str(v) for v in element] if isinstance(element, list) else [str(element)]


def _role_arn_of(principal: str) -> str:
    """`arn:aws:sts::1:assumed-role/r/session` -> `arn:aws:iam::1:role/r` (policies name the role, not the session)."""
    match = re.fullmatch(r"arn:([\w-]+):sts::(\d+):assumed-role/([^/]+)/.*", principal)
    return f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}" if match else principal


def _principal_matches(element: Any, principal: str) -> bool:
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    if "Service" in element:
        return principal in _values(element["Service"])
    if "AWS" in element:
        caller = _role_arn_of(principal)
        for wanted in _values(element["AWS"]):
            root = re.fullmatch(r"arn:[\w-]+:iam::(\d+):root", wanted)
            account = wanted if wanted.isdigit() else (root[1] if root else None)
            if wanted in ("*", caller) or (account and f"::{account}:" in caller):
                return True
    return False


_OPERATORS: dict[str, tuple[str, bool]] = {  # operator -> (comparison, negated)
    "StringEquals": ("eq", False),
    "StringNotEquals": ("eq", True),
    "StringEqualsIgnoreCase": ("ieq", False),
    "StringNotEqualsIgnoreCase": ("ieq", True),
    "StringLike": ("like", False),
    "StringNotLike": ("like", True),
    "ArnEquals": ("like", False),
    "ArnLike": ("like", False),
    "ArnNotEquals": ("like", True),
    "ArnNotLike": ("like", True),
    "Bool": ("ieq", False),
}


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base == "Null":  # "true": the key must be absent; "false": present
        return (key not in context) == (str(expected).lower() == "true")
    if base not in _OPERATORS:
        raise ValueError(f"condition operator {operator} is not supported offline (key {key})")
    comparison, negated = _OPERATORS[base]
    if key not in context:
        return negated or if_exists
    actual = context[key]
    if comparison == "eq":
        found = actual in _values(expected)
    elif comparison == "ieq":
        found = actual.lower() in [v.lower() for v in _values(expected)]
    else:
        found = any(_like(v, actual) for v in _values(expected))
    return found != negated


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not any(_like(a, request.action, ignore_case=True) for a in _values(statement["Action"])):
            return False
    elif any(_like(a, request.action, ignore_case=True) for a in _values(statement.get("NotAction", []))):
        return False
    if request.resource is not None:
        if "Resource" in statement:
            if not any(_like(r, request.resource) for r in _values(statement["Resource"])):
                return False
        elif "NotResource" in statement and any(_like(r, request.resource) for r in _values(statement["NotResource"])):
            return False
    if "Principal" in statement and not _principal_matches(statement["Principal"], request.principal):
        return False  # only resource policies (bucket, trust) name principals
    if "NotPrincipal" in statement and _principal_matches(statement["NotPrincipal"], request.principal):
        return False
    conditions = statement.get("Condition", {})
    return all(
        _condition_holds(operator, key, expected, request.context)
        for operator, keys in conditions.items()
        for key, expected in keys.items()
    )


def statements(document: str | Mapping[str, Any]) -> list[Mapping[str, Any]]:
    body = json.loads(document) if isinstance(document, str) else document
    found = body.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def evaluate(documents: Iterable[str | Mapping[str, Any]], request: Request) -> Decision:
    """The decision of a set of policies on one request: "deny" (explicit), "allow", or "neutral" (implicit deny)."""
    decision: Decision = "neutral"
    for document in documents:
        for statement in statements(document):
            if _applies(statement, request):
                if statement.get("Effect") == "Deny":
                    return "deny"
                decision = "allow"
    return decision
