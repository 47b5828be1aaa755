"""Dataset data: Avro schema fields, CSV files read from moto S3 and checked against the schema, as DataFrames."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from moto.s3.models import s3_backends

from autopersonalize.emulator.lifecycle import WorkFailed
from autopersonalize.emulator.model import invalid

PRIMITIVES = ("string", "long", "int", "float", "double", "boolean")
REQUIRED = {
    "INTERACTIONS": {"USER_ID": "string", "ITEM_ID": "string", "TIMESTAMP": "long"},
    "ITEMS": {"ITEM_ID": "string"},
    "USERS": {"USER_ID": "string"},
}
ID_COLUMN = {"ITEMS": "ITEM_ID", "USERS": "USER_ID"}
INT32 = 2**31


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    nullable: bool
    categorical: bool = False
    textual: bool = False


def parse_schema(text: str) -> list[Field]:
    """The fields of a Personalize Avro schema; InvalidInputException naming what is wrong."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(f"schema: not valid JSON ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("type") != "record" or not isinstance(doc.get("fields"), list):
        raise invalid('schema: must be an Avro record: {"type": "record", "name": ..., "fields": [...]}.')
    fields = [_field(f, i) for i, f in enumerate(doc["fields"])]
    names = [f.name for f in fields]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise invalid(f"schema: duplicate field names {duplicates}.")
    return fields


def _field(raw: Any, index: int) -> Field:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise invalid(f"schema: fields[{index}] needs a string 'name'.")
    name, kind = raw["name"], raw.get("type")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise invalid(f"schema: field name {name!r} must be alphanumeric (letters, digits, underscore).")
    types = kind if isinstance(kind, list) else [kind]
    concrete = [t for t in types if t != "null"]
    if len(concrete) != 1 or concrete[0] not in PRIMITIVES:
        raise invalid(
            f"schema: field {name!r} has type {kind!r}; allowed: one of {list(PRIMITIVES)}, optionally with null."
        )
    return Field(name, concrete[0], "null" in types, raw.get("categorical") is True, raw.get("textual") is True)


def check_dataset_type(dataset_type: str, fields: list[Field]) -> None:
    """The reserved fields each dataset type needs, with their types."""
    by_name = {f.name: f for f in fields}
    for name, kind in REQUIRED[dataset_type].items():
        if name not in by_name:
            raise invalid(f"The schema for a {dataset_type.title()} dataset must contain the field {name} ({kind}).")
        if by_name[name].type != kind:
            raise invalid(f"Field {name} of a {dataset_type.title()} dataset must be {kind}, got {by_name[name].type}.")
    if dataset_type != "INTERACTIONS" and len(fields) < 2:
        raise invalid(f"The schema for a {dataset_type.title()} dataset needs at least one metadata field.")


# Domain dataset groups: each dataset type's required fields and reserved keywords, as (type, kind) where kind is
# "categorical" (a string with categorical true), "textual" (a string with textual true) or "" (developer guide,
# "VIDEO_ON_DEMAND datasets and schemas" and "ECOMMERCE datasets and schemas": "Reserved categorical string fields must
# have categorical set to true, while reserved string fields can't be categorical"; the Items and Users pages of each).
# Users need "USER_ID" and "1 metadata field (categorical string or numerical)".
Rule = tuple[tuple[str, ...], str]
_INTERACTIONS_RESERVED: dict[str, Rule] = {
    "EVENT_VALUE": (("float",), ""),
    "IMPRESSION": (("string",), ""),
    "RECOMMENDATION_ID": (("string",), ""),
    "EVENT_ATTRIBUTION_SOURCE": (("string",), ""),
}
_INTERACTIONS_REQUIRED: dict[str, Rule] = {
    "USER_ID": (("string",), ""),
    "ITEM_ID": (("string",), ""),
    "TIMESTAMP": (("long",), ""),
    "EVENT_TYPE": (("string",), ""),
}
CATEGORICAL: Rule = (("string",), "categorical")
DOMAIN_FIELDS: dict[str, dict[str, tuple[dict[str, Rule], dict[str, Rule]]]] = {
    "VIDEO_ON_DEMAND": {
        "INTERACTIONS": (_INTERACTIONS_REQUIRED, _INTERACTIONS_RESERVED),
        "USERS": ({"USER_ID": (("string",), "")}, {"SUBSCRIPTION_MODEL": CATEGORICAL}),
        "ITEMS": (
            {"ITEM_ID": (("string",), ""), "CREATION_TIMESTAMP": (("long",), ""), "GENRES": CATEGORICAL},
            {
                "PRICE": (("float",), ""),
                "DURATION": (("float",), ""),
                "GENRE_L2": CATEGORICAL,
                "GENRE_L3": CATEGORICAL,
                "AVERAGE_RATING": (("float",), ""),
                "PRODUCT_DESCRIPTION": (("string",), "textual"),
                "CONTENT_OWNER": CATEGORICAL,
                "CONTENT_CLASSIFICATION": CATEGORICAL,
            },
        ),
    },
    "ECOMMERCE": {
        "INTERACTIONS": (_INTERACTIONS_REQUIRED, _INTERACTIONS_RESERVED),
        "USERS": ({"USER_ID": (("string",), "")}, {}),
        "ITEMS": (
            {"ITEM_ID": (("string",), ""), "PRICE": (("float",), ""), "CATEGORY_L1": CATEGORICAL},
            {
                "CATEGORY_L2": CATEGORICAL,
                "CATEGORY_L3": CATEGORICAL,
                "PRODUCT_DESCRIPTION": (("string",), "textual"),
                # "CREATION_TIMESTAMP (float)" on the ECOMMERCE Items page; epoch seconds are a long everywhere else
                "CREATION_TIMESTAMP": (("float", "long"), ""),
                "AGE_GROUP": CATEGORICAL,
                "ADULT": CATEGORICAL,
                "GENDER": CATEGORICAL,
            },
        ),
    },
}
NUMERIC = ("int", "long", "float", "double")


