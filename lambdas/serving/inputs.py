"""What a caller may ask for, checked against Personalize's limits: one `Query` per request, or every problem at once.

HTTP query strings and direct-invoke JSON reach the same parser: numbers may come as digit strings, `filterValues` and
`context` as a JSON object or a JSON string of one, `metadataColumns` and `items` as a list or a comma-separated string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from serving.errors import BadRequestError

Action = Literal["recommendations", "related-items", "rankings"]
ACTIONS: tuple[Action, ...] = ("recommendations", "related-items", "rankings")
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}")  # a params name: dataset group, campaign, filter
FILTER_KEY = re.compile(r"[A-Za-z0-9_]{1,50}")
CONTEXT_KEY = re.compile(r"[A-Za-z0-9_]{1,150}")
MAX_ID, MAX_VALUE, MAX_RESULTS, MAX_ITEMS = 256, 1000, 500, 500

_COMMON = ("filter", "filterValues", "context", "metadataColumns")
ALLOWED: dict[Action, tuple[str, ...]] = {
    "recommendations": ("userId", "numResults", *_COMMON),
    "related-items": ("itemId", "userId", "numResults", *_COMMON),
    "rankings": ("userId", "items", *_COMMON),
}
REQUIRED: dict[Action, tuple[str, ...]] = {
    "recommendations": ("userId",),
    "related-items": ("itemId",),
    "rankings": ("userId", "items"),
}


EMPTY: Mapping[str, str] = MappingProxyType({})


class Query(NamedTuple):
    """One checked request for the runtime, minus the campaign (which comes from the path or the default).

    A NamedTuple, not a dataclass: this module is imported at every cold start, and dataclasses cost a millisecond.
    """

    action: Action
    user_id: str | None = None
    item_id: str | None = None
    items: tuple[str, ...] = ()
    num_results: int | None = None
    filter: str | None = None
    filter_values: Mapping[str, str] = EMPTY
    context: Mapping[str, str] = EMPTY
    metadata_columns: tuple[str, ...] = ()


def parse(action: Action, raw: Mapping[str, Any]) -> Query:
    """Check `raw` (query-string or JSON values) for `action`; raise BadRequestError listing every problem."""
    problems: list[tuple[str, str]] = []
    allowed = ALLOWED[action]
    for key in raw:
        if key not in allowed:
            problems.append((key, f"unknown parameter for {action}; expected one of {', '.join(allowed)}"))
    for key in REQUIRED[action]:
        if raw.get(key) in (None, "", []):
            problems.append((key, "required"))
    values: dict[str, Any] = {}
    for key, check in _CHECKS.items():
        if key in allowed and raw.get(key) not in (None, "", []):
            try:
                values[key] = check(raw[key])
            except ValueError as exc:
                problems.append((key, str(exc)))
    if "filterValues" in values and "filter" not in values:
        problems.append(("filterValues", "given without filter; name the filter whose placeholders these fill"))
    if problems:
        raise BadRequestError(problems)
    return Query(
        action=action,
        user_id=values.get("userId"),
        item_id=values.get("itemId"),
        items=values.get("items", ()),
        num_results=values.get("numResults"),
        filter=values.get("filter"),
        filter_values=values.get("filterValues", EMPTY),
        context=values.get("context", EMPTY),
        metadata_columns=values.get("metadataColumns", ()),
    )


def check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise ValueError(f"expected a {what} name (letters, digits, '-' and '_', at most 63), found {value!r}")
    return value


def _id(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
        raise ValueError(f"expected a string of 1 to {MAX_ID} characters, found {_show(value)}")
    return value


check_id = _id  # a user, item, recommendation or session id (POST /events checks its fields with it)


def _num_results(value: Any) -> int:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text.isdigit() or not 1 <= int(text) <= MAX_RESULTS:
        raise ValueError(f"expected a whole number from 1 to {MAX_RESULTS}, found {_show(value)}")
    return int(text)


def _object(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f'expected a JSON object such as {{"NAME": "value"}}, found {_show(value)}') from None
    if not isinstance(value, dict):
        raise ValueError(f'expected a JSON object such as {{"NAME": "value"}}, found {_show(value)}')
    return value


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value if value.startswith('"') else f'"{value}"'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"values must be strings, numbers or lists of them, found {_show(value)}")


def _filter_values(value: Any) -> dict[str, str]:
    """Personalize's format: strings double-quoted, lists comma-joined; a string already in quotes is kept as is."""
    mapping = _object(value)
    if len(mapping) > 25:
        raise ValueError(f"at most 25 placeholders, found {len(mapping)}")
    out: dict[str, str] = {}
    for key, item in mapping.items():
        if not FILTER_KEY.fullmatch(key):
            raise ValueError(f"placeholder name {key!r} must be 1-50 letters, digits or '_' (the $NAME without $)")
        text = ",".join(_scalar(v) for v in item) if isinstance(item, list) and item else _scalar(item)
        if len(text) > MAX_VALUE:
            raise ValueError(f"value of {key!r} is {len(text)} characters once formatted; at most {MAX_VALUE}")
        out[key] = text
    return out


def _context(value: Any) -> dict[str, str]:
    mapping = _object(value)
    if len(mapping) > 150:
        raise ValueError(f"at most 150 context keys, found {len(mapping)}")
    out: dict[str, str] = {}
    for key, item in mapping.items():
        if not CONTEXT_KEY.fullmatch(key):
            raise ValueError(f"context key {key!r} must be 1-150 letters, digits or '_'")
        if isinstance(item, bool) or not isinstance(item, str | int | float) or len(str(item)) > MAX_VALUE:
            raise ValueError(
                f"value of {key!r} must be a string of at most {MAX_VALUE} characters, found {_show(item)}"
            )
        out[key] = str(item)
    return out


def _string_list(value: Any, limit: int, item_max: int, what: str) -> tuple[str, ...]:
    found = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
    if not isinstance(found, list) or not all(isinstance(v, str) and 0 < len(v) <= item_max for v in found):
        raise ValueError(f"expected a list of {what} (strings of 1 to {item_max} characters), found {_show(value)}")
    if not 0 < len(found) <= limit:
        raise ValueError(f"expected 1 to {limit} {what}, found {len(found)}")
    return tuple(found)


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_CHECKS = {
    "userId": _id,
    "itemId": _id,
    "numResults": _num_results,
    "filter": lambda v: check_name(v, "filter"),
    "filterValues": _filter_values,
    "context": _context,
    "metadataColumns": lambda v: _string_list(v, 99, 150, "item column names"),
    "items": lambda v: _string_list(v, MAX_ITEMS, MAX_ID, "item ids"),
}
