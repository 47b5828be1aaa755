"""The ml_ops sample's params.json format: detected, converted with a warning, problems shown in its own terms."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from workflow.errors import InvalidParamsError
from workflow.params import Params, load_params

SAMPLE = Path(__file__).resolve().parents[2] / "params" / "mlops-sample.json"


def sample() -> dict[str, Any]:
    return dict(json.loads(SAMPLE.read_text()))


def load(document: dict[str, Any], source: str = "s3://my-bucket/params.json") -> Params:
    return load_params(json.dumps(document), source, _no_files)


def _no_files(location: str) -> str:
    raise FileNotFoundError(location)


def test_mlops_sample_is_converted_to_the_params_model() -> None:
    params = load(sample())
    assert [(d.dataset_type, d.data_location) for d in params.datasets] == [
        ("Interactions", "s3://my-bucket/Interactions/"),
        ("Items", "s3://my-bucket/Items/"),
    ]
    assert [(s.name, s.recipe, s.perform_auto_training) for s in params.solutions] == [
        ("mlops-demo-user-personalization", "arn:aws:personalize:::recipe/aws-user-personalization", False),
        ("mlops-demo-sims", "arn:aws:personalize:::recipe/aws-sims", False),
    ]
    assert [(c.name, c.solution) for c in params.campaigns] == [
        ("mlops-demo-user-personalization", "mlops-demo-user-personalization"),
        ("mlops-demo-sims", "mlops-demo-sims"),
    ]
    assert params.event_tracker is not None and params.event_tracker.name == "mlops-demo-tracker"


def test_mlops_conversion_comes_with_a_warning() -> None:
    warnings = load(sample()).warnings
    assert len(warnings) == 1
    assert warnings[0].startswith("s3://my-bucket/params.json: ml_ops sample format detected and converted: data is")
    assert "s3://my-bucket/<DatasetType>/" in warnings[0]


def test_mlops_warning_says_nothing_of_a_default_location_when_every_dataset_has_one() -> None:
    """publish_params fills dataLocation into an ml_ops template: the <DatasetType>/ default is then not used."""
    document = sample()
    for kind, dataset in document["datasets"].items():
        dataset["dataLocation"] = f"s3://my-bucket/exports/run-1/{kind.lower()}/"

    params = load(document)

    assert [d.data_location for d in params.datasets] == [
        "s3://my-bucket/exports/run-1/interactions/",
        "s3://my-bucket/exports/run-1/items/",
    ]
    assert "data is read from" not in params.warnings[0]
    assert "ml_ops sample format detected and converted: resource names come from" in params.warnings[0]


def test_mlops_local_file_uses_a_bucket_placeholder() -> None:
    params = load(sample(), source="params/mlops-sample.json")
    assert params.datasets[0].data_location == "s3://BUCKET/Interactions/"


def test_our_format_gives_no_warning() -> None:
    interactions = sample()["datasets"]["Interactions"]["schema"]
    document = {
        "datasetGroup": {"name": "g"},
        "datasets": [{"datasetType": "Interactions", "schema": interactions, "dataLocation": "s3://b/i/"}],
    }
    assert load(document).warnings == []


def test_mlops_is_detected_from_a_keyed_datasets_block_alone() -> None:
    document = {"datasetGroup": {"name": "g"}, "datasets": {"Interactions": sample()["datasets"]["Interactions"]}}
    assert load(document).warnings[0].startswith("s3://my-bucket/params.json: ml_ops sample format detected")


def test_mlops_problems_use_the_mlops_paths() -> None:
    document = sample()
    document["solutions"]["sims"]["recipeArn"] = "arn:aws:personalize:::recipe/aws-simz"
    del document["datasets"]["Interactions"]
    document["campaigns"]["personalizedRankingCampaign"] = {"name": "ranking", "minProvisionedTPS": 1}
    with pytest.raises(InvalidParamsError) as caught:
        load(document)
    assert caught.value.problems == [
        'datasets: no dataset has datasetType "Interactions"; add one (Personalize trains on it)',
        'solutions.sims.recipeArn: "arn:aws:personalize:::recipe/aws-simz" is not a recipe; did you mean "aws-sims"?',
        "campaigns.personalizedRankingCampaign.solution: \"(no solution slot 'personalizedRanking')\" is not a"
        " solution name; allowed: mlops-demo-user-personalization, mlops-demo-sims",
    ]


def test_mlops_singular_solution_and_campaign_are_accepted() -> None:
    document = sample()
    document["solution"] = document.pop("solutions")["userPersonalization"]
    document["campaign"] = document.pop("campaigns")["userPersonalizationCampaign"]
    params = load(document)
    assert [c.solution for c in params.campaigns] == ["mlops-demo-user-personalization"]


def test_mlops_extra_keys_are_reported_in_their_place() -> None:
    document = copy.deepcopy(sample())
    document["solutions"]["sims"]["performAutoML"] = True
    with pytest.raises(InvalidParamsError) as caught:
        load(document)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(
        "solutions.sims.performAutoML: unknown key; allowed keys here: name, recipe"
    )
