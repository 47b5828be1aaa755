"""The params contract for user segments: batchSegmentJobs, the segmentation recipes' needs, and gate metrics."""

from __future__ import annotations

from typing import Any

import pytest
from test_params_rules import BASE, doc, problems
from workflow.data_check import outside_the_stack
from workflow.params import Params
from workflow.run_params import names

JOB = {
    "name": "fans",
    "solution": "affinity",
    "jobInput": "s3://b/batch/in/items.jsonl",
    "jobOutput": "s3://b/batch/segments/",
    "numResults": 100,
}
USER_FILTER = {"name": "adults", "filterExpression": "INCLUDE UserID WHERE Users.AGE >= 18"}
USERS = {
    "datasetType": "Users",
    "schema": {
        "type": "record",
        "name": "U",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"}],
    },
    "dataLocation": "s3://b/exports/users/",
}


def with_segments(*jobs: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return doc(batchSegmentJobs=list(jobs), **changes)


def test_a_segment_job_of_an_item_affinity_solution_is_valid_and_named_for_the_map() -> None:
    document = with_segments(JOB, **{"datasets": [*BASE["datasets"], USERS], "filters": [USER_FILTER]})
    document["batchSegmentJobs"][0]["filter"] = "adults"
    params = Params.model_validate(document)
    assert params.batch_segment_jobs[0].num_results == 100 and params.batch_segment_jobs[0].filter == "adults"
    assert names(document)["batchSegmentJobs"] == ["fans"]


def test_rule_segment_job_needs_a_segmentation_solution() -> None:
    assert problems(with_segments({**JOB, "solution": "up"})) == [
        'batchSegmentJobs[0].solution: "up" uses aws-user-personalization-v2, which makes no user segments; batch '
        "segment jobs need a solution trained with aws-item-affinity or aws-item-attribute-affinity (for item "
        "recommendations use batchInferenceJobs)"
    ]


def test_rule_segment_job_refers_to_existing_solution_and_filter_and_has_a_unique_name() -> None:
    assert problems(with_segments({**JOB, "solution": "afinity", "filter": "genres"}, {**JOB})) == [
        'batchSegmentJobs[0].solution: "afinity" is not a solution name; did you mean "affinity"?',
        'batchSegmentJobs[0].filter: "genres" is not a filter name; did you mean "genre"?',
        'batchSegmentJobs[1].name: "fans" is also the name of batchSegmentJobs[0]; names are unique in '
        "batchSegmentJobs",
    ]


def test_rule_segment_filter_is_a_user_filter() -> None:
    assert problems(with_segments({**JOB, "filter": "genre"})) == [
        'batchSegmentJobs[0].filter: filter "genre" filters ItemID; a user segment is filtered with a UserID filter '
        "(EXCLUDE|INCLUDE UserID WHERE Users.<FIELD> ... or Interactions.EVENT_TYPE ...)"
    ]


def test_rule_attribute_affinity_filter_does_not_read_interactions_and_needs_items() -> None:
    solutions = [*BASE["solutions"], {"name": "genres", "recipe": "aws-item-attribute-affinity"}]
    clicked = {"name": "clicked", "filterExpression": 'INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click")'}
    document = with_segments({**JOB, "solution": "genres", "filter": "clicked"}, solutions=solutions)
    document["filters"] = [clicked]
    document["datasets"] = document["datasets"][:1]
    assert problems(document) == [
        "solutions[4].recipe: aws-item-attribute-affinity needs an Items dataset (with a non-textual metadata field);"
        " add one, or use aws-item-affinity",
        'batchSegmentJobs[0].filter: filter "clicked" reads Interactions, which Personalize does not allow with '
        "aws-item-attribute-affinity; filter on Users fields",
    ]


def test_rule_segmentation_recipes_have_no_hpo() -> None:
    solutions = [{"name": "affinity", "recipe": "aws-item-affinity", "performHPO": True}]
    assert problems(doc(solutions=solutions)) == [
        "solutions[0].performHPO: aws-item-affinity does not support hyperparameter optimization; set it false"
    ]


def test_rule_segment_output_outside_dataset_locations() -> None:
    assert problems(with_segments({**JOB, "jobOutput": "s3://b/exports/items/segments/"})) == [
        "batchSegmentJobs[0].jobOutput: is inside datasets[1].dataLocation, so the next run would import the user "
        "segments as training data; use another prefix"
    ]


@pytest.mark.parametrize(
    ("gate", "problem"),
    [
        (
            {"solution": "affinity", "minimums": {"precision_at_10": 0.1}},
            'metricsGate[0].minimums.precision_at_10: solution "affinity" (aws-item-affinity) does not report it; it '
            "reports hits_at_1_percent, recall_at_1_percent",
        ),
        (
            {"solution": "up", "maxDropVsDeployed": {"recall_at_1_percent": 0.1}},
            'metricsGate[0].maxDropVsDeployed.recall_at_1_percent: solution "up" (aws-user-personalization-v2) does '
            "not report it; it reports coverage, precision, NDCG and MRR at K",
        ),
        (
            {"solution": "affinity", "minLiftOverBaselines": {"hits_at_1_percent": 1.2}},
            "metricsGate[0].minLiftOverBaselines.hits_at_1_percent: the export's baselines recommend items and have "
            "no user-segment metrics; use minimums",
        ),
        (
            {"solution": "affinity", "maxDropVsDeployed": {"recall_at_1_percent": 0.1}},
            "metricsGate[0].maxDropVsDeployed.recall_at_1_percent: a user-segmentation solution backs no campaign, "
            "so no version is deployed to compare with; use minimums",
        ),
    ],
)
def test_rule_gate_names_only_metrics_its_recipe_reports(gate: dict[str, Any], problem: str) -> None:
    assert problems(doc(metricsGate=[gate])) == [problem]


def test_a_gate_on_segment_metrics_is_valid() -> None:
    gate = {"solution": "affinity", "minimums": {"hits_at_1_percent": 0.2, "recall_at_1_percent": 0.05}}
    assert Params.model_validate(doc(metricsGate=[gate])).metrics_gate[0].minimums == gate["minimums"]


def test_segment_job_locations_must_be_where_the_stack_lets_personalize_read_and_write() -> None:
    document = with_segments({**JOB, "jobInput": "s3://other/in.jsonl", "jobOutput": "s3://b/segments/"})
    assert outside_the_stack(document, "b") == [
        "batchSegmentJobs[0].jobInput: s3://other/in.jsonl is outside s3://b/, the only place the stack lets the "
        "workflow and Personalize read: put it there",
        "batchSegmentJobs[0].jobOutput: s3://b/segments/ is outside s3://b/batch/, the only place the stack lets "
        "Personalize write: put it there",
    ]
