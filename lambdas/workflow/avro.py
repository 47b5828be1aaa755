"""Pure checker of an Avro schema against Amazon Personalize's rules for custom dataset groups (facts e.4)."""

from __future__ import annotations

import re
from typing import Any

NAMESPACE = "com.amazonaws.personalize.schema"
PRIMITIVES = ("float", "double", "int", "long", "string", "boolean", "null")
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_FIELD_NAME = 150

# Required fields and their exact Avro type, per dataset type.
REQUIRED: dict[str, dict[str, str]] = {
    "Interactions": {"USER_ID": "string", "ITEM_ID": "string", "TIMESTAMP": "long"},
    "Users": {"USER_ID": "string"},
    "Items": {"ITEM_ID": "string"},
}
# Reserved optional fields: allowed Avro base types (a union with null is also accepted).
RESERVED: dict[str, dict[str, tuple[str, ...]]] = {
    "Interactions": {
        "EVENT_TYPE": ("string",),
        "EVENT_VALUE": ("float", "double"),
        "IMPRESSION": ("string",),
        "RECOMMENDATION_ID": ("string",),
        "EVENT_ATTRIBUTION_SOURCE": ("string",),
    },
    "Users": {},
    "Items": {"CREATION_TIMESTAMP": ("long",)},
}
# (minimum, maximum) metadata fields: the fields that are neither required nor reserved (CREATION_TIMESTAMP counts).
METADATA_LIMITS: dict[str, tuple[int, int]] = {"Interactions": (0, 5), "Users": (1, 25), "Items": (1, 100)}
MAX_TEXTUAL = 1


def check_schema(schema: object, dataset_type: str, path: str = "schema") -> list[str]:
    """Every way `schema` breaks Personalize's rules for `dataset_type`, each "path: found; allowed" (empty if none)."""
    if not isinstance(schema, dict):
        return [f"{path}: found {_kind(schema)}; allowed: an Avro record schema (a JSON object)"]
    problems = _check_record(schema, path)
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return problems
    typed: dict[str, tuple[str, bool]] = {}
    for index, field in enumerate(fields):
        field_problems, parsed = _check_field(field, dataset_type, f"{path}.fields[{index}]", typed)
        problems += field_problems
        if parsed is not None:
            typed[parsed[0]] = parsed[1]
    problems += _check_required(typed, dataset_type, path)
    problems += _check_counts(fields, typed, dataset_type, path)
    return problems


def field_names(schema: dict[str, Any]) -> list[str]:
    """The field names of a (valid) schema, in order: the CSV header Personalize expects."""
    return [f["name"] for f in schema.get("fields", []) if isinstance(f, dict) and isinstance(f.get("name"), str)]


def base_type(avro_type: object) -> str | None:
    """The non-null primitive of a field type ("string" for "string" or ["null", "string"]), None if not flat."""
    if isinstance(avro_type, str):
        return avro_type if avro_type in PRIMITIVES and avro_type != "null" else None
    if isinstance(avro_type, list) and all(isinstance(t, str) for t in avro_type):
        rest = [t for t in avro_type if t != "null"]
        if len(rest) == 1 and "null" in avro_type and len(avro_type) == 2 and rest[0] in PRIMITIVES:
            return rest[0]
    return None


def _check_record(schema: dict[str, Any], path: str) -> list[str]:
    problems = []
    if schema.get("type") != "record":
        problems.append(f'{path}.type: found {_show(schema.get("type"))}; allowed: "record"')
    if schema.get("namespace") != NAMESPACE:
        problems.append(f'{path}.namespace: found {_show(schema.get("namespace"))}; allowed: "{NAMESPACE}"')
    if not isinstance(schema.get("name"), str) or not FIELD_NAME.fullmatch(schema["name"]):
        problems.append(f'{path}.name: found {_show(schema.get("name"))}; allowed: a record name like "Interactions"')
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        problems.append(f"{path}.fields: found {_show(fields)}; allowed: a non-empty list of field objects")
    return problems


def _check_field(
    field: object, dataset_type: str, path: str, seen: dict[str, tuple[str, bool]]
) -> tuple[list[str], tuple[str, tuple[str, bool]] | None]:
    """Problems of one field, and (name, (base type, nullable)) when the field is well-formed enough to use."""
    if not isinstance(field, dict):
        return [f"{path}: found {_kind(field)}; allowed: a field object with name and type"], None
    problems = []
    name = field.get("name")
    if not isinstance(name, str) or not FIELD_NAME.fullmatch(name) or len(name) > MAX_FIELD_NAME:
        problems.append(
            f"{path}.name: found {_show(name)}; allowed: letters, digits and underscores, not starting with a digit,"
            f" at most {MAX_FIELD_NAME} characters"
        )
        name = None
    elif name in seen or name.upper() in {n.upper() for n in seen}:
        problems.append(f'{path}.name: "{name}" appears twice (names are compared ignoring case); rename one')
        name = None
    kind = base_type(field.get("type"))
    if kind is None:
        problems.append(
            f"{path}.type: found {_show(field.get('type'))}; allowed: one of {', '.join(PRIMITIVES[:-1])}"
            ' or a union with null like ["null", "string"] (no records, arrays, maps or enums)'
        )
    if name is None or kind is None:
        return problems, None
    nullable = isinstance(field.get("type"), list)
    problems += _check_field_rules(field, name, kind, nullable, dataset_type, path)
    return problems, (name, (kind, nullable))


