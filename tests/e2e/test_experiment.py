"""params/experiment.json offline end to end: the demo data exported, popularity (the champion campaign) and
user-personalization (the challenger) trained and deployed side by side, simulated users served through the
get_recommendations handler, their clicks sent to POST /events, and the report finding the true winner; an A/A
experiment (both variants one version) finds none in most seeded runs; promotion and teardown remove what it made."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from autopersonalize import experiment_sim, pipeline, run_params, sample_data, userdata
from autopersonalize.commands import demo_sources
from autopersonalize.local import offline_aws
from autopersonalize.local.scheduler_clock import SchedulerClock
from autopersonalize.local.stack import REPO, OfflineStack
from autopersonalize.serve import LocalServer, function_environment, http_event, make_server

pytestmark = pytest.mark.slow
PARAMS = REPO / "params" / "experiment.json"
USERS = 2000
CAMPAIGN = "demo/recommend"


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    prepared = run_params.prepare(PARAMS, frozenset(userdata.DATASETS))
    lake = sample_data.generate(seed=7, n_users=USERS)
    with offline_aws("immediate"):
        result = pipeline.run(demo_sources(7, n_users=USERS), prepared.template, dataset_group="demo")
        assert result.execution["status"] == "SUCCEEDED", result.execution
        environ = function_environment(result.stack.name("GetRecommendationsFunction"))
        server = make_server(0, environ=environ)
        saved = {k: os.environ.get(k) for k in ("PREFIX", "EXPERIMENTS_TABLE")}
        os.environ.update({k: environ[k] for k in saved})
        try:
            population = experiment_sim.Population.of(lake)
            yield {"server": server, "stack": result.stack, "population": population, "published": document()}
        finally:
            server.server_close()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def call(server: LocalServer, method: str, target: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    response = server.invoke(http_event(method, target, {"content-type": "application/json"}, data))
    assert response["statusCode"] == 200, response
    return dict(json.loads(response["body"]))


def document() -> dict[str, Any]:
    """The experiment running on demo/recommend, whatever its name now."""
    from workflow import experiments, naming

    found = experiments.read(naming.experiment_parameter(os.environ["PREFIX"], "demo", "recommend"))
    assert found is not None
    return found


def with_name(name: str, **changes: Any) -> None:
    """Re-publish the running experiment under another name (a fresh split and partition), as a new round would."""
    current = document()
    parameter = f"/{os.environ['PREFIX']}/demo/experiments/recommend"
    updated = {**current, "name": name, **changes}
    boto3.client("ssm").put_parameter(Name=parameter, Value=json.dumps(updated), Type="String", Overwrite=True)
    fresh_serving_process()  # else the serving function keeps the cached document for PARAMETER_TTL_SECONDS


def fresh_serving_process() -> None:
    """What a new Lambda sandbox starts with: no cached parameters, clients or recorded exposures."""
    from serving import clients, experiments, parameters

    parameters.reset()
    clients.reset()
    experiments.reset()


def test_the_run_deploys_the_challenger_beside_the_champion_and_publishes_the_experiment(
    world: dict[str, Any],
) -> None:
    found = document()
    personalize = boto3.client("personalize")
    champion = personalize.describe_campaign(campaignArn=found["champion"]["campaignArn"])["campaign"]
    challenger = personalize.describe_campaign(campaignArn=found["challenger"]["campaignArn"])["campaign"]
    assert (champion["name"], challenger["name"]) == ("ap-demo-recommend", "ap-demo-recommend-personal-vs-popular")
    assert "/ap-demo-popularity/" in champion["solutionVersionArn"]
    assert "/ap-demo-user-personalization/" in challenger["solutionVersionArn"]
    assert found["round"] == challenger["solutionVersionArn"].rsplit("/", 1)[-1]
    assert (found["trafficShare"], found["conversionEventType"]) == (0.5, "click")


def test_the_run_creates_the_metric_attribution_personalize_reports_each_variant_in(world: dict[str, Any]) -> None:
    """POST /events sends eventAttributionSource = the variant's campaign name; the attribution counts the conversion
    event per source (on AWS in CloudWatch), created by the stack's own functions under offline IAM."""
    personalize = boto3.client("personalize")
    group_arn = next(
        g["datasetGroupArn"] for g in personalize.list_dataset_groups()["datasetGroups"] if g["name"] == "ap-demo"
    )
    [found] = personalize.list_metric_attributions(datasetGroupArn=group_arn)["metricAttributions"]
    assert (found["name"], found["status"]) == ("ap-demo-attribution", "ACTIVE"), found
    metrics = personalize.list_metric_attribution_metrics(metricAttributionArn=found["metricAttributionArn"])
    assert metrics["metrics"] == [{"eventType": "click", "expression": "SAMPLECOUNT()", "metricName": "click_COUNT"}]
    described = personalize.describe_metric_attribution(metricAttributionArn=found["metricAttributionArn"])
    role = described["metricAttribution"]["metricsOutputConfig"]["roleArn"]
    assert role == function_environment(world["stack"].name("EnsureFiltersAndTrackerFunction"))["PERSONALIZE_ROLE_ARN"]


