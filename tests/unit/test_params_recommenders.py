"""Params of a domain dataset group: recommenders (each refusal, with its path) and the domain's schema fields."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from workflow.errors import InvalidParamsError
from workflow.params import Params, load_params

REPO = Path(__file__).resolve().parents[2]
VOD: dict[str, Any] = json.loads((REPO / "params" / "vod.json").read_text())


def load(doc: dict[str, Any]) -> Params:
    return load_params(json.dumps(doc), "vod.json", lambda location: (REPO / "params" / location).read_text())


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidParamsError) as caught:
        load(doc)
    return caught.value.problems


def vod(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(VOD)
    doc.update(changes)
    return doc


def test_the_vod_example_loads_with_its_recommenders_and_no_warning() -> None:
    params = load(VOD)
    assert [(r.name, r.recipe) for r in params.recommenders] == [
        ("top-picks", "aws-vod-top-picks"),
        ("more-like-x", "aws-vod-more-like-x"),
        ("most-popular", "aws-vod-most-popular"),
    ]
    assert params.dataset("Interactions").fill == {"EVENT_TYPE": "Watch"}  # type: ignore[union-attr]
    assert params.warnings == []


def test_recommenders_need_a_domain_dataset_group() -> None:
    found = problems(vod(datasetGroup={"name": "vod"}))
    assert found == [
        f"recommenders[{i}]: recommenders need a domain dataset group (CreateRecommender); set datasetGroup.domain to "
        "ECOMMERCE or VIDEO_ON_DEMAND, or train a solution and deploy a campaign instead"
        for i in range(3)
    ]


def test_a_recipe_of_the_other_domain_is_refused_with_the_domains_recipes() -> None:
    doc = vod()
    doc["recommenders"][2]["recipe"] = "aws-ecomm-popular-items-by-views"
    assert problems(doc) == [
        'recommenders[2].recipe: "aws-ecomm-popular-items-by-views" is a ECOMMERCE use case, but datasetGroup.domain '
        "is VIDEO_ON_DEMAND; allowed: aws-vod-because-you-watched-x, aws-vod-more-like-x, aws-vod-most-popular, "
        "aws-vod-trending-now, aws-vod-top-picks"
    ]


def test_a_recipe_that_is_no_domain_use_case_is_refused() -> None:
    doc = vod()
    doc["recommenders"][0]["recipe"] = "aws-user-personalization"
    (problem,) = problems(doc)
    assert problem.startswith('recommenders[0].recipe: "aws-user-personalization" is not a domain recipe; allowed: ')


def test_duplicate_recommender_names_are_refused() -> None:
    doc = vod()
    doc["recommenders"][1]["name"] = "top-picks"
    assert (
        'recommenders[1].name: "top-picks" is also the name of recommenders[0]; names are unique in recommenders'
        in (problems(doc))
    )


def test_a_recommender_named_like_a_campaign_is_refused() -> None:
    doc = vod(
        solutions=[{"name": "up", "recipe": "aws-user-personalization"}],
        campaigns=[{"name": "most-popular", "solution": "up"}],
    )
    assert problems(doc) == [
        'recommenders[2].name: "most-popular" is also campaigns[0]; apps name both as <datasetGroup>/<name>: rename one'
    ]


def test_a_use_case_needing_items_without_an_items_dataset_is_refused() -> None:
    doc = vod(datasets=VOD["datasets"][:1])
    assert problems(doc) == [
        "recommenders[0].recipe: aws-vod-top-picks trains on an Items dataset (required); add one",
        "recommenders[1].recipe: aws-vod-more-like-x trains on an Items dataset (required); add one",
    ]


def test_a_filled_event_type_the_use_case_does_not_train_on_is_refused() -> None:
    doc = vod()
    doc["datasets"][0]["fill"] = {"EVENT_TYPE": "Click"}
    assert problems(doc) == [
        f'recommenders[{i}].recipe: {recipe} trains on Watch events, but every interaction gets the type "Click" '
        '(datasets[Interactions].fill.EVENT_TYPE); use "Watch"'
        for i, recipe in ((0, "aws-vod-top-picks"), (2, "aws-vod-most-popular"))  # More like X: any event type
    ]


def test_only_interactions_can_fill_event_type() -> None:
    doc = vod()
    doc["datasets"][1]["fill"] = {"EVENT_TYPE": "Watch", "CREATION_TIMESTAMP": 0}
    assert problems(doc) == [
        'datasets[1].fill.EVENT_TYPE: "EVENT_TYPE" is not a field of the Items schema; allowed: ITEM_ID, GENRES, '
        "CREATION_TIMESTAMP"
    ]


def test_item_exploration_only_where_the_use_case_personalizes() -> None:
    doc = vod()
    doc["recommenders"][2]["recommenderConfig"] = {"itemExplorationConfig": {"explorationWeight": 2}}
    assert problems(doc) == [
        "recommenders[2].recommenderConfig.itemExplorationConfig: only for use cases that personalize for a user "
        "(aws-vod-top-picks, aws-ecomm-recommended-for-you); aws-vod-most-popular does not: remove it",
        "recommenders[2].recommenderConfig.itemExplorationConfig.explorationWeight: found 2; allowed: a number from "
        "0 to 1",
    ]


def test_training_data_config_must_name_fields_of_the_schemas() -> None:
    doc = vod()
    doc["recommenders"][0]["recommenderConfig"] = {
        "trainingDataConfig": {"excludedDatasetColumns": {"Items": ["GENRE"]}}
    }
    assert problems(doc) == [
        'recommenders[0].recommenderConfig.trainingDataConfig.excludedDatasetColumns.Items: "GENRE" is not a field of '
        'the Items schema; did you mean "GENRES"?'
    ]


def test_domain_schemas_are_checked_before_anything_is_created() -> None:
    doc = vod()
    items = doc["datasets"][1]["schema"]["fields"]
    items[1] = {"name": "GENRES", "type": "int"}  # not a categorical string
    del items[2]  # no CREATION_TIMESTAMP
    del doc["datasets"][1]["fill"]  # nor its constant
    assert problems(doc) == [
        "datasets[1].schema: field GENRES must be string with categorical: true in a VIDEO_ON_DEMAND Items schema; fix "
        "its type",
        "datasets[1].schema: a VIDEO_ON_DEMAND Items schema needs the field CREATION_TIMESTAMP (long); add it "
        "(Personalize's domain schema for Items)",
    ]


def test_a_domain_s_required_field_may_not_allow_null() -> None:
    doc = vod()
    doc["datasets"][1]["schema"]["fields"][2] = {"name": "CREATION_TIMESTAMP", "type": ["null", "long"]}
    assert problems(doc) == [
        "datasets[1].schema: field CREATION_TIMESTAMP is required in a VIDEO_ON_DEMAND Items schema and can't be null; "
        'make its type "long" (Personalize\'s domain schema for Items lists it without null), and when the data has '
        "no such column give it a constant with datasets[1].fill"
    ]


def test_the_vod_example_fills_the_items_creation_timestamp_it_lacks() -> None:
    items = load(VOD).dataset("Items")
    assert items is not None and items.fill == {"CREATION_TIMESTAMP": 788918400}


@pytest.mark.parametrize(
    ("fill", "problem"),
    [
        ({"CREATION_TIMESTAMP": "1995-01-01"}, 'datasets[1].fill.CREATION_TIMESTAMP: found "1995-01-01"; allowed: a '
         "whole number (the Items schema types CREATION_TIMESTAMP long)"),
        ({"CREATION_TIMESTAMP": 1.5}, "datasets[1].fill.CREATION_TIMESTAMP: found 1.5; allowed: a whole number (the "
         "Items schema types CREATION_TIMESTAMP long)"),
        ({"CREATION_TIMESTAMP": True}, "datasets[1].fill.CREATION_TIMESTAMP: found true; allowed: a whole number (the "
         "Items schema types CREATION_TIMESTAMP long)"),
        ({"GENRES": 3, "CREATION_TIMESTAMP": 0}, "datasets[1].fill.GENRES: found 3; allowed: a string (the Items "
         "schema types GENRES string)"),
        ({"CREATION_TIME": 0}, 'datasets[1].fill.CREATION_TIME: "CREATION_TIME" is not a field of the Items schema; '
         'did you mean "CREATION_TIMESTAMP"?'),
    ],
)  # fmt: skip
def test_a_fill_names_a_field_of_the_schema_with_a_value_of_its_type(fill: dict[str, Any], problem: str) -> None:
    doc = vod()
    doc["datasets"][1]["fill"] = fill
    assert problems(doc) == [problem]


def test_a_gate_may_name_a_recommender_but_not_an_unknown_one_nor_segment_metrics() -> None:
    doc = vod(metricsGate=[{"recommender": "top-pick", "minimums": {"hits_at_1_percent": 0.1}}])
    assert problems(doc) == [
        'metricsGate[0].recommender: "top-pick" is not a recommender name; did you mean "top-picks"?',
        'metricsGate[0].minimums.hits_at_1_percent: recommender "top-pick" does not report it (a recommender reports '
        "coverage, precision, NDCG and MRR at K); choose one of those",
    ]


def test_a_gate_names_exactly_one_of_solution_and_recommender() -> None:
    doc = vod(metricsGate=[{"minimums": {"coverage": 0.1}}])
    (problem,) = problems(doc)
    assert problem.startswith("metricsGate[0]") and 'found neither of "solution" and "recommender"' in problem


def test_the_emulator_and_the_params_check_require_the_same_domain_fields() -> None:
    from workflow._domains import REQUIRED_FIELDS

    from autopersonalize.emulator.data import DOMAIN_FIELDS

    emulator = {
        (domain, kind.title(), name): (types, rule == "categorical")
        for domain, kinds in DOMAIN_FIELDS.items()
        for kind, (required, _) in kinds.items()
        for name, (types, rule) in required.items()
    }
    params = {
        (domain, kind, name): ((base,), categorical)
        for domain, kinds in REQUIRED_FIELDS.items()
        for kind, fields in kinds.items()
        for name, base, categorical in fields
    }
    assert emulator == params and len(params) == 16
