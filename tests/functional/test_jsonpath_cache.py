"""moto's Step Functions interpreter parses each JSONPath once per process (autopersonalize/local/jsonpath_cache.py)."""

from __future__ import annotations

import pytest
from jsonpath_ng.exceptions import JsonPathParserError
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path

from autopersonalize.local import jsonpath_cache


def test_jsonpath_cache_parses_each_path_once_and_evaluates_as_before() -> None:
    jsonpath_cache.install()
    jsonpath_cache.install()  # idempotent: no cache wrapped in another

    assert json_path.parse("$.datasetGroup.poll") is json_path.parse("$.datasetGroup.poll")
    assert result_path.parse("$.poll") is result_path.parse("$.poll")
    assert json_path.extract_json("$.a.b", {"a": {"b": 1}}) == 1
    assert json_path.extract_json("$.a.b", {"a": {"b": [2, 3]}}) == [2, 3]  # the same expression, new data
    state = {"x": 1}
    assert result_path.parse("$.poll").update_or_create(state, {"attempt": 1}) == {"x": 1, "poll": {"attempt": 1}}


def test_jsonpath_cache_bad_path_raises_at_every_parse() -> None:
    jsonpath_cache.install()

    for _ in range(2):
        with pytest.raises(JsonPathParserError, match="Parse error near the end of string"):
            json_path.parse("$.a[")
