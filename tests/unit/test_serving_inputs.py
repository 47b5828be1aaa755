"""Request checking for get_recommendations: every field's rule, and every problem reported at once."""

from __future__ import annotations

from typing import Any

import pytest
from serving.errors import BadRequestError
from serving.inputs import Query, parse


def problems(action: Any, raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(BadRequestError) as caught:
        parse(action, raw)
    return dict(caught.value.problems)


def test_parse_recommendations_from_query_strings() -> None:
    query = parse(
        "recommendations",
        {
            "userId": "u1",
            "numResults": "7",
            "filter": "category",
            "filterValues": '{"CATEGORY": ["shoes", "socks"]}',
            "context": '{"DEVICE": "ios"}',
            "metadataColumns": "TITLE, CATEGORY",
        },
    )
    assert query == Query(
        action="recommendations",
        user_id="u1",
        num_results=7,
        filter="category",
        filter_values={"CATEGORY": '"shoes","socks"'},
        context={"DEVICE": "ios"},
        metadata_columns=("TITLE", "CATEGORY"),
    )


def test_parse_rankings_from_json_values() -> None:
    query = parse("rankings", {"userId": "u1", "items": ["i1", "i2"], "context": {"HOUR": 9}})
    assert (query.user_id, query.items, query.context) == ("u1", ("i1", "i2"), {"HOUR": "9"})


def test_parse_related_items_takes_an_optional_user() -> None:
    assert parse("related-items", {"itemId": "i9"}).item_id == "i9"
    assert parse("related-items", {"itemId": "i9", "userId": "u1", "numResults": 3}).num_results == 3


def test_parse_filter_values_keeps_personalize_quoted_values_and_numbers() -> None:
    query = parse(
        "recommendations",
        {"userId": "u", "filter": "f", "filterValues": {"A": '"already","quoted"', "B": 1970, "C": "plain"}},
    )
    assert query.filter_values == {"A": '"already","quoted"', "B": "1970", "C": '"plain"'}


def test_parse_reports_every_problem_with_its_field() -> None:
    found = problems("recommendations", {"numResults": "0", "userid": "u1", "filterValues": "{}x"})
    assert set(found) == {"userId", "numResults", "userid", "filterValues"}
    assert found["userId"] == "required"
    assert found["numResults"] == "expected a whole number from 1 to 500, found '0'"
    assert found["userid"].startswith("unknown parameter for recommendations; expected one of userId, numResults")
    assert found["filterValues"] == 'expected a JSON object such as {"NAME": "value"}, found \'{}x\''


def test_parse_rejects_more_than_500_results() -> None:
    assert problems("recommendations", {"userId": "u", "numResults": 501})["numResults"] == (
        "expected a whole number from 1 to 500, found 501"
    )


def test_parse_rejects_a_boolean_as_num_results() -> None:
    assert "found true" in problems("recommendations", {"userId": "u", "numResults": True})["numResults"]


def test_parse_rejects_filter_values_without_a_filter() -> None:
    found = problems("recommendations", {"userId": "u", "filterValues": {"A": "x"}})
    assert found == {"filterValues": "given without filter; name the filter whose placeholders these fill"}


def test_parse_rejects_a_filter_name_that_could_escape_its_ssm_path() -> None:
    found = problems("recommendations", {"userId": "u", "filter": "../campaigns/x"})
    assert found["filter"] == (
        "expected a filter name (letters, digits, '-' and '_', at most 63), found '../campaigns/x'"
    )


def test_parse_rejects_a_bad_placeholder_name() -> None:
    found = problems("recommendations", {"userId": "u", "filter": "f", "filterValues": {"$CAT": "x"}})
    assert found["filterValues"] == "placeholder name '$CAT' must be 1-50 letters, digits or '_' (the $NAME without $)"


def test_parse_rejects_a_context_value_that_is_not_a_string() -> None:
    found = problems("recommendations", {"userId": "u", "context": {"DEVICE": ["a"]}})
    assert found["context"] == "value of 'DEVICE' must be a string of at most 1000 characters, found [\"a\"]"


def test_parse_rankings_requires_items_and_caps_them_at_500() -> None:
    assert problems("rankings", {"userId": "u"}) == {"items": "required"}
    assert problems("rankings", {"userId": "u", "items": ["i"] * 501}) == {
        "items": "expected 1 to 500 item ids, found 501"
    }


def test_parse_rankings_rejects_non_string_items() -> None:
    found = problems("rankings", {"userId": "u", "items": ["i1", 2]})
    assert found["items"] == 'expected a list of item ids (strings of 1 to 256 characters), found ["i1", 2]'


def test_parse_rejects_a_user_id_longer_than_256() -> None:
    found = problems("recommendations", {"userId": "u" * 257})
    assert found["userId"].startswith("expected a string of 1 to 256 characters, found 'uuuu")


def test_parse_rankings_refuses_num_results() -> None:
    found = problems("rankings", {"userId": "u", "items": ["i"], "numResults": 3})
    assert found == {
        "numResults": "unknown parameter for rankings; expected one of userId, items, filter, filterValues, "
        "context, metadataColumns"
    }
