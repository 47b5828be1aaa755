"""The Avro schema checker: the project's schemas pass, and each Personalize rule fails with a message and a path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from workflow.avro import check_schema, field_names

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
NS = "com.amazonaws.personalize.schema"


def record(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "Test", "namespace": NS, "fields": list(fields)}


INTERACTIONS = record(
    {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}, {"name": "TIMESTAMP", "type": "long"}
)
ITEMS = record({"name": "ITEM_ID", "type": "string"}, {"name": "GENRE", "type": "string", "categorical": True})
USERS = record({"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"})


@pytest.mark.parametrize(
    ("file", "dataset_type"), [("interactions", "Interactions"), ("items", "Items"), ("users", "Users")]
)
def test_check_schema_accepts_the_project_schemas(file: str, dataset_type: str) -> None:
    schema = json.loads((SCHEMAS / f"{file}.avsc").read_text())
    assert check_schema(schema, dataset_type) == []


def test_check_schema_accepts_minimal_schemas_of_each_type() -> None:
    assert check_schema(INTERACTIONS, "Interactions") == []
    assert check_schema(ITEMS, "Items") == []
    assert check_schema(USERS, "Users") == []


def test_check_schema_rejects_a_non_record() -> None:
    assert check_schema(["USER_ID"], "Users") == [
        "schema: found a list; allowed: an Avro record schema (a JSON object)"
    ]


def test_check_schema_requires_record_type_and_personalize_namespace() -> None:
    schema = {**INTERACTIONS, "type": "enum", "namespace": "com.example"}
    assert check_schema(schema, "Interactions", "datasets[0].schema") == [
        'datasets[0].schema.type: found "enum"; allowed: "record"',
        f'datasets[0].schema.namespace: found "com.example"; allowed: "{NS}"',
    ]


def test_check_schema_requires_fields() -> None:
    problems = check_schema({**INTERACTIONS, "fields": []}, "Interactions")
    assert problems[0] == "schema.fields: found []; allowed: a non-empty list of field objects"


@pytest.mark.parametrize(
    ("dataset_type", "schema", "missing"),
    [
        (
            "Interactions",
            record({"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}),
            "TIMESTAMP",
        ),
        ("Users", ITEMS, "USER_ID"),
        ("Items", USERS, "ITEM_ID"),
    ],
)
def test_check_schema_reports_a_missing_required_field(dataset_type: str, schema: dict[str, Any], missing: str) -> None:
    problems = check_schema(schema, dataset_type)
    assert any(p.startswith(f"schema.fields: required field {missing} ") and dataset_type in p for p in problems)


def test_check_schema_requires_the_required_types() -> None:
    schema = copy.deepcopy(INTERACTIONS)
    schema["fields"][2]["type"] = "int"
    assert check_schema(schema, "Interactions") == [
        'schema.fields: required field TIMESTAMP has type "int"; allowed: "long"'
    ]


def test_check_schema_rejects_a_nullable_required_field() -> None:
    schema = copy.deepcopy(INTERACTIONS)
    schema["fields"][0]["type"] = ["null", "string"]
    assert check_schema(schema, "Interactions") == [
        'schema.fields[0].type: required field USER_ID must not be nullable; use "string"'
    ]


@pytest.mark.parametrize(
    "bad_type", [{"type": "array", "items": "string"}, "bytes", ["string", "int"], ["null", "null"]]
)
def test_check_schema_allows_only_flat_primitive_types(bad_type: object) -> None:
    schema = record(*INTERACTIONS["fields"], {"name": "EXTRA", "type": bad_type})
    problems = check_schema(schema, "Interactions")
    assert len(problems) == 1
    assert problems[0].startswith("schema.fields[3].type: found ")
    assert (
        'allowed: one of float, double, int, long, string, boolean or a union with null like ["null", "string"]'
        in (problems[0])
    )


def test_check_schema_requires_string_metadata_to_be_categorical() -> None:
    schema = record(*ITEMS["fields"], {"name": "COLOR", "type": "string"})
    assert check_schema(schema, "Items") == [
        'schema.fields[2]: string metadata field "COLOR" is neither categorical nor textual, so Personalize ignores it'
        ' in training; add "categorical": true (or "textual": true for free text)'
    ]


def test_check_schema_allows_textual_only_in_items() -> None:
    schema = record(*USERS["fields"], {"name": "BIO", "type": "string", "textual": True})
    assert check_schema(schema, "Users") == [
        'schema.fields[2].textual: textual fields exist only in Items schemas, not "Users"'
    ]
    assert (
        check_schema(record(*ITEMS["fields"], {"name": "DESCRIPTION", "type": "string", "textual": True}), "Items")
        == []
    )


def test_check_schema_allows_one_textual_field() -> None:
    text = [{"name": f"TEXT{i}", "type": "string", "textual": True} for i in range(2)]
    assert check_schema(record(*ITEMS["fields"], *text), "Items") == [
        "schema.fields: at most 1 textual field; found 2: ['TEXT0', 'TEXT1']"
    ]


def test_check_schema_rejects_categorical_on_non_strings() -> None:
    schema = record(*USERS["fields"], {"name": "SCORE", "type": "int", "categorical": True})
    assert check_schema(schema, "Users") == [
        'schema.fields[2]: only string fields can be categorical or textual; "SCORE" is "int"'
    ]


def test_check_schema_checks_reserved_field_types() -> None:
    schema = record(*INTERACTIONS["fields"], {"name": "EVENT_VALUE", "type": "string"})
    assert check_schema(schema, "Interactions") == [
        'schema.fields[3].type: reserved field EVENT_VALUE has type "string"; allowed: "float" or "double"'
        " (or a union with null)"
    ]


def test_check_schema_rejects_categorical_event_type() -> None:
    schema = record(*INTERACTIONS["fields"], {"name": "EVENT_TYPE", "type": "string", "categorical": True})
    assert check_schema(schema, "Interactions") == [
        "schema.fields[3].categorical: EVENT_TYPE must not be categorical; remove the flag"
    ]


def test_check_schema_flags_reserved_names_in_lower_case() -> None:
    schema = record({"name": "user_id", "type": "string"}, {"name": "AGE", "type": "int"})
    problems = check_schema(schema, "Users")
    assert problems == [
        'schema.fields[0].name: found "user_id"; Personalize\'s reserved name is "USER_ID" (upper case)',
        'schema.fields: required field USER_ID (type "string") is missing for Users',
    ]


def test_check_schema_rejects_duplicate_names_ignoring_case() -> None:
    schema = record(*USERS["fields"], {"name": "age", "type": "int"})
    assert check_schema(schema, "Users") == [
        'schema.fields[2].name: "age" appears twice (names are compared ignoring case); rename one'
    ]


@pytest.mark.parametrize("bad_name", ["1ST", "FIRST-NAME", "ÄGE", "", "X" * 151])
def test_check_schema_requires_alphanumeric_underscore_names(bad_name: str) -> None:
    problems = check_schema(record(*USERS["fields"], {"name": bad_name, "type": "int"}), "Users")
    assert len(problems) == 1
    assert problems[0].startswith("schema.fields[2].name: found ")
    assert problems[0].endswith(
        "allowed: letters, digits and underscores, not starting with a digit, at most 150 characters"
    )


def test_check_schema_requires_metadata_in_users_and_items() -> None:
    assert check_schema(record({"name": "USER_ID", "type": "string"}), "Users") == [
        "schema.fields: Users needs at least 1 metadata field(s); found none"
    ]
    assert check_schema(record({"name": "ITEM_ID", "type": "string"}), "Items") == [
        "schema.fields: Items needs at least 1 metadata field(s); found none"
    ]


@pytest.mark.parametrize(("dataset_type", "base", "limit"), [("Interactions", INTERACTIONS, 5), ("Users", USERS, 25)])
def test_check_schema_limits_metadata_fields(dataset_type: str, base: dict[str, Any], limit: int) -> None:
    fields = [f for f in base["fields"] if f["name"] != "AGE"]
    extra = [{"name": f"M{i}", "type": "int"} for i in range(limit + 1)]
    assert check_schema(record(*fields, *extra), dataset_type) == [
        f"schema.fields: {dataset_type} allows at most {limit} metadata fields; found {limit + 1}"
    ]
    assert check_schema(record(*fields, *extra[:limit]), dataset_type) == []


def test_check_schema_does_not_count_reserved_interaction_fields_as_metadata() -> None:
    reserved: list[dict[str, Any]] = [
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": ["null", "float"]},
        {"name": "IMPRESSION", "type": ["null", "string"]},
    ]
    extra = [{"name": f"M{i}", "type": "int"} for i in range(5)]
    assert check_schema(record(*INTERACTIONS["fields"], *reserved, *extra), "Interactions") == []


def test_field_names_lists_the_header_in_order() -> None:
    assert field_names(INTERACTIONS) == ["USER_ID", "ITEM_ID", "TIMESTAMP"]
