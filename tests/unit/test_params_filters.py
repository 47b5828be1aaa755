"""Filter expressions in params: the basic grammar, and that they read only datasets and fields the file has."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from workflow._filter_expr import FilterSyntaxError, parse
from workflow.errors import InvalidParamsError
from workflow.params import load_params

NS = "com.amazonaws.personalize.schema"


def schema(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "S", "namespace": NS, "fields": list(fields)}


BASE: dict[str, Any] = {
    "datasetGroup": {"name": "shop"},
    "datasets": [
        {
            "datasetType": "Interactions",
            "dataLocation": "s3://b/i/",
            "schema": schema(
                {"name": "USER_ID", "type": "string"},
                {"name": "ITEM_ID", "type": "string"},
                {"name": "TIMESTAMP", "type": "long"},
                {"name": "EVENT_TYPE", "type": "string"},
            ),
        },
        {
            "datasetType": "Items",
            "dataLocation": "s3://b/items/",
            "schema": schema(
                {"name": "ITEM_ID", "type": "string"},
                {"name": "GENRE", "type": "string", "categorical": True},
                {"name": "PRICE", "type": "float"},
                {"name": "ON_SALE", "type": "boolean"},
                {"name": "DESCRIPTION", "type": "string", "textual": True},
            ),
        },
        {
            "datasetType": "Users",
            "dataLocation": "s3://b/users/",
            "schema": schema({"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"}),
        },
    ],
}


def filter_problems(expression: str, datasets: list[str] | None = None) -> list[str]:
    document = copy.deepcopy(BASE)
    if datasets is not None:
        document["datasets"] = [d for d in document["datasets"] if d["datasetType"] in datasets]
    document["filters"] = [{"name": "f", "filterExpression": expression}]
    try:
        load_params(json.dumps(document), "x.json", _no_files)
    except InvalidParamsError as error:
        return error.problems
    return []


def _no_files(location: str) -> str:
    raise FileNotFoundError(location)


@pytest.mark.parametrize(
    "expression",
    [
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
        "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)",
        'INCLUDE ItemID WHERE Items.GENRE NOT IN ("Horror", "Gore") AND Items.PRICE < 20',
        "INCLUDE ItemID WHERE Items.PRICE >= 10 IF CurrentUser.AGE > 17"
        ' | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")',
        "EXCLUDE UserID WHERE Users.AGE < 18",
        'include itemid where Items.GENRE in ("a|b")',
    ],
)
def test_filter_expressions_that_follow_the_grammar_pass(expression: str) -> None:
    assert filter_problems(expression) == []


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ('KEEP ItemID WHERE Items.GENRE IN ("a")', 'found "KEEP"; expected EXCLUDE or INCLUDE'),
        ('EXCLUDE Items WHERE Items.GENRE IN ("a")', 'found "Items"; expected ItemID or UserID'),
        ('EXCLUDE ItemID Items.GENRE IN ("a")', 'found "Items.GENRE"; expected WHERE'),
        ('EXCLUDE ItemID WHERE GENRE IN ("a")', 'found "GENRE"; expected a field like Items.GENRE'),
        ('EXCLUDE ItemID WHERE Items.GENRE IN "a"', 'found ""a""; expected "("'),
        ('EXCLUDE ItemID WHERE Items.GENRE IN ("a"', 'found the end; expected ")"'),
        ("EXCLUDE ItemID WHERE Items.GENRE >", "the expression ends too early"),
        (
            "EXCLUDE ItemID WHERE Items.GENRE IN (GENRE)",
            'found "GENRE"; expected a value: "text", a number or a $PARAMETER',
        ),
        (
            'EXCLUDE ItemID WHERE Items.GENRE IN ("a") LIMIT 3',
            'unexpected "LIMIT" after the end of a statement; expected | or the end',
        ),
        ("EXCLUDE ItemID WHERE Items.GENRE IN (#)", 'cannot read "#)" at character 38'),
    ],
)
def test_filter_grammar_errors_say_what_was_expected(expression: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse(expression)
    assert str(caught.value) == message
    assert filter_problems(expression)[0].startswith(
        f"filters[0].filterExpression: {message}; allowed: EXCLUDE|INCLUDE"
    )


def test_filter_reading_a_missing_dataset_is_reported() -> None:
    assert filter_problems('EXCLUDE ItemID WHERE Items.GENRE IN ("a")', datasets=["Interactions"]) == [
        "filters[0].filterExpression: Items.GENRE reads the Items dataset, which this file does not have;"
        " add it or change the filter"
    ]


def test_filter_reading_a_missing_field_is_reported_with_a_suggestion() -> None:
    assert filter_problems('EXCLUDE ItemID WHERE Items.GENRES IN ("a")') == [
        'filters[0].filterExpression: Items.GENRES: the Items schema has no field GENRES; did you mean "GENRE"?'
    ]


def test_filter_naming_an_unknown_dataset_is_reported() -> None:
    assert filter_problems('EXCLUDE ItemID WHERE Products.GENRE IN ("a")') == [
        "filters[0].filterExpression: Products.GENRE: ItemID filters read Items or Interactions after WHERE"
    ]


def test_filter_item_filters_cannot_read_users_after_where() -> None:
    assert filter_problems("EXCLUDE ItemID WHERE Users.AGE < 18") == [
        "filters[0].filterExpression: Users.AGE: ItemID filters read Items or Interactions after WHERE"
    ]


def test_filter_if_reads_current_user_only() -> None:
    assert filter_problems('INCLUDE ItemID WHERE Items.GENRE IN ("a") IF Items.PRICE > 3') == [
        "filters[0].filterExpression: Items.PRICE: after IF only CurrentUser.<FIELD> is allowed"
    ]
    assert filter_problems(
        'INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE > 3', datasets=["Interactions", "Items"]
    ) == [
        "filters[0].filterExpression: CurrentUser.AGE reads the Users dataset, which this file does not have;"
        " add it or change the filter"
    ]


@pytest.mark.parametrize(("field", "kind"), [("ON_SALE", "boolean"), ("DESCRIPTION", "textual")])
def test_filter_cannot_use_boolean_or_textual_fields(field: str, kind: str) -> None:
    assert filter_problems(f'EXCLUDE ItemID WHERE Items.{field} IN ("true")') == [
        f"filters[0].filterExpression: Items.{field}: {kind} fields cannot be used in filters"
    ]


def test_filter_cannot_chain_items_and_interactions_in_one_statement() -> None:
    expression = 'EXCLUDE ItemID WHERE Items.GENRE IN ("a") AND Interactions.EVENT_TYPE IN ("buy")'
    assert filter_problems(expression) == [
        "filters[0].filterExpression: one statement reads both Items and Interactions, which Personalize cannot"
        " chain; split it with |"
    ]
    assert filter_problems(expression.replace(" AND ", " | EXCLUDE ItemID WHERE ")) == []


def test_filter_reads_at_most_five_distinct_fields() -> None:
    document = copy.deepcopy(BASE)
    document["datasets"][1]["schema"]["fields"] += [{"name": f"F{i}", "type": "int"} for i in range(4)]
    conditions = " AND ".join(f"Items.F{i} > 1" for i in range(4))
    document["filters"] = [
        {
            "name": "f",
            "filterExpression": f'INCLUDE ItemID WHERE Items.GENRE IN ("a") AND {conditions} AND Items.PRICE > 1',
        }
    ]
    with pytest.raises(InvalidParamsError) as caught:
        load_params(json.dumps(document), "x.json", _no_files)
    assert caught.value.problems == [
        "filters[0].filterExpression: reads 6 distinct fields; Personalize allows at most 5 per filter"
    ]