def check_domain_fields(domain: str, dataset_type: str, fields: list[Field]) -> None:
    """A domain schema against its dataset type's required fields and reserved keywords (InvalidInputException)."""
    required, reserved = DOMAIN_FIELDS[domain][dataset_type]
    by_name = {f.name: f for f in fields}
    what = f"a {dataset_type.title()} dataset of a {domain} dataset group"
    for name, rule in required.items():
        if name not in by_name:
            raise invalid(f"The schema for {what} must contain the field {name} ({_describe(rule)}).")
        if by_name[name].nullable:
            # The guide types each required field without null ("CREATION_TIMESTAMP (long)", "PRICE (float)") while
            # "each [reserved] keyword lists its required data type and whether it supports null data" ("Items
            # dataset requirements (VIDEO_ON_DEMAND domain)" and "(ECOMMERCE domain)").
            raise invalid(
                f"Field {name} of {what} is required and can't be null: its type must be {_describe(rule)}, not "
                f'["null", "{by_name[name].type}"]. Remove "null" from its type and give every row a value.'
            )
    for name, rule in {**required, **reserved}.items():
        field = by_name.get(name)
        if field is not None and not _fits(field, rule):
            raise invalid(
                f"Field {name} of {what} must be {_describe(rule)}; got {field.type}"
                f"{' (categorical)' if field.categorical else ''}{' (textual)' if field.textual else ''}. "
                "Fix the schema."
            )
    if dataset_type == "USERS":
        metadata = [f for f in fields if f.name != "USER_ID" and (f.categorical or f.type in NUMERIC)]
        if not metadata:
            raise invalid(
                f"The schema for {what} needs at least 1 metadata field besides USER_ID: a categorical string or a "
                "numerical field."
            )


def _fits(field: Field, rule: Rule) -> bool:
    types, kind = rule
    return field.type in types and field.categorical == (kind == "categorical") and field.textual == (kind == "textual")


def _describe(rule: Rule) -> str:
    types, kind = rule
    plain = ", not categorical" if not kind and types == ("string",) else ""
    return f"{kind + ' ' if kind else ''}{' or '.join(types)}{plain}"


S3Access = Callable[[str, str, Any], str]  # (action, resource ARN, bucket policy) -> why not, or ""


def require_s3(access: S3Access, action: str, bucket: Any, key: str | None = None) -> None:
    """WorkFailed, as Personalize fails a job it cannot read or write for, unless `access` allows the action."""
    resource = f"arn:aws:s3:::{bucket.name}" + (f"/{key}" if key is not None else "")
    why = access(action, resource, bucket.policy.decode() if bucket.policy else None)
    if why:
        raise WorkFailed(
            f"Insufficient privileges for {action} on {resource}: {why}. Personalize needs the role to allow it and "
            f"the bucket policy of {bucket.name} to allow the service principal personalize.amazonaws.com."
        )