def test_a_user_keeps_the_variant_across_restarts_and_is_exposed_once(world: dict[str, Any]) -> None:
    server, user = world["server"], "u00042"
    first = call(server, "GET", f"/campaigns/{CAMPAIGN}/recommendations?userId={user}&numResults=5")
    fresh_serving_process()
    again = call(server, "GET", f"/campaigns/{CAMPAIGN}/recommendations?userId={user}&numResults=5")
    assert first["experiment"] == again["experiment"]
    assert first["experiment"]["name"] == "personal-vs-popular"
    assert first["recommendationId"].startswith("RID-")
    from serving.experiments import partition

    key = {"pk": {"S": partition(document())}, "userId": {"S": user}}
    item = boto3.client("dynamodb").get_item(TableName=os.environ["EXPERIMENTS_TABLE"], Key=key)["Item"]
    assert item["variant"]["S"] == first["experiment"]["variant"]
    assert item["recommendationId"]["S"] == first["recommendationId"]  # the first exposure's: written once


def test_events_are_counted_for_the_variant_and_forwarded_to_personalize(world: dict[str, Any]) -> None:
    server, user = world["server"], "u00043"
    served = call(server, "GET", f"/campaigns/{CAMPAIGN}/recommendations?userId={user}")
    event = {"userId": user, "eventType": "click", "itemId": served["items"][0]["itemId"]}
    event["recommendationId"] = served["recommendationId"]
    answer = call(server, "POST", f"/campaigns/{CAMPAIGN}/events", event)
    assert answer == {
        "campaign": CAMPAIGN,
        "experiment": served["experiment"],
        "counted": True,
        "kept": False,
        "forwarded": True,
    }
    stranger = call(server, "POST", f"/campaigns/{CAMPAIGN}/events", {**event, "userId": "never-served"})
    assert (stranger["counted"], stranger["forwarded"]) == (False, True)  # not exposed: forwarded, not counted
    refused = server.invoke(http_event("POST", f"/campaigns/{CAMPAIGN}/events", {}, b'{"userId": "u1"}'))
    assert refused["statusCode"] == 400
    assert "eventType: required" in json.loads(refused["body"])["message"]


def test_the_scheduled_check_leaves_an_experiment_without_its_sample_running(world: dict[str, Any]) -> None:
    schedule = boto3.client("scheduler").get_schedule(GroupName=os.environ["PREFIX"], Name="demo-recommend-experiment")
    assert schedule["ScheduleExpression"] == "rate(1 day)"
    assert json.loads(schedule["Target"]["Input"]) == {"experiment": {"datasetGroup": "demo", "campaign": "recommend"}}
    [fired] = SchedulerClock(world["stack"]).advance(timedelta(days=1))
    assert fired.answer == {"experiment": "personal-vs-popular", "action": "running", "verdict": "not enough data"}
    assert document()["name"] == "personal-vs-popular"


def test_an_a_a_experiment_finds_no_winner_in_most_seeded_runs(world: dict[str, Any]) -> None:
    """Both variants the champion's version; 20 runs, each a new experiment name (split) and click seed."""
    from workflow import experiment_verdict

    champion = document()["champion"]
    population = world["population"]
    users = sorted(population.prefers)[:300]
    challenger = {**document()["challenger"], "campaignArn": champion["campaignArn"]}
    verdicts = []
    for seed in range(20):  # a 200 % lift is what these 300 users can detect: the test then has its sample
        with_name(f"aa-{seed}", challenger=challenger, minimumDetectableEffect=2.0)
        experiment_sim.run(world["server"].invoke, CAMPAIGN, users, population, experiment_sim.Behaviour(), seed=seed)
        readout = experiment_verdict.report(document())
        verdicts.append(readout["verdict"])
        fresh_serving_process()
    winners = [v for v in verdicts if v in ("challenger wins", "challenger loses")]
    assert len(winners) <= 3, verdicts  # alpha 0.05: about 1 of 20 by chance
    assert verdicts.count("no difference") >= 10, verdicts  # the sample sufficed: a verdict, not a shrug


