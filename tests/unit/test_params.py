"""The params contract: loading, structural errors with paths, helpers, the example files, generated artifacts."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from workflow.errors import InvalidParamsError
from workflow.params import Params, load_params, params_json_schema, params_reference_markdown, resolve_location

REPO = Path(__file__).resolve().parents[2]
NS = "com.amazonaws.personalize.schema"
INTERACTIONS = {
    "type": "record",
    "name": "Interactions",
    "namespace": NS,
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
}
MINIMAL: dict[str, Any] = {
    "datasetGroup": {"name": "shop"},
    "datasets": [{"datasetType": "Interactions", "schema": INTERACTIONS, "dataLocation": "s3://b/interactions/"}],
}


def no_files(location: str) -> str:
    raise FileNotFoundError(location)


def load(doc: object, files: dict[str, str] | None = None, source: str = "/p/params/x.json") -> Params:
    def read(location: str) -> str:
        if files and location in files:
            return files[location]
        raise FileNotFoundError(location)

    return load_params(json.dumps(doc), source, read)


def problems(doc: object, files: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(InvalidParamsError) as caught:
        load(doc, files)
    assert caught.value.source == "/p/params/x.json"
    return caught.value.problems


def test_load_params_applies_every_default() -> None:
    params = load(MINIMAL)
    assert params.solutions == [] and params.campaigns == [] and params.event_tracker is None
    assert params.datasets[0].import_mode == "FULL"
    assert params.notifications.model_dump() == {"on_success": True, "on_failure": True, "on_rejected": True}
    assert (params.polling.initial_interval_seconds, params.polling.max_interval_seconds) == (60, 600)
    assert params.polling.max_wait_seconds == 86400


def test_load_params_sends_perform_auto_training_false_explicitly() -> None:
    doc = {**MINIMAL, "solutions": [{"name": "up", "recipe": "aws-user-personalization-v2"}]}
    solution = load(doc).model_dump(by_alias=True, exclude_none=True)["solutions"][0]
    assert solution == {
        "name": "up",
        "recipe": "aws-user-personalization-v2",
        "trainingMode": "FULL",
        "performHPO": False,
        "performAutoTraining": False,
    }


def test_load_params_accepts_the_dollar_schema_key() -> None:
    assert load({"$schema": "../schemas/params.schema.json", **MINIMAL}).schema_ref == "../schemas/params.schema.json"


def test_load_params_reports_an_unknown_key_with_the_allowed_ones() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["datasetGroup"]["domian"] = "ECOMMERCE"
    assert problems(doc) == [
        "datasetGroup.domian: unknown key; allowed keys here: name, domain, kmsKeyArn, roleArn, tags;"
        ' did you mean "domain"?'
    ]


def test_load_params_reports_missing_required_keys() -> None:
    assert problems({"datasetGroup": {}}) == [
        "datasetGroup.name: missing; this key is required",
        "datasets: missing; this key is required",
    ]


def test_load_params_reports_a_misspelt_recipe_with_a_suggestion() -> None:
    doc = {
        **MINIMAL,
        "solutions": [{"name": "a", "recipe": "aws-sims"}, {"name": "b", "recipe": "aws-user-personalisation"}],
    }
    assert problems(doc) == [
        'solutions[1].recipe: "aws-user-personalisation" is not a recipe; did you mean "aws-user-personalization"?'
    ]


def test_load_params_accepts_recipe_arns_and_rejects_malformed_ones() -> None:
    good = {**MINIMAL, "solutions": [{"name": "a", "recipe": "arn:aws:personalize:::recipe/aws-sims"}]}
    assert load(good).recipe_arn("a") == "arn:aws:personalize:::recipe/aws-sims"
    bad = {**MINIMAL, "solutions": [{"name": "a", "recipe": "arn:aws:personalize:us-east-1::recipe/aws-sims"}]}
    assert problems(bad) == [
        'solutions[0].recipe: "arn:aws:personalize:us-east-1::recipe/aws-sims" is not a recipe ARN;'
        " allowed: arn:aws:personalize:::recipe/<name>"
    ]


def test_load_params_rejects_invalid_names_per_the_service_pattern() -> None:
    doc = {**MINIMAL, "datasetGroup": {"name": "-shop"}, "filters": [{"name": "x" * 64, "filterExpression": "x"}]}
    found = problems(doc)
    assert (
        found[0]
        == 'datasetGroup.name: found "-shop"; allowed: letters, digits, - and _, starting with a letter or digit'
    )
    assert found[1] == "filters[0].name: found 64 characters; allowed: at most 63"


def test_load_params_reports_wrong_types_without_coercion() -> None:
    doc = {**MINIMAL, "campaigns": [], "solutions": [{"name": "a", "recipe": "aws-sims", "performHPO": "true"}]}
    assert problems(doc) == ['solutions[0].performHPO: found "true"; allowed: true or false']


def test_load_params_reports_bounds() -> None:
    doc = {
        **MINIMAL,
        "solutions": [{"name": "a", "recipe": "aws-sims"}],
        "campaigns": [{"name": "c", "solution": "a", "minProvisionedTPS": 0}],
    }
    assert problems(doc) == ["campaigns[0].minProvisionedTPS: found 0; allowed: >= 1"]


def test_load_params_checks_s3_locations() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["datasets"][0]["dataLocation"] = "/data/interactions.csv"
    assert problems(doc) == [
        'datasets[0].dataLocation: found "/data/interactions.csv"; allowed: an s3://bucket/key file or'
        " s3://bucket/prefix/ ending in /"
    ]


def test_load_params_accepts_numbers_where_the_api_wants_strings() -> None:
    doc = {
        **MINIMAL,
        "solutions": [
            {
                "name": "a",
                "recipe": "aws-sims",
                "solutionConfig": {"algorithmHyperParameters": {"popularity_discount_factor": 0.5}},
            }
        ],
    }
    config = load(doc).solution("a").solution_config
    assert config is not None and config.algorithm_hyper_parameters == {"popularity_discount_factor": "0.5"}


def test_load_params_rejects_unknown_keys_inside_solution_config() -> None:
    doc = {**MINIMAL, "solutions": [{"name": "a", "recipe": "aws-sims", "solutionConfig": {"hpoConfg": {}}}]}
    found = problems(doc)
    assert found[0].startswith(
        "solutions[0].solutionConfig.hpoConfg: unknown key; allowed keys here: eventValueThreshold"
    )
    assert found[0].endswith('did you mean "hpoConfig"?')


def test_load_params_reports_unknown_metric_names_with_a_suggestion() -> None:
    doc = {
        **MINIMAL,
        "solutions": [{"name": "a", "recipe": "aws-sims"}],
        "metricsGate": [{"solution": "a", "minimums": {"precision_at_20": 0.1}}],
    }
    found = problems(doc)
    assert found[0].startswith('metricsGate[0].minimums.precision_at_20: found "precision_at_20"; allowed: coverage, ')
    assert found[0].endswith('did you mean "precision_at_25"?')


def test_load_params_reports_every_problem_at_once() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["colour"] = "blue"
    doc["datasets"][0]["datasetType"] = "Users"
    doc["campaigns"] = [{"name": "c", "solution": "ghost"}]
    found = problems(doc)
    assert any(p.startswith("colour: unknown key") for p in found)
    assert 'datasets: no dataset has datasetType "Interactions"; add one (Personalize trains on it)' in found
    assert 'campaigns[0].solution: "ghost" is not a solution name; this file has no solutions' in found


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty; expected a JSON object of params (see docs/params.md)"),
        ("{", "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        ("[1]", "the top level is a list; expected a JSON object of params"),
        (
            '{"datasetGroup": {}, "datasetGroup": {}}',
            'key(s) "datasetGroup" appear twice in one object (JSON keeps only the last); remove one',
        ),
    ],
)
def test_load_params_reports_unreadable_documents_in_one_line(text: str, problem: str) -> None:
    with pytest.raises(InvalidParamsError) as caught:
        load_params(text, "x.json", no_files)
    assert caught.value.problems == [problem]
    assert str(caught.value) == f"x.json: 1 problem(s):\n  - {problem}"


def test_load_params_reads_schema_files_relative_to_the_params_file() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["datasets"][0] = {"datasetType": "Interactions", "schemaFile": "../schemas/i.avsc", "dataLocation": "s3://b/i/"}
    params = load(doc, {"/p/schemas/i.avsc": json.dumps(INTERACTIONS)})
    assert params.schema_for("Interactions") == INTERACTIONS
    assert params.resolved_dict()["datasets"][0] == {
        "datasetType": "Interactions",
        "schema": INTERACTIONS,
        "dataLocation": "s3://b/i/",
        "importMode": "FULL",
    }


def test_load_params_reports_a_missing_schema_file() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["datasets"][0] = {"datasetType": "Interactions", "schemaFile": "i.avsc", "dataLocation": "s3://b/i/"}
    assert problems(doc) == [
        'datasets[0].schemaFile: "i.avsc" not found (looked for /p/params/i.avsc); give a path relative to'
        " /p/params/x.json or an s3:// URI"
    ]


def test_load_params_reports_problems_inside_a_schema_file_with_its_path() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["datasets"][0] = {"datasetType": "Interactions", "schemaFile": "i.avsc", "dataLocation": "s3://b/i/"}
    broken = {**INTERACTIONS, "namespace": "x"}
    assert problems(doc, {"/p/params/i.avsc": json.dumps(broken)}) == [
        f'datasets[0].schemaFile("i.avsc").namespace: found "x"; allowed: "{NS}"'
    ]
    assert problems(doc, {"/p/params/i.avsc": "{oops"}) == [
        'datasets[0].schemaFile: "i.avsc" is not valid JSON: Expecting property name enclosed in double quotes'
        " at line 1 column 2"
    ]


def test_load_params_reports_problems_inside_an_inline_schema_with_its_path() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["datasets"][0]["schema"]["fields"][2]["type"] = "string"
    assert problems(doc) == ['datasets[0].schema.fields: required field TIMESTAMP has type "string"; allowed: "long"']


def test_dataset_needs_exactly_one_of_schema_and_schema_file() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["datasets"][0]["schemaFile"] = "i.avsc"
    assert problems(doc)[0] == 'datasets[0]: found both of "schema" and "schemaFile"; give exactly one'
    del doc["datasets"][0]["schemaFile"], doc["datasets"][0]["schema"]
    assert problems(doc) == ['datasets[0]: found neither of "schema" and "schemaFile"; give exactly one']


@pytest.mark.parametrize(
    ("source", "reference", "location"),
    [
        ("s3://bkt/params/demo.json", "../schemas/i.avsc", "s3://bkt/schemas/i.avsc"),
        ("s3://bkt/params/demo.json", "s3://other/i.avsc", "s3://other/i.avsc"),
        ("params/demo.json", "../schemas/i.avsc", "schemas/i.avsc"),
        ("/repo/params/demo.json", "/abs/i.avsc", "/abs/i.avsc"),
    ],
)
def test_resolve_location(source: str, reference: str, location: str) -> None:
    assert resolve_location(source, reference) == location


def test_params_model_validate_runs_the_cross_checks_too() -> None:
    doc = {**MINIMAL, "campaigns": [{"name": "c", "solution": "ghost"}]}
    with pytest.raises(ValueError, match=r'campaigns\[0\].solution: "ghost" is not a solution name'):
        Params.model_validate(doc)


def test_resolved_dict_round_trips_through_the_model() -> None:
    params = load_params((REPO / "params/demo.json").read_text(), str(REPO / "params/demo.json"), _read_local)
    again = Params.model_validate(params.resolved_dict())
    assert again.schema_for("Items")["name"] == "Items"
    assert again.recipe_type("similar-items") == "RELATED_ITEMS"


def test_schema_for_without_load_params_says_how_to_fix() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["datasets"][0] = {"datasetType": "Interactions", "schemaFile": "i.avsc", "dataLocation": "s3://b/i/"}
    params = Params.model_validate(doc)
    with pytest.raises(LookupError, match=r"schemaFile 'i\.avsc' was not loaded: build Params with load_params"):
        params.schema_for("Interactions")


def test_load_params_warns_when_a_derived_name_is_shortened() -> None:
    doc = {**MINIMAL, "solutions": [{"name": "s" * 60, "recipe": "aws-sims"}]}
    params = load_params(json.dumps(doc), "x.json", no_files, prefix="autopersonalize")
    assert len(params.warnings) == 1
    assert params.warnings[0].startswith('solutions[0].name: the Personalize name "autopersonalize-shop-sss')
    assert "is over 63 characters; it becomes" in params.warnings[0]


def test_load_params_checks_a_domain_schema_against_the_domains_required_fields() -> None:
    assert problems({**MINIMAL, "datasetGroup": {"name": "shop", "domain": "ECOMMERCE"}}) == [
        "datasets[0].schema: a ECOMMERCE Interactions schema needs the field EVENT_TYPE (string); add it (Personalize's"
        " domain schema for Interactions)"
    ]


def test_load_params_rejects_a_stack_prefix_that_cannot_start_a_name() -> None:
    with pytest.raises(InvalidParamsError) as caught:
        load_params(json.dumps(MINIMAL), "x.json", no_files, prefix="-prod")
    assert caught.value.problems == [
        'stack prefix "-prod": allowed: letters, digits, - and _, starting with a letter or digit'
    ]


def _read_local(location: str) -> str:
    return Path(location).read_text()


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "params").glob("*.json")))
def test_example_params_files_are_valid(name: str) -> None:
    path = REPO / "params" / name
    load_params(path.read_text(), str(path), _read_local, prefix="autopersonalize")


@pytest.mark.parametrize("name", ["demo.json", "movielens.json"])
def test_example_params_files_match_the_json_schema(name: str) -> None:
    document = json.loads((REPO / "params" / name).read_text())
    jsonschema.validate(document, params_json_schema())


def test_params_schema_json_is_generated_from_the_model() -> None:
    committed = json.loads((REPO / "schemas/params.schema.json").read_text())
    assert committed == params_json_schema(), (
        "schemas/params.schema.json is out of date; regenerate it with:"
        " .venv/bin/python -m autopersonalize schema > schemas/params.schema.json"
    )


def test_docs_params_md_is_generated_from_the_model() -> None:
    committed = (REPO / "docs/params.md").read_text()
    assert committed == params_reference_markdown(), (
        "docs/params.md is out of date; regenerate it with:"
        " .venv/bin/python -m autopersonalize schema --markdown > docs/params.md"
    )


def _mutations(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON document."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _mutations(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _mutations(value, (*path, index))
    return found


@pytest.mark.parametrize("name", ["demo.json", "mlops-sample.json", "vod.json"])
def test_load_params_never_crashes_on_malformed_documents(name: str) -> None:
    """GIVEN an example with one node replaced by a value of another shape, THEN InvalidParamsError or success."""
    demo = json.loads((REPO / "params" / name).read_text())
    replacements: list[Any] = [None, 0, -1, 1.5, True, "", "x", [], [{}], {}, {"a": []}, [[1]], ["Interactions"]]
    rng = random.Random(7)
    paths = [p for p in _mutations(demo) if p]
    for path in rng.sample(paths, min(len(paths), 150)):
        for value in rng.sample(replacements, 4):
            document = copy.deepcopy(demo)
            target = document
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
            try:
                load_params(json.dumps(document), str(REPO / "params" / name), _read_local)
            except InvalidParamsError as error:
                assert error.problems and all(isinstance(p, str) and p for p in error.problems)
