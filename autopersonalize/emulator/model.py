"""The botocore service models: request checks beyond botocore's (max, pattern, enum) and output shaping."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

SERVICES = ("personalize", "personalize-runtime", "personalize-events")
# Java regex classes the models use, in Python's dialect.
_JAVA_CLASSES = {r"\p{ASCII}": r"[\x00-\x7F]", r"\p{L}\p{Z}\p{N}": r"\w\s"}


class PersonalizeError(Exception):
    """An error Personalize returns: `code` is the exception name the SDK raises."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> PersonalizeError:
    return PersonalizeError("InvalidInputException", message)


def not_found(arn: str) -> PersonalizeError:
    return PersonalizeError("ResourceNotFoundException", f"Resource Arn {arn} does not exist.")


def in_use(message: str) -> PersonalizeError:
    return PersonalizeError("ResourceInUseException", message)


def already_exists(arn: str) -> PersonalizeError:
    return PersonalizeError("ResourceAlreadyExistsException", f"Resource Arn {arn} already exists.")


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation(service: str, name: str) -> OperationModel:
    return service_model(service).operation_model(name)


@cache
def _pattern(java: str) -> re.Pattern[str]:
    text = java
    for jclass, pyclass in _JAVA_CLASSES.items():
        text = text.replace(f"[{jclass}", f"[{pyclass}").replace(jclass, pyclass)
    return re.compile(text)


def validate(params: Any, shape: Shape | None, path: str = "") -> None:
    """Raise InvalidInputException naming the member that breaks the model (type, required, size, pattern, enum)."""
    if shape is None:
        return
    where = path or "request"
    kind = shape.type_name
    if kind == "structure":
        _validate_structure(params, shape, where, path)  # type: ignore[arg-type]
    elif kind == "list":
        if not isinstance(params, list):
            raise invalid(f"{where}: expected a list, got {type(params).__name__}.")
        _check_size(len(params), shape, where, "items")
        for i, value in enumerate(params):
            validate(value, shape.member, f"{path}[{i}]")  # type: ignore[attr-defined]
    elif kind == "map":
        if not isinstance(params, dict):
            raise invalid(f"{where}: expected a map, got {type(params).__name__}.")
        _check_size(len(params), shape, where, "entries")
        for key, value in params.items():
            validate(key, shape.key, f"{path}.<key {key}>")  # type: ignore[attr-defined]
            validate(value, shape.value, f"{path}.{key}")  # type: ignore[attr-defined]
    elif kind == "string":
        _validate_string(params, shape, where)
    elif kind in ("integer", "long"):
        if not isinstance(params, int) or isinstance(params, bool):
            raise invalid(f"{where}: expected an integer, got {params!r}.")
        _check_range(params, shape, where)
    elif kind in ("double", "float"):
        if not isinstance(params, int | float) or isinstance(params, bool):
            raise invalid(f"{where}: expected a number, got {params!r}.")
        _check_range(params, shape, where)
    elif kind == "boolean" and not isinstance(params, bool):
        raise invalid(f"{where}: expected true or false, got {params!r}.")


def _validate_structure(params: Any, shape: StructureShape, where: str, path: str) -> None:
    if not isinstance(params, dict):
        raise invalid(f"{where}: expected an object, got {type(params).__name__}.")
    for name in shape.required_members:
        if name not in params:
            raise invalid(f"{where}: missing required member '{name}'.")
    for name, value in params.items():
        if name not in shape.members:
            raise invalid(f"{where}: unknown member '{name}'; valid members are {sorted(shape.members)}.")
        validate(value, shape.members[name], f"{path}.{name}" if path else name)


def _validate_string(value: Any, shape: Shape, where: str) -> None:
    if not isinstance(value, str):
        raise invalid(f"{where}: expected a string, got {value!r}.")
    _check_size(len(value), shape, where, "characters")
    pattern = shape.metadata.get("pattern")
    if pattern and not _pattern(pattern).fullmatch(value):
        raise invalid(f"{where}: value {value[:80]!r} does not match the pattern {pattern}.")
    if shape.enum and value not in shape.enum:
        raise invalid(f"{where}: value {value!r} is not one of {list(shape.enum)}.")


def _check_size(size: int, shape: Shape, where: str, unit: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        raise invalid(f"{where}: needs at least {low} {unit}, got {size}.")
    if high is not None and size > high:
        raise invalid(f"{where}: allows at most {high} {unit}, got {size}.")


def _check_range(value: float, shape: Shape, where: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        raise invalid(f"{where}: must be >= {low}, got {value}.")
    if high is not None and value > high:
        raise invalid(f"{where}: must be <= {high}, got {value}.")


def shape_output(data: Any, shape: Shape | None) -> Any:
    """Keep only the members the output shape declares (recursively); datetimes become epoch seconds; drop None."""
    if shape is None:
        return {}
    if isinstance(shape, StructureShape):
        return {
            name: shape_output(data[name], member)
            for name, member in shape.members.items()
            if name in data and data[name] is not None
        }
    if isinstance(shape, ListShape):
        return [shape_output(v, shape.member) for v in data]
    if isinstance(shape, MapShape):
        return {k: shape_output(v, shape.value) for k, v in data.items()}
    if isinstance(data, dt.datetime):
        return data.timestamp()
    return data
