"""The params contract's cross-field rules: each one with a passing and a failing example that asserts the message."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from workflow.errors import InvalidParamsError
from workflow.params import Params, load_params

NS = "com.amazonaws.personalize.schema"


def schema(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "S", "namespace": NS, "fields": list(fields)}


INTERACTIONS = schema(
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
)
ITEMS = schema(
    {"name": "ITEM_ID", "type": "string"},
    {"name": "GENRE", "type": "string", "categorical": True},
    {"name": "PRICE", "type": "float"},
    {"name": "ON_SALE", "type": "boolean"},
    {"name": "DESCRIPTION", "type": "string", "textual": True},
)
USERS = schema({"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"})
BASE: dict[str, Any] = {
    "datasetGroup": {"name": "shop"},
    "datasets": [
        {"datasetType": "Interactions", "schema": INTERACTIONS, "dataLocation": "s3://b/exports/interactions/"},
        {"datasetType": "Items", "schema": ITEMS, "dataLocation": "s3://b/exports/items/"},
    ],
    "solutions": [
        {"name": "up", "recipe": "aws-user-personalization-v2"},
        {"name": "sims", "recipe": "aws-sims"},
        {"name": "affinity", "recipe": "aws-item-affinity"},
        {"name": "trending", "recipe": "aws-trending-now"},
    ],
    "filters": [{"name": "genre", "filterExpression": "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)"}],
}


def doc(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(BASE)
    result.update(copy.deepcopy(changes))
    return result


def problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidParamsError) as caught:
        load_params(json.dumps(document), "x.json", _no_files)
    return caught.value.problems


def valid(document: dict[str, Any]) -> Params:
    return load_params(json.dumps(document), "x.json", _no_files)


def _no_files(location: str) -> str:
    raise FileNotFoundError(location)


def test_base_document_is_valid() -> None:
    assert valid(doc()).dataset("Items") is not None


def test_rule_interactions_dataset_required() -> None:
    assert problems(doc(datasets=BASE["datasets"][1:])) == [
        'datasets: no dataset has datasetType "Interactions"; add one (Personalize trains on it)'
    ]


def test_rule_dataset_types_unique() -> None:
    datasets = [*BASE["datasets"], {**BASE["datasets"][1], "dataLocation": "s3://b/other/"}]
    assert problems(doc(datasets=datasets)) == [
        'datasets[2].datasetType: "Items" again (first at datasets[1]); each type may appear once'
    ]


@pytest.mark.parametrize("key", ["solutions", "filters"])
def test_rule_names_unique_within_a_list(key: str) -> None:
    entries = [*BASE[key], BASE[key][0]]
    assert problems(doc(**{key: entries}))[0] == (
        f'{key}[{len(entries) - 1}].name: "{entries[0]["name"]}" is also the name of {key}[0];'
        f" names are unique in {key}"
    )


def test_rule_campaign_names_unique() -> None:
    campaigns = [{"name": "c", "solution": "up"}, {"name": "c", "solution": "sims"}]
    assert problems(doc(campaigns=campaigns)) == [
        'campaigns[1].name: "c" is also the name of campaigns[0]; names are unique in campaigns'
    ]


def test_rule_campaign_refers_to_an_existing_solution() -> None:
    assert problems(doc(campaigns=[{"name": "c", "solution": "up2"}])) == [
        'campaigns[0].solution: "up2" is not a solution name; did you mean "up"?'
    ]


def test_rule_gate_refers_to_an_existing_solution_and_is_unique() -> None:
    gates = [
        {"solution": "ghost", "minimums": {"coverage": 0.1}},
        {"solution": "up", "minimums": {"coverage": 0.1}},
        {"solution": "up", "maxDropVsDeployed": {"coverage": 0.1}},
    ]
    assert problems(doc(metricsGate=gates)) == [
        'metricsGate[0].solution: "ghost" is not a solution name; allowed: up, sims, affinity, trending',
        'metricsGate[2].solution: "up" already has a gate at metricsGate[1]; merge the two',
    ]


def test_rule_gate_needs_a_condition() -> None:
    assert problems(doc(metricsGate=[{"solution": "up"}])) == [
        "metricsGate[0]: no minimums, maxDropVsDeployed or minLiftOverBaselines, so it accepts everything; add one "
        "or remove it"
    ]


def test_rule_batch_job_refers_to_existing_solution_and_filter() -> None:
    job = {
        "name": "j",
        "solution": "upp",
        "jobInput": "s3://b/in/users.jsonl",
        "jobOutput": "s3://b/out/",
        "filter": "genres",
    }
    assert problems(doc(batchInferenceJobs=[job])) == [
        'batchInferenceJobs[0].solution: "upp" is not a solution name; did you mean "up"?',
        'batchInferenceJobs[0].filter: "genres" is not a filter name; did you mean "genre"?',
    ]


def test_rule_batch_output_outside_dataset_locations() -> None:
    job = {"name": "j", "solution": "up", "jobInput": "s3://b/in/u.jsonl", "jobOutput": "s3://b/exports/items/batch/"}
    assert problems(doc(batchInferenceJobs=[job])) == [
        "batchInferenceJobs[0].jobOutput: is inside datasets[1].dataLocation, so the next run would import the"
        " recommendations as training data; use another prefix"
    ]


@pytest.mark.parametrize("solution", ["affinity", "trending"])
def test_rule_batch_inference_not_for_segmentation_or_trending(solution: str) -> None:
    job = {"name": "j", "solution": solution, "jobInput": "s3://b/in/u.jsonl", "jobOutput": "s3://b/out/"}
    recipe = {"affinity": "aws-item-affinity", "trending": "aws-trending-now"}[solution]
    assert problems(doc(batchInferenceJobs=[job])) == [
        f'batchInferenceJobs[0].solution: "{solution}" uses {recipe}, which has no batch inference'
    ]


def test_rule_batch_serving_only_for_user_personalization_under_a_free_name() -> None:
    served = {"jobInput": "s3://b/in/u.jsonl", "jobOutput": "s3://b/out/", "serving": {"fallback": "error"}}
    jobs = [{"name": "up", "solution": "up", **served}, {"name": "j2", "solution": "sims", **served}]
    campaigns = [{"name": "up", "solution": "up"}]
    assert problems(doc(batchInferenceJobs=jobs, campaigns=campaigns)) == [
        'batchInferenceJobs[0].name: "up" is also a campaign; apps name both as <datasetGroup>/<name>: rename the'
        " job or the campaign",
        'batchInferenceJobs[1].serving: "sims" uses aws-sims, whose batch output is not keyed by user; batch serving'
        " answers /recommendations only (a USER_PERSONALIZATION recipe): remove serving",
    ]
    assert valid(doc(batchInferenceJobs=jobs[:1])).batch_inference_jobs[0].serving is not None


def test_rule_a_batch_job_without_job_input_answers_every_user_so_needs_a_user_recipe() -> None:
    every = {"jobOutput": "s3://b/out/"}
    jobs = [{"name": "up", "solution": "up", **every, "serving": {}}, {"name": "j2", "solution": "sims", **every}]
    assert problems(doc(batchInferenceJobs=jobs)) == [
        'batchInferenceJobs[1].jobInput: missing, so the job would answer every user ({"userId": ...} lines), but '
        '"sims" uses aws-sims, whose batch input is not a list of users; give jobInput (the file of lines the recipe '
        "takes)"
    ]
    assert valid(doc(batchInferenceJobs=jobs[:1])).batch_inference_jobs[0].job_input is None


def test_rule_batch_serving_fallback_is_popularity_or_error() -> None:
    job = {"name": "j", "solution": "up", "jobInput": "s3://b/in/u.jsonl", "jobOutput": "s3://b/out/"}
    assert valid(doc(batchInferenceJobs=[{**job, "serving": {}}])).batch_inference_jobs[0].serving.fallback == (
        "popularity"
    )
    found = problems(doc(batchInferenceJobs=[{**job, "serving": {"fallback": "random"}}]))
    assert len(found) == 1 and found[0].startswith('batchInferenceJobs[0].serving.fallback: found "random"')


def test_rule_batch_serving_filters_are_item_metadata_filters_of_the_file() -> None:
    job = {"name": "j", "solution": "up", "jobInput": "s3://b/in/u.jsonl", "jobOutput": "s3://b/out/"}
    filters = [
        {"name": "genre", "filterExpression": "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)"},
        {
            "name": "cheap",
            "filterExpression": "EXCLUDE ItemID WHERE Items.PRICE > 100 | EXCLUDE ItemID WHERE "
            'Items.GENRE IN ("x") AND Items.PRICE < 5',
        },
        {"name": "clicked", "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'},
        {"name": "seen", "filterExpression": 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'},
        {"name": "adults", "filterExpression": 'EXCLUDE ItemID WHERE Items.GENRE IN ("x") IF CurrentUser.AGE < 18'},
        {"name": "young", "filterExpression": "INCLUDE UserID WHERE Users.AGE < 30"},
    ]
    datasets = [*BASE["datasets"], {"datasetType": "Users", "schema": USERS, "dataLocation": "s3://b/users/"}]
    served = {**job, "serving": {"filters": ["genre", "cheap", "clicked"]}}
    assert valid(doc(datasets=datasets, filters=filters, batchInferenceJobs=[served])).batch_inference_jobs[
        0
    ].serving.filters == ["genre", "cheap", "clicked"]
    refused = {**job, "serving": {"filters": ["seen", "adults", "young", "genres"]}}
    where = "batchInferenceJobs[0].serving.filters"
    assert problems(doc(datasets=datasets, filters=filters, batchInferenceJobs=[refused])) == [
        f'{where}[0]: "seen" reads Interactions in a way only the whole history answers; at read time only the events'
        " sent through POST /events since the batch are known, so only EXCLUDE on Interactions.EVENT_TYPE or"
        " EVENT_VALUE applies: give this one to the job as its filter (applied when the batch is computed) or serve"
        " from a campaign",
        f'{where}[1]: "adults" has an IF CurrentUser condition, and users\' metadata is not loaded beside the batch:'
        " give it to the job as its filter or serve from a campaign",
        f'{where}[2]: "young" is a UserID filter (it picks users for a segment, not items): serve it from a campaign',
        f'{where}[3]: "genres" is not a filter of this file; did you mean "genre"?',
    ]


def test_rule_update_training_only_for_user_personalization() -> None:
    solutions = [
        {"name": "up", "recipe": "aws-user-personalization", "trainingMode": "UPDATE"},
        {"name": "sims", "recipe": "aws-sims", "trainingMode": "UPDATE"},
    ]
    assert problems(doc(solutions=solutions)) == [
        'solutions[1].trainingMode: "UPDATE" works only with aws-hrnn-coldstart, aws-user-personalization;'
        ' solution "sims" uses recipe "aws-sims"; use "FULL"'
    ]


def test_rule_update_training_refused_for_user_personalization_v2() -> None:
    solutions = [
        {"name": "v2", "recipe": "arn:aws:personalize:::recipe/aws-user-personalization-v2", "trainingMode": "UPDATE"}
    ]
    assert problems(doc(solutions=solutions)) == [
        'solutions[0].trainingMode: "UPDATE" works only with aws-hrnn-coldstart, aws-user-personalization;'
        ' solution "v2" uses recipe "aws-user-personalization-v2"; use "FULL"'
    ]


def test_rule_events_config_only_for_the_v2_recipes() -> None:
    events = {"eventsConfig": {"eventParametersList": [{"eventType": "purchase", "weight": 1.0}]}}
    solutions = [
        {"name": "v2", "recipe": "aws-user-personalization-v2", "solutionConfig": events},
        {"name": "ranking", "recipe": "aws-personalized-ranking-v2", "solutionConfig": events},
        {"name": "v1", "recipe": "aws-user-personalization", "solutionConfig": events},
    ]
    assert problems(doc(solutions=solutions)) == [
        "solutions[2].solutionConfig.eventsConfig: only aws-personalized-ranking-v2, aws-user-personalization-v2 use"
        ' an events configuration; solution "v1" uses recipe "aws-user-personalization", which would train as if it'
        " were not there; remove it or use one of those recipes"
    ]


def test_validation_and_the_engine_agree_on_the_recipes_that_use_an_events_configuration() -> None:
    from workflow import _recipes

    from autopersonalize.engine.data import EVENTS_CONFIG_RECIPES

    assert set(EVENTS_CONFIG_RECIPES) == _recipes.EVENTS_CONFIG_RECIPES


def test_rule_hpo_objective_is_not_supported() -> None:
    hpo = {
        "hpoObjective": {"type": "Maximize", "metricName": "precision_at_25"},
        "hpoResourceConfig": {"maxNumberOfTrainingJobs": 4},
    }
    solution = {
        "name": "up",
        "recipe": "aws-user-personalization",
        "performHPO": True,
        "solutionConfig": {"hpoConfig": hpo},
    }
    assert problems(doc(solutions=[solution])) == [
        "solutions[0].solutionConfig.hpoConfig.hpoObjective: Personalize does not support configuring it"
        ' (CreateSolution); remove it from solution "up"'
    ]
    del hpo["hpoObjective"]
    valid(doc(solutions=[solution]))


def test_rule_autotrain_mode_is_not_a_params_choice() -> None:
    solutions = [{"name": "up", "recipe": "aws-user-personalization", "trainingMode": "AUTOTRAIN"}]
    assert problems(doc(solutions=solutions)) == ['solutions[0].trainingMode: found "AUTOTRAIN"; allowed: FULL, UPDATE']


def test_rule_gate_cannot_gate_an_update_solution() -> None:
    solutions = [{"name": "up", "recipe": "aws-user-personalization", "trainingMode": "UPDATE"}]
    assert problems(doc(solutions=solutions, metricsGate=[{"solution": "up", "minimums": {"coverage": 0.1}}])) == [
        'metricsGate[0].solution: "up" trains in UPDATE mode, which produces no metrics to gate on; gate a FULL'
        " solution or remove this gate"
    ]


def test_rule_next_best_action_is_unsupported() -> None:
    assert problems(doc(solutions=[{"name": "nba", "recipe": "aws-next-best-action"}])) == [
        'solutions[0].recipe: "aws-next-best-action" is not supported: it needs an Actions dataset, which'
        " autopersonalize does not manage"
    ]


@pytest.mark.parametrize(
    ("config", "flag"), [("hpoConfig", "performHPO"), ("autoTrainingConfig", "performAutoTraining")]
)
def test_rule_config_needs_its_flag(config: str, flag: str) -> None:
    solution = {"name": "up", "recipe": "aws-user-personalization", "solutionConfig": {config: {}}}
    assert problems(doc(solutions=[solution])) == [
        f'solutions[0].solutionConfig.{config}: ignored unless {flag} is true; set "{flag}": true or remove it'
    ]
    valid(doc(solutions=[{**solution, flag: True}]))


def test_rule_auto_training_schedule_in_range() -> None:
    solution = {
        "name": "up",
        "recipe": "aws-user-personalization",
        "performAutoTraining": True,
        "solutionConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(31 days)"}},
    }
    assert problems(doc(solutions=[solution])) == [
        'solutions[0].solutionConfig.autoTrainingConfig.schedulingExpression: "rate(31 days)" is out of range;'
        " allowed: rate(1 day) to rate(30 days)"
    ]


def test_rule_event_value_threshold_needs_event_value_field() -> None:
    solution = {
        "name": "up",
        "recipe": "aws-user-personalization",
        "eventType": "click",
        "solutionConfig": {"eventValueThreshold": "0.5"},
    }
    assert problems(doc(solutions=[solution])) == [
        "solutions[0].solutionConfig.eventValueThreshold: needs an EVENT_VALUE field in the Interactions schema,"
        " which has none; add it"
    ]


def test_rule_optimization_objective_needs_a_numeric_item_field() -> None:
    solution = {
        "name": "up",
        "recipe": "aws-user-personalization",
        "solutionConfig": {"optimizationObjective": {"itemAttribute": "GENRE"}},
    }
    assert problems(doc(solutions=[solution])) == [
        'solutions[0].solutionConfig.optimizationObjective.itemAttribute: "GENRE" is not a numeric field of the'
        " Items schema"
    ]
    solution["solutionConfig"] = {"optimizationObjective": {"itemAttribute": "PRICE"}}
    valid(doc(solutions=[solution]))


def test_rule_no_campaign_on_user_segmentation() -> None:
    assert problems(doc(campaigns=[{"name": "c", "solution": "affinity"}])) == [
        'campaigns[0].solution: "affinity" uses aws-item-affinity (user segmentation), which cannot back a campaign'
    ]


def test_rule_item_exploration_only_for_user_personalization() -> None:
    config = {"itemExplorationConfig": {"explorationWeight": 0.3, "explorationItemAgeCutOff": 30}}
    valid(doc(campaigns=[{"name": "c", "solution": "up", "campaignConfig": config}]))
    assert problems(doc(campaigns=[{"name": "c", "solution": "sims", "campaignConfig": config}])) == [
        'campaigns[0].campaignConfig.itemExplorationConfig: only for User-Personalization recipes; "sims" uses'
        " aws-sims; remove it"
    ]


def test_rule_item_exploration_weight_between_zero_and_one() -> None:
    config = {"itemExplorationConfig": {"explorationWeight": "1.5"}}
    assert problems(doc(campaigns=[{"name": "c", "solution": "up", "campaignConfig": config}])) == [
        'campaigns[0].campaignConfig.itemExplorationConfig.explorationWeight: found "1.5";'
        " allowed: a number from 0 to 1"
    ]


def test_rule_metadata_with_recommendations_needs_items() -> None:
    config = {"enableMetadataWithRecommendations": True}
    valid(doc(campaigns=[{"name": "c", "solution": "up", "campaignConfig": config}]))
    assert problems(
        doc(
            datasets=BASE["datasets"][:1],
            filters=[],
            campaigns=[{"name": "c", "solution": "up", "campaignConfig": config}],
        )
    ) == ["campaigns[0].campaignConfig.enableMetadataWithRecommendations: needs an Items dataset; add one"]


def test_rule_sync_with_latest_version_bypasses_the_gate() -> None:
    campaign = {"name": "c", "solution": "up", "campaignConfig": {"syncWithLatestSolutionVersion": True}}
    valid(doc(campaigns=[campaign]))
    gate = {"solution": "up", "minimums": {"coverage": 0.1}}
    assert problems(doc(campaigns=[campaign], metricsGate=[gate])) == [
        'campaigns[0].campaignConfig.syncWithLatestSolutionVersion: true deploys every new version of "up" without'
        " the metrics gate at metricsGate[0]; remove one of the two"
    ]


def test_rule_ranking_influence_weights() -> None:
    config = {"rankingInfluence": {"POPULARITY": 0.5, "NOVELTY": 0.1}}
    assert problems(doc(campaigns=[{"name": "c", "solution": "up", "campaignConfig": config}])) == [
        'campaigns[0].campaignConfig.rankingInfluence.NOVELTY: found "NOVELTY"; allowed: POPULARITY, FRESHNESS'
    ]


def test_rule_polling_intervals_are_ordered() -> None:
    polling = {"initialIntervalSeconds": 900, "maxIntervalSeconds": 600, "maxWaitSeconds": 300}
    assert problems(doc(polling=polling)) == [
        "polling.initialIntervalSeconds: 900 is above maxIntervalSeconds 600; lower it",
        "polling.maxIntervalSeconds: 600 is above maxWaitSeconds 300; lower it",
    ]


def test_rule_tags_follow_the_service_pattern_and_reserve_aws() -> None:
    tags = [{"tagKey": "aws:team", "tagValue": "x"}, {"tagKey": "team", "tagValue": "a;b"}]
    assert problems(doc(tags=tags)) == [
        'tags[0].tagKey: "aws:team" starts with "aws:", which AWS reserves; choose another key',
        'tags[1].tagValue: "a;b" contains ";"; allowed: letters, digits, spaces and _ . : / = + - @',
    ]


def test_rule_kms_and_role_arns() -> None:
    group = {"name": "shop", "kmsKeyArn": "key-1", "roleArn": "arn:aws:iam::123456789012:role/personalize"}
    assert problems(doc(datasetGroup=group)) == [
        'datasetGroup.kmsKeyArn: found "key-1"; allowed: a KMS key ARN like arn:aws:kms:region:123456789012:key/id'
    ]


KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KMS_ROLE = "arn:aws:iam::123456789012:role/personalize-kms"


def test_rule_kms_key_needs_a_role() -> None:
    assert problems(doc(datasetGroup={"name": "shop", "kmsKeyArn": KMS_KEY})) == [
        "datasetGroup.roleArn: missing; kmsKeyArn needs an IAM role with permissions to use the key"
        " (CreateDatasetGroup); add roleArn or remove kmsKeyArn"
    ]
    assert valid(doc(datasetGroup={"name": "shop", "kmsKeyArn": KMS_KEY, "roleArn": KMS_ROLE})).dataset_group.role_arn


def test_rule_role_is_only_valid_with_a_kms_key() -> None:
    assert problems(doc(datasetGroup={"name": "shop", "roleArn": KMS_ROLE})) == [
        "datasetGroup.roleArn: only valid together with kmsKeyArn (CreateDatasetGroup); remove it or add kmsKeyArn"
    ]


def test_rule_incremental_import_is_accepted_statically() -> None:
    datasets = copy.deepcopy(BASE["datasets"])
    datasets[0]["importMode"] = "INCREMENTAL"
    assert valid(doc(datasets=datasets)).datasets[0].import_mode == "INCREMENTAL"


def test_rule_training_data_columns_name_existing_datasets_and_fields() -> None:
    columns = {"excludedDatasetColumns": {"Items": ["GENRES"], "Users": ["AGE"]}}
    solution = {"name": "up", "recipe": "aws-user-personalization", "solutionConfig": {"trainingDataConfig": columns}}
    assert problems(doc(solutions=[solution])) == [
        'solutions[0].solutionConfig.trainingDataConfig.excludedDatasetColumns.Items: "GENRES" is not a field of the'
        ' Items schema; did you mean "GENRE"?',
        "solutions[0].solutionConfig.trainingDataConfig.excludedDatasetColumns.Users: this file has no Users dataset;"
        " remove the entry",
    ]
    columns["excludedDatasetColumns"] = {"Items": ["GENRE"]}
    valid(doc(solutions=[solution]))
