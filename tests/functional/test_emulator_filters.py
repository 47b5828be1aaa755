"""Filter expressions: the parser's errors at CreateFilter, and evaluation of each operator against small data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from autopersonalize.emulator import filters
from autopersonalize.emulator.model import PersonalizeError
from autopersonalize.local import offline_aws

ITEMS = pd.DataFrame(
    {
        "ITEM_ID": ["a", "b", "c", "d"],
        "GENRE": ["comedy|drama", "drama", "horror", None],
        "PRICE": [5.0, 15.0, 25.0, 35.0],
    }
)
HISTORY = pd.DataFrame(
    {
        "USER_ID": ["u"] * 3,
        "ITEM_ID": ["a", "c", "d"],
        "TIMESTAMP": [1, 2, 3],
        "EVENT_TYPE": ["click", "purchase", "click"],
    }
)
IDS = np.array(["a", "b", "c", "d"], dtype=object)


def allowed(expression: str, values: dict[str, str] | None = None, user: dict[str, Any] | None = None) -> list[str]:
    parts = filters.bind(filters.parse(expression), values or {})
    mask = filters.mask_function(parts, filters.FilterContext(ITEMS, HISTORY, user))(IDS)
    return [str(i) for i in IDS[mask]]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('INCLUDE ItemID WHERE Items.GENRE IN ("drama")', ["a", "b"]),
        ('EXCLUDE ItemID WHERE Items.GENRE IN ("drama", "horror")', ["d"]),
        ('INCLUDE ItemID WHERE Items.GENRE NOT IN ("drama")', ["c", "d"]),
        ("INCLUDE ItemID WHERE Items.PRICE < 20", ["a", "b"]),
        ("INCLUDE ItemID WHERE Items.PRICE >= 25", ["c", "d"]),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("*")', ["a", "b", "c"]),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("drama") AND Items.PRICE > 10', ["b"]),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("horror") OR Items.PRICE <= 5', ["a", "c"]),
        ('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")', ["a", "b", "d"]),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', ["a", "d"]),
        (
            'EXCLUDE ItemID WHERE Items.GENRE IN ("horror") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE = "click"',
            ["b"],
        ),
    ],
)
def test_emulator_filter_operators(expression: str, expected: list[str]) -> None:
    assert allowed(expression) == expected


def test_emulator_filter_placeholders_and_current_user() -> None:
    assert allowed("INCLUDE ItemID WHERE Items.GENRE IN ($G)", {"G": '"horror","comedy"'}) == ["a", "c"]
    assert allowed("INCLUDE ItemID WHERE Items.PRICE < $MAX", {"MAX": "16"}) == ["a", "b"]
    when = 'EXCLUDE ItemID WHERE Items.PRICE > 10 IF CurrentUser.SEGMENT = "kid"'
    assert allowed(when, user={"SEGMENT": "kid"}) == ["a"]
    assert allowed(when, user={"SEGMENT": "adult"}) == ["a", "b", "c", "d"]
    both = "INCLUDE ItemID WHERE Items.GENRE IN ($G) | EXCLUDE ItemID WHERE Items.PRICE > $P"
    # an EXCLUDE without its value is not used; an INCLUDE needs its values (GetRecommendations filterValues)
    assert allowed(both, {"G": '"horror","comedy"'}) == ["a", "c"]
    assert allowed(both, {"G": '"horror","comedy"', "P": "16"}) == ["a"]
    with pytest.raises(PersonalizeError) as error:
        allowed(both, {"P": "16"})
    assert (error.value.code, error.value.message) == (
        "InvalidInputException",
        "filterValues: the filter uses $G but filterValues has no value for G.",
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("INCLUDE ItemID Items.GENRE IN ('x')", "filterExpression: cannot read \"'x')\" at character 32."),
        (
            'KEEP ItemID WHERE Items.GENRE IN ("x")',
            "filterExpression: expected INCLUDE or EXCLUDE but found 'KEEP' (token 1).",
        ),
        (
            'INCLUDE ItemID WHERE Users.AGE IN ("x")',
            "filterExpression: expected ITEMS or INTERACTIONS but found 'Users' (token 4).",
        ),
        (
            'INCLUDE ItemID WHERE Items.GENRE IN ("x"',
            "filterExpression: expected ) but found the end of the expression (token 10).",
        ),
        (
            'INCLUDE ItemID WHERE Items.GENRE LIKE "x"',
            "filterExpression: expected IN or NOT or = or < or > or <= or >= but found 'LIKE' (token 7).",
        ),
        (
            'INCLUDE ItemID WHERE Items.GENRE IN ("x") AND Interactions.EVENT_TYPE IN ("click")',
            "filterExpression: Items and Interactions conditions cannot be combined in one filter part.",
        ),
    ],
)
def test_emulator_filter_rejects_invalid_expressions(expression: str, message: str) -> None:
    with pytest.raises(PersonalizeError) as error:
        filters.parse(expression)
    assert (error.value.code, error.value.message) == ("InvalidInputException", message)


@pytest.fixture
def personalize() -> Iterator[Any]:
    with offline_aws("immediate"):
        yield boto3.client("personalize")


def test_emulator_create_filter_rejects_invalid_expression(personalize: Any) -> None:
    group = personalize.create_dataset_group(name="dg")["datasetGroupArn"]
    with pytest.raises(ClientError) as error:
        personalize.create_filter(name="f", datasetGroupArn=group, filterExpression="INCLUDE ItemID WHERE")
    assert error.value.response["Error"]["Code"] == "InvalidInputException"
    assert error.value.response["Error"]["Message"] == (
        "filterExpression: expected ITEMS or INTERACTIONS but found the end of the expression (token 4)."
    )
    assert personalize.list_filters(datasetGroupArn=group)["Filters"] == []
