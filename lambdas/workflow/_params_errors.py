"""Turn pydantic's validation errors into "json.path: what was found; what is allowed" lines."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from workflow import _params_base as blocks

_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$\-]*")
_PATTERN_HELP = {
    blocks.NAME_PATTERN: "letters, digits, - and _, starting with a letter or digit",
    blocks.S3_FILE_PATTERN: "an s3://bucket/key URI of one file (not ending in /)",
    blocks.S3_PREFIX_PATTERN: "an s3://bucket/prefix/ URI ending in /",
    blocks.S3_ANY_PATTERN: "an s3://bucket/key file or s3://bucket/prefix/ ending in /",
    blocks.ROLE_ARN_PATTERN: "an IAM role ARN like arn:aws:iam::123456789012:role/name",
    blocks.KMS_ARN_PATTERN: "a KMS key ARN like arn:aws:kms:region:123456789012:key/id",
}
_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "a list",
}


def json_path(loc: Sequence[int | str]) -> str:
    """`("solutions", 1, "recipe")` -> `solutions[1].recipe`; pydantic's "[key]" marker is dropped."""
    path = ""
    for step in loc:
        if step == "[key]":
            continue
        if isinstance(step, int):
            path += f"[{step}]"
        elif _KEY.fullmatch(step):
            path += f".{step}" if path else step
        else:
            path += f'["{step}"]'
    return path or "(top level)"


def format_errors(error: ValidationError, model: type[BaseModel]) -> list[str]:
    """One line per pydantic error (a model-level error with several lines gives several problems)."""
    problems: list[str] = []
    for detail in error.errors():
        problems.extend(_format(detail, model))
    return problems


def show(value: object) -> str:
    """A short rendering of a found value."""
    if isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, dict):
        text = "an object"
    elif isinstance(value, list):
        text = f"a list of {len(value)}"
    elif value is None:
        text = "null"
    else:
        text = repr(value).lower() if isinstance(value, bool) else repr(value)
    return text if len(text) <= 70 else text[:67] + '..."'


def _format(detail: ErrorDetails, model: type[BaseModel]) -> list[str]:
    kind, loc, ctx, found = detail["type"], detail["loc"], detail.get("ctx", {}), detail.get("input")
    path = json_path(loc)
    if kind == "value_error":
        message = str(ctx.get("error", detail["msg"]))
        return [line if not loc else f"{path}: {line}" for line in message.splitlines()]
    if kind == "missing":
        return [f"{path}: missing; this key is required"]
    if kind == "extra_forbidden":
        return [f"{path}: unknown key{_allowed_keys(model, loc)}"]
    if kind in ("literal_error", "enum"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return [f"{path}: found {show(found)}; allowed: {', '.join(allowed)}{_did_you_mean(found, allowed)}"]
    if kind == "string_pattern_mismatch":
        help_text = _PATTERN_HELP.get(str(ctx.get("pattern")), f"text matching {ctx.get('pattern')}")
        return [f"{path}: found {show(found)}; allowed: {help_text}"]
    if kind == "string_too_long" and isinstance(found, str):
        return [f"{path}: found {len(found)} characters; allowed: at most {ctx.get('max_length')}"]
    return [f"{path}: found {show(found)}; allowed: {_allowed(kind, ctx, detail['msg'])}"]


def _allowed(kind: str, ctx: dict[str, Any], message: str) -> str:
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    bounds = {
        "greater_than_equal": ">= {ge}",
        "greater_than": "> {gt}",
        "less_than_equal": "<= {le}",
        "less_than": "< {lt}",
        "string_too_long": "at most {max_length} characters",
        "string_too_short": "at least {min_length} character(s)",
        "too_long": "at most {max_length} entries",
        "too_short": "at least {min_length} entries",
    }
    if kind in bounds:
        return bounds[kind].format(**ctx)
    return message


def _did_you_mean(found: object, allowed: list[str]) -> str:
    if not isinstance(found, str):
        return ""
    close = difflib.get_close_matches(found, allowed, n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def _allowed_keys(model: type[BaseModel], loc: Sequence[int | str]) -> str:
    """ "; allowed keys here: ..." for the object holding the unknown key at `loc` (empty if not found)."""
    current: type[BaseModel] | None = model
    for step in loc[:-1]:
        if current is None or isinstance(step, int):
            continue
        current = _field_model(current, step)
    if current is None:
        return ""
    keys = [field.alias or name for name, field in current.model_fields.items()]
    text = f"; allowed keys here: {', '.join(keys)}"
    return text + _did_you_mean(loc[-1], keys)


def _field_model(model: type[BaseModel], key: str) -> type[BaseModel] | None:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return _inner_model(field.annotation)
    return None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None