def read_objects(account: str, location: str, access: S3Access) -> list[tuple[str, bytes]]:
    """The CSV file at `location`, or every .csv object under it when it is a prefix, as (s3 path, body).

    Read as Personalize reads: listing needs s3:ListBucket on the bucket, each file s3:GetObject (see `access`)."""
    match = re.fullmatch(r"s3://([^/]+)/?(.*)", location)
    if not match:
        raise WorkFailed(f"Invalid S3 location {location}: expected s3://bucket/key or s3://bucket/prefix/.")
    bucket_name, key = match.groups()
    s3 = s3_backends[account]["aws"]
    bucket = s3.buckets.get(bucket_name)
    if bucket is None:
        raise WorkFailed(f"Input data not found at {location}: bucket {bucket_name} does not exist.")
    require_s3(access, "s3:ListBucket", bucket)
    names = sorted(str(k) for k in bucket.keys)
    if key in names and not key.endswith("/"):
        chosen = [key]
    else:
        prefix = key if key.endswith("/") or not key else key + "/"
        chosen = [k for k in names if k.startswith(prefix) and k.lower().endswith(".csv")]
    if not chosen:
        raise WorkFailed(f"Input data not found at {location}: no CSV file there.")
    for name in chosen:
        require_s3(access, "s3:GetObject", bucket, name)
    return [(f"s3://{bucket_name}/{k}", object_body(account, bucket_name, k)) for k in chosen]


def object_body(account: str, bucket: str, key: str) -> bytes:
    """The bytes of one moto S3 object."""
    found = s3_backends[account]["aws"].get_object(bucket, key)
    if found is None:
        raise WorkFailed(f"Input data not found at s3://{bucket}/{key}.")
    return bytes(found.value)


def parse_csv(path: str, body: bytes, fields: list[Field]) -> pd.DataFrame:
    """One CSV file as a typed DataFrame; WorkFailed naming the file, row (1 = header), column and value.

    Read with Arrow's CSV reader, every field as text (an empty cell stays ""), then checked and typed per field."""
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            convert_options=pacsv.ConvertOptions(
                column_types={f.name: pa.string() for f in fields},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise WorkFailed(f"{path}: the file is not a valid CSV ({exc}).") from None
    expected = [f.name for f in fields]
    if table.column_names != expected:
        raise WorkFailed(
            f"{path}: the header {table.column_names} does not match the schema fields {expected} "
            "(names and order must be equal)."
        )
    raw = table.to_pandas()
    return pd.DataFrame({f.name: _column(path, raw[f.name], f) for f in fields})


def _column(path: str, values: pd.Series, field: Field) -> pd.Series:
    empty = values.str.len() == 0
    if not field.nullable and empty.any():
        _fail(path, values, empty, field, "is empty but the field is not nullable")
    present = values[~empty]
    if field.type in ("long", "int"):
        _fail(path, values, ~present.str.fullmatch(r"[+-]?\d+"), field, f"is not a {field.type}")
        numbers = _numbers(path, values, present, field, "int64")
        if field.type == "int":
            _fail(path, values, (numbers < -INT32) | (numbers >= INT32), field, "is out of range for an int")
        return numbers if not field.nullable else numbers.astype("Int64").reindex(values.index)
    if field.type in ("float", "double"):
        return _numbers(path, values, present, field, "float64").reindex(values.index)
    if field.type == "boolean":
        _fail(path, values, ~present.isin(["true", "false"]), field, "is not a boolean (true or false, lowercase)")
        return values.map({"true": True, "false": False}).astype("boolean" if field.nullable else "bool")
    return values.where(~empty, None).astype("string" if field.nullable else "str")


def _numbers(path: str, values: pd.Series, present: pd.Series, field: Field, dtype: str) -> pd.Series:
    """`present` as numbers (Arrow's cast, fast); a value that does not convert fails naming its row."""
    try:
        numbers = present.astype(dtype)
    except (ValueError, TypeError, OverflowError, pa.ArrowInvalid):
        numbers = pd.to_numeric(present, errors="coerce")
        _fail(path, values, numbers.abs() >= 2**63, field, f"is out of range for a {field.type}")
    _fail(path, values, numbers.isna(), field, f"is not a {field.type}")  # "NaN" too, as before
    return numbers


def _fail(path: str, values: pd.Series, bad: pd.Series, field: Field, why: str) -> None:
    bad = bad.reindex(values.index, fill_value=False)
    if bad.any():
        index = bad[bad].index[0]
        row = values.index.get_loc(index) + 2  # 1-based, after the header row
        raise WorkFailed(f"{path}: row {row}, column {field.name}: value {values[index]!r} {why}.")


def merge(current: pd.DataFrame | None, new: pd.DataFrame, dataset_type: str, mode: str) -> pd.DataFrame:
    """FULL replaces the bulk data; INCREMENTAL appends, and replaces items/users with the same id."""
    if mode == "FULL" or current is None:
        return new.reset_index(drop=True)
    combined = pd.concat([current, new], ignore_index=True)
    key = ID_COLUMN.get(dataset_type)
    if key:
        combined = combined.drop_duplicates(subset=[key], keep="last").reset_index(drop=True)
    return combined
