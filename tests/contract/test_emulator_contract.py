"""Contract: every emulated operation accepts a model-valid request and answers with exactly its output shape."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.validate import ParamValidator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functional"))
from test_emulator_recommenders import domain_group, events
from test_emulator_support import BUCKET, ROLE, dataset_group

from autopersonalize import emulator
from autopersonalize.emulator.store import OPERATIONS
from autopersonalize.local import offline_aws

RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
Call = tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]]


def scenario() -> list[Call]:
    """(service, operation, kwargs from the ARNs gathered so far), in an order that makes every call valid."""
    return [
        ("personalize", "ListRecipes", lambda a: {}),
        ("personalize", "DescribeRecipe", lambda a: {"recipeArn": RECIPE}),
        ("personalize", "CreateDatasetGroup", lambda a: {"name": "other"}),
        ("personalize", "DescribeDatasetGroup", lambda a: {"datasetGroupArn": a["group"]}),
        ("personalize", "ListDatasetGroups", lambda a: {"maxResults": 1}),
        ("personalize", "CreateSchema", lambda a: {"name": "spare", "schema": a["schema_text"]}),
        ("personalize", "DescribeSchema", lambda a: {"schemaArn": a["schema"]}),
        ("personalize", "ListSchemas", lambda a: {}),
        ("personalize", "DescribeDataset", lambda a: {"datasetArn": a["Interactions"]}),
        ("personalize", "ListDatasets", lambda a: {"datasetGroupArn": a["group"]}),
        (
            "personalize",
            "CreateDataset",
            lambda a: {
                "name": "o",
                "schemaArn": a["schema"],
                "datasetGroupArn": a["other"],
                "datasetType": "Interactions",
            },
        ),
        (
            "personalize",
            "CreateDatasetImportJob",
            lambda a: {
                "jobName": "again",
                "datasetArn": a["Interactions"],
                "dataSource": {"dataLocation": f"s3://{BUCKET}/dg/"},
                "roleArn": ROLE,
                "importMode": "INCREMENTAL",
            },
        ),
        ("personalize", "DescribeDatasetImportJob", lambda a: {"datasetImportJobArn": a["job"]}),
        ("personalize", "ListDatasetImportJobs", lambda a: {"datasetArn": a["Interactions"]}),
        (
            "personalize",
            "CreateSolution",
            lambda a: {"name": "up", "datasetGroupArn": a["group"], "recipeArn": RECIPE, "performAutoTraining": False},
        ),
        ("personalize", "DescribeSolution", lambda a: {"solutionArn": a["solution"]}),
        ("personalize", "ListSolutions", lambda a: {"datasetGroupArn": a["group"]}),
        ("personalize", "UpdateSolution", lambda a: {"solutionArn": a["solution"], "performAutoTraining": False}),
        ("personalize", "CreateSolutionVersion", lambda a: {"solutionArn": a["solution"], "trainingMode": "FULL"}),
        ("personalize", "DescribeSolutionVersion", lambda a: {"solutionVersionArn": a["version"]}),
        ("personalize", "ListSolutionVersions", lambda a: {"solutionArn": a["solution"]}),
        ("personalize", "GetSolutionMetrics", lambda a: {"solutionVersionArn": a["version"]}),
        (
            "personalize",
            "CreateFilter",
            lambda a: {
                "name": "cat",
                "datasetGroupArn": a["group"],
                "filterExpression": "INCLUDE ItemID WHERE Items.CATEGORY IN ($C)",
            },
        ),
        ("personalize", "DescribeFilter", lambda a: {"filterArn": a["filter"]}),
        ("personalize", "ListFilters", lambda a: {"datasetGroupArn": a["group"]}),
        ("personalize", "CreateEventTracker", lambda a: {"name": "events", "datasetGroupArn": a["group"]}),
        ("personalize", "DescribeEventTracker", lambda a: {"eventTrackerArn": a["tracker"]}),
        ("personalize", "ListEventTrackers", lambda a: {"datasetGroupArn": a["group"]}),
        (
            "personalize",
            "CreateMetricAttribution",
            lambda a: {
                "name": "ma",
                "datasetGroupArn": a["group"],
                "metrics": [{"eventType": "click", "expression": "SAMPLECOUNT()", "metricName": "CLICKS"}],
                "metricsOutputConfig": {"roleArn": ROLE},
            },
        ),
        ("personalize", "DescribeMetricAttribution", lambda a: {"metricAttributionArn": a["attribution"]}),
        ("personalize", "ListMetricAttributions", lambda a: {"datasetGroupArn": a["group"]}),
        (
            "personalize",
            "UpdateMetricAttribution",
            lambda a: {
                "metricAttributionArn": a["attribution"],
                "addMetrics": [{"eventType": "purchase", "expression": "SAMPLECOUNT()", "metricName": "BUYS"}],
            },
        ),
        ("personalize", "ListMetricAttributionMetrics", lambda a: {"metricAttributionArn": a["attribution"]}),
        (
            "personalize",
            "CreateCampaign",
            lambda a: {"name": "up", "solutionVersionArn": a["version"], "minProvisionedTPS": 1},
        ),
        ("personalize", "DescribeCampaign", lambda a: {"campaignArn": a["campaign"]}),
        ("personalize", "ListCampaigns", lambda a: {"solutionArn": a["solution"]}),
        (
            "personalize-runtime",
            "GetRecommendations",
            lambda a: {
                "campaignArn": a["campaign"],
                "userId": "u1",
                "filterArn": a["filter"],
                "filterValues": {"C": '"books"'},
            },
        ),
        (
            "personalize-runtime",
            "GetPersonalizedRanking",
            lambda a: {"campaignArn": a["ranking"], "userId": "u1", "inputList": ["i1", "i2"]},
        ),
        (
            "personalize-events",
            "PutEvents",
            lambda a: {
                "trackingId": a["tracking"],
                "userId": "u1",
                "sessionId": "s",
                "eventList": [{"eventType": "click", "itemId": "i3", "sentAt": time.time()}],
            },
        ),
        (
            "personalize-events",
            "PutItems",
            lambda a: {
                "datasetArn": a["Items"],
                "items": [
                    {"itemId": "i99", "properties": '{"category": "books", "price": 3.5, "creationTimestamp": 1}'}
                ],
            },
        ),
        (
            "personalize-events",
            "PutUsers",
            lambda a: {
                "datasetArn": a["Users"],
                "users": [{"userId": "u99", "properties": '{"segment": "gold", "ageGroup": "kid"}'}],
            },
        ),
        ("personalize", "UpdateCampaign", lambda a: {"campaignArn": a["campaign"], "minProvisionedTPS": 2}),
        (
            "personalize",
            "CreateRecommender",
            lambda a: {
                "name": "popular",
                "datasetGroupArn": a["vod"],
                "recipeArn": "arn:aws:personalize:::recipe/aws-vod-most-popular",
                "recommenderConfig": {"minRecommendationRequestsPerSecond": 1},
                "tags": [{"tagKey": "k", "tagValue": "v"}],
            },
        ),
        ("personalize", "DescribeRecommender", lambda a: {"recommenderArn": a["recommender"]}),
        ("personalize", "ListRecommenders", lambda a: {"datasetGroupArn": a["vod"]}),
        (
            "personalize",
            "UpdateRecommender",
            lambda a: {
                "recommenderArn": a["recommender"],
                "recommenderConfig": {"minRecommendationRequestsPerSecond": 2},
            },
        ),
        ("personalize", "StopRecommender", lambda a: {"recommenderArn": a["recommender"]}),
        ("personalize", "StartRecommender", lambda a: {"recommenderArn": a["recommender"]}),
        ("personalize", "DeleteRecommender", lambda a: {"recommenderArn": a["recommender"]}),
        (
            "personalize",
            "CreateBatchInferenceJob",
            lambda a: {
                "jobName": "batch",
                "solutionVersionArn": a["version"],
                "roleArn": ROLE,
                "jobInput": {"s3DataSource": {"path": f"s3://{BUCKET}/batch/users.json"}},
                "jobOutput": {"s3DataDestination": {"path": f"s3://{BUCKET}/out/"}},
            },
        ),
        ("personalize", "DescribeBatchInferenceJob", lambda a: {"batchInferenceJobArn": a["batch"]}),
        ("personalize", "ListBatchInferenceJobs", lambda a: {"solutionVersionArn": a["version"]}),
        (
            "personalize",
            "CreateBatchSegmentJob",
            lambda a: {
                "jobName": "segments",
                "solutionVersionArn": a["segment_version"],
                "roleArn": ROLE,
                "numResults": 5,
                "jobInput": {"s3DataSource": {"path": f"s3://{BUCKET}/batch/items.json"}},
                "jobOutput": {"s3DataDestination": {"path": f"s3://{BUCKET}/segments/"}},
                "tags": [{"tagKey": "k", "tagValue": "v"}],
            },
        ),
        ("personalize", "DescribeBatchSegmentJob", lambda a: {"batchSegmentJobArn": a["segment_job"]}),
        ("personalize", "ListBatchSegmentJobs", lambda a: {"solutionVersionArn": a["segment_version"]}),
        (
            "personalize",
            "TagResource",
            lambda a: {"resourceArn": a["campaign"], "tags": [{"tagKey": "k", "tagValue": "v"}]},
        ),
        ("personalize", "ListTagsForResource", lambda a: {"resourceArn": a["campaign"]}),
        ("personalize", "UntagResource", lambda a: {"resourceArn": a["campaign"], "tagKeys": ["k"]}),
        ("personalize", "StopSolutionVersionCreation", lambda a: {"solutionVersionArn": a["paced_version"]}),
        ("personalize", "DeleteCampaign", lambda a: {"campaignArn": a["campaign"]}),
        ("personalize", "DeleteEventTracker", lambda a: {"eventTrackerArn": a["tracker"]}),
        ("personalize", "DeleteMetricAttribution", lambda a: {"metricAttributionArn": a["attribution"]}),
        ("personalize", "DeleteFilter", lambda a: {"filterArn": a["filter"]}),
        ("personalize", "DeleteDataset", lambda a: {"datasetArn": a["other_dataset"]}),
        ("personalize", "DeleteSolution", lambda a: {"solutionArn": a["ranking_solution"]}),
        ("personalize", "DeleteDatasetGroup", lambda a: {"datasetGroupArn": a["other"]}),
        ("personalize", "DeleteSchema", lambda a: {"schemaArn": a["spare"]}),
    ]


RESULT_KEYS = {
    "CreateDatasetGroup": "other",
    "CreateSchema": "spare",
    "CreateDataset": "other_dataset",
    "CreateDatasetImportJob": "job",
    "CreateSolution": "solution",
    "CreateSolutionVersion": "version",
    "CreateFilter": "filter",
    "CreateCampaign": "campaign",
    "CreateBatchInferenceJob": "batch",
    "CreateBatchSegmentJob": "segment_job",
    "CreateRecommender": "recommender",
    "CreateMetricAttribution": "attribution",
}


def _snake(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def responses() -> Iterator[dict[str, tuple[str, dict[str, Any]]]]:
    with offline_aws("immediate"):
        clients = {s: boto3.client(s) for s in ("personalize", "personalize-runtime", "personalize-events", "s3")}
        pz = clients["personalize"]
        arns: dict[str, Any] = dataset_group(pz, clients["s3"])
        arns["schema"] = pz.describe_dataset(datasetArn=arns["Interactions"])["dataset"]["schemaArn"]
        arns["schema_text"] = pz.describe_schema(schemaArn=arns["schema"])["schema"]["schema"]
        ranking = pz.create_solution(
            name="rank",
            datasetGroupArn=arns["group"],
            recipeArn="arn:aws:personalize:::recipe/aws-personalized-ranking",
        )["solutionArn"]
        arns["ranking_solution"] = ranking
        ranking_version = pz.create_solution_version(solutionArn=ranking)["solutionVersionArn"]
        arns["ranking"] = pz.create_campaign(name="rank", solutionVersionArn=ranking_version)["campaignArn"]
        clients["s3"].put_object(Bucket=BUCKET, Key="batch/users.json", Body=b'{"userId": "u1"}\n')
        affinity = pz.create_solution(
            name="affinity", datasetGroupArn=arns["group"], recipeArn="arn:aws:personalize:::recipe/aws-item-affinity"
        )["solutionArn"]
        arns["segment_version"] = pz.create_solution_version(solutionArn=affinity)["solutionVersionArn"]
        clients["s3"].put_object(Bucket=BUCKET, Key="batch/items.json", Body=b'{"itemId": "i1"}\n')
        arns["vod"] = domain_group(pz, clients["s3"], "vod", "VIDEO_ON_DEMAND", events("VIDEO_ON_DEMAND"))
        got: dict[str, tuple[str, dict[str, Any]]] = {}
        for service, name, kwargs in scenario():
            if name == "StopSolutionVersionCreation":
                emulator.set_progression("paced")
                arns["paced_version"] = pz.create_solution_version(solutionArn=arns["solution"])["solutionVersionArn"]
            if name == "DeleteSolution":
                pz.delete_campaign(campaignArn=arns["ranking"])
            response = getattr(clients[service], _snake(name))(**kwargs(arns))
            response.pop("ResponseMetadata", None)
            got[name] = (service, response)
            if name == "StopSolutionVersionCreation":
                emulator.set_progression("immediate")
            if name in RESULT_KEYS:
                arns[RESULT_KEYS[name]] = next(iter(response.values()))
            if name == "CreateEventTracker":
                arns["tracker"], arns["tracking"] = response["eventTrackerArn"], response["trackingId"]
        yield got


def test_emulator_contract_covers_every_registered_operation() -> None:
    emulator.install()
    assert {name for _, name, _ in scenario()} == {name for _, name in OPERATIONS}


@pytest.mark.parametrize("name", [name for _, name, _ in scenario()])
def test_emulator_contract_response_matches_output_shape(responses: dict[str, Any], name: str) -> None:
    service, response = responses[name]
    output = botocore.session.get_session().get_service_model(service).operation_model(name).output_shape
    if output is None:
        assert response == {}
        return
    report = ParamValidator().validate(response, output)
    assert not report.has_errors(), report.generate_report()
    required = set(output.required_members)
    assert required <= set(response), f"{name} lacks required members {required - set(response)}"