def test_the_report_finds_the_variant_users_prefer(world: dict[str, Any]) -> None:
    from workflow import experiment_verdict

    published = world["published"]  # the run's challenger and settings again, after the A/A runs
    with_name(
        "ab-winner", challenger=published["challenger"], minimumDetectableEffect=published["minimumDetectableEffect"]
    )
    population = world["population"]
    experiment_sim.run(
        world["server"].invoke, CAMPAIGN, sorted(population.prefers), population, experiment_sim.Behaviour(), seed=3
    )
    readout = experiment_verdict.report(document())
    assert readout["verdict"] == "challenger wins", readout
    users = readout["variants"]["champion"]["users"] + readout["variants"]["challenger"]["users"]
    assert users == USERS


def test_the_scheduled_check_promotes_the_winner_and_removes_the_challenger(world: dict[str, Any]) -> None:
    """After the A/B users of test_the_report_finds_the_variant_users_prefer: the autoPromote schedule fires."""
    from workflow import experiment_verdict

    found = document()
    assert found["name"] == "ab-winner"
    [fired] = SchedulerClock(world["stack"]).advance(timedelta(days=1))
    assert fired.answer == {
        "experiment": "ab-winner",
        "action": "promoted",
        "solutionVersionArn": found["challenger"]["solutionVersionArn"],
        "verdict": "challenger wins",
    }
    personalize = boto3.client("personalize")
    champion = personalize.describe_campaign(campaignArn=found["champion"]["campaignArn"])["campaign"]
    assert champion["latestCampaignUpdate"]["solutionVersionArn"] == found["challenger"]["solutionVersionArn"]
    assert _deleting(personalize, found)
    assert experiment_verdict.published("demo") == []  # serving stops splitting
    assert boto3.client("scheduler").list_schedules(GroupName=os.environ["PREFIX"])["Schedules"] == []
    fresh_serving_process()
    served = call(world["server"], "GET", f"/campaigns/{CAMPAIGN}/recommendations?userId=u00042")
    assert "experiment" not in served


def _deleting(personalize: Any, found: dict[str, Any]) -> bool:
    try:
        status = personalize.describe_campaign(campaignArn=found["challenger"]["campaignArn"])["campaign"]["status"]
    except personalize.exceptions.ResourceNotFoundException:
        return True
    return str(status).startswith("DELETE")


def test_teardown_deletes_the_experiments_counts_with_its_parameter(world: dict[str, Any]) -> None:
    from workflow import experiments

    stack: OfflineStack = world["stack"]
    prefix = os.environ["PREFIX"]
    fresh_serving_process()
    with_name_document = {
        "name": "gone",
        "datasetGroup": "demo",
        "campaign": "recommend",
        "round": "r1",
        "earlierRounds": ["r0"],
    }
    table = os.environ["EXPERIMENTS_TABLE"]
    for round_ in ("r0", "r1"):
        key = experiments.partition(with_name_document, round_)
        boto3.client("dynamodb").put_item(TableName=table, Item={"pk": {"S": key}, "userId": {"S": "u1"}})
    boto3.client("ssm").put_parameter(
        Name=f"/{prefix}/demo/experiments/recommend", Value=json.dumps(with_name_document), Type="String"
    )
    teardown = stack.wait(stack.start("TeardownStateMachine", {"datasetGroup": "demo"}), timeout=300)
    assert teardown["status"] == "SUCCEEDED", teardown
    for round_ in ("r0", "r1"):
        values = {":pk": {"S": experiments.partition(with_name_document, round_)}}
        query = {"TableName": table, "KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": values}
        assert boto3.client("dynamodb").query(**query)["Count"] == 0
    assert boto3.client("ssm").get_parameters_by_path(Path=f"/{prefix}/demo/", Recursive=True)["Parameters"] == []
    assert boto3.client("personalize").list_metric_attributions()["metricAttributions"] == []