def _check_field_rules(
    field: dict[str, Any], name: str, kind: str, nullable: bool, dataset_type: str, path: str
) -> list[str]:
    problems = []
    required = REQUIRED.get(dataset_type, {})
    reserved = RESERVED.get(dataset_type, {})
    upper = name.upper()
    if upper != name and (upper in required or upper in reserved):
        problems.append(f'{path}.name: found "{name}"; Personalize\'s reserved name is "{upper}" (upper case)')
    if name in reserved and kind not in reserved[name]:
        allowed = " or ".join(f'"{t}"' for t in reserved[name])
        problems.append(
            f'{path}.type: reserved field {name} has type "{kind}"; allowed: {allowed} (or a union with null)'
        )
    categorical, textual = field.get("categorical"), field.get("textual")
    for flag, value in (("categorical", categorical), ("textual", textual)):
        if value is not None and not isinstance(value, bool):
            problems.append(f"{path}.{flag}: found {_show(value)}; allowed: true or false")
    if textual is True and dataset_type != "Items":
        problems.append(f'{path}.textual: textual fields exist only in Items schemas, not "{dataset_type}"')
    if (categorical is True or textual is True) and kind != "string":
        problems.append(f'{path}: only string fields can be categorical or textual; "{name}" is "{kind}"')
    if categorical is True and textual is True:
        problems.append(f'{path}: "{name}" is both categorical and textual; choose one')
    if name == "EVENT_TYPE" and categorical is True:
        problems.append(f"{path}.categorical: EVENT_TYPE must not be categorical; remove the flag")
    is_metadata = upper not in required and upper not in reserved
    if is_metadata and kind == "string" and categorical is not True and textual is not True:
        hint = 'add "categorical": true' + (' (or "textual": true for free text)' if dataset_type == "Items" else "")
        problems.append(
            f'{path}: string metadata field "{name}" is neither categorical nor textual, so Personalize'
            f" ignores it in training; {hint}"
        )
    if name in required and nullable:
        problems.append(f'{path}.type: required field {name} must not be nullable; use "{required[name]}"')
    return problems


def _check_required(typed: dict[str, tuple[str, bool]], dataset_type: str, path: str) -> list[str]:
    if dataset_type not in REQUIRED:
        return [f'{path}: unknown dataset type "{dataset_type}"; allowed: Interactions, Items, Users']
    problems = []
    for name, kind in REQUIRED[dataset_type].items():
        if name not in typed:
            problems.append(f'{path}.fields: required field {name} (type "{kind}") is missing for {dataset_type}')
        elif typed[name][0] != kind:
            problems.append(f'{path}.fields: required field {name} has type "{typed[name][0]}"; allowed: "{kind}"')
    return problems


def _check_counts(fields: list[Any], typed: dict[str, tuple[str, bool]], dataset_type: str, path: str) -> list[str]:
    if dataset_type not in METADATA_LIMITS:
        return []
    low, high = METADATA_LIMITS[dataset_type]
    fixed = set(REQUIRED[dataset_type]) | (set(RESERVED[dataset_type]) - {"CREATION_TIMESTAMP"})
    metadata = [n for n in typed if n not in fixed]
    problems = []
    if len(metadata) < low:
        problems.append(f"{path}.fields: {dataset_type} needs at least {low} metadata field(s); found none")
    if len(metadata) > high:
        problems.append(f"{path}.fields: {dataset_type} allows at most {high} metadata fields; found {len(metadata)}")
    textual = [f.get("name") for f in fields if isinstance(f, dict) and f.get("textual") is True]
    if dataset_type == "Items" and len(textual) > MAX_TEXTUAL:
        problems.append(f"{path}.fields: at most {MAX_TEXTUAL} textual field; found {len(textual)}: {textual}")
    return problems


def _show(value: object) -> str:
    """A short JSON-ish rendering of a found value for messages."""
    if value is None:
        return "nothing"
    text = f'"{value}"' if isinstance(value, str) else repr(value).replace("'", '"')
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return names.get(type(value), "null" if value is None else type(value).__name__)
