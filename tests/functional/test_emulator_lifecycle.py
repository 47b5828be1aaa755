"""Lifecycles (paced and immediate), rules between resources, deletion order, pagination, tags and faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from test_emulator_support import (  # noqa: F401
    INTERACTIONS_SCHEMA,
    RECIPE,
    dataset_group,
    engine_ready,
    error_of,
    train,
)

from autopersonalize import emulator
from autopersonalize.local import offline_aws


@pytest.fixture
def paced(engine_ready: Any) -> Iterator[Any]:  # noqa: F811
    with offline_aws("paced"):
        yield boto3.client("personalize")


@pytest.fixture
def world(engine_ready: Any) -> Iterator[dict[str, Any]]:  # noqa: F811
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        yield {"personalize": pz, "s3": s3, **dataset_group(pz, s3, with_metadata=False)}


def walk(describe: Any, key: str, times: int = 4) -> list[str]:
    return [describe()[key]["status"] for _ in range(times)]


def until_settled(describe: Any, seconds: float = 30) -> list[str]:
    """Describe (the work runs in a background thread in paced mode) until ACTIVE or FAILED; the statuses seen."""
    seen = [describe()["status"]]
    deadline = time.monotonic() + seconds
    while seen[-1] not in ("ACTIVE", "CREATE FAILED") and time.monotonic() < deadline:
        time.sleep(0.02)
        seen.append(describe()["status"])
    return seen


def test_emulator_paced_walks_dataset_group_to_active(paced: Any) -> None:
    group = paced.create_dataset_group(name="dg")["datasetGroupArn"]
    statuses = walk(lambda: paced.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
    assert statuses == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE", "ACTIVE"]


def test_emulator_paced_refuses_dataset_before_group_is_active(paced: Any) -> None:
    group = paced.create_dataset_group(name="dg")["datasetGroupArn"]
    schema = paced.create_schema(name="s", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    with pytest.raises(ClientError) as error:
        paced.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")
    code, message = error_of(error)
    assert code == "ResourceInUseException"
    assert message == f"Dataset group {group} is not ACTIVE (status: CREATE PENDING); wait until it is ACTIVE."


def test_emulator_paced_delete_shows_delete_pending_then_not_found(paced: Any) -> None:
    group = paced.create_dataset_group(name="dg")["datasetGroupArn"]
    paced.delete_dataset_group(datasetGroupArn=group)
    assert paced.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "DELETE PENDING"
    with pytest.raises(ClientError) as error:
        paced.describe_dataset_group(datasetGroupArn=group)
    assert error_of(error) == ("ResourceNotFoundException", f"Resource Arn {group} does not exist.")


def test_emulator_paced_stop_solution_version(engine_ready: Any) -> None:  # noqa: F811
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        arns = dataset_group(pz, s3, with_metadata=False)
        solution = pz.create_solution(name="s", datasetGroupArn=arns["group"], recipeArn=RECIPE + "aws-sims")
        emulator.set_progression("paced")
        version = pz.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
        assert pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] == "CREATE PENDING"
        pz.stop_solution_version_creation(solutionVersionArn=version)
        statuses = walk(lambda: pz.describe_solution_version(solutionVersionArn=version), "solutionVersion", 2)
        assert statuses == ["CREATE STOPPING", "CREATE STOPPED"]
        with pytest.raises(ClientError) as error:
            pz.stop_solution_version_creation(solutionVersionArn=version)
        assert error_of(error)[0] == "InvalidInputException"
        assert "only a version in CREATE PENDING or CREATE IN_PROGRESS can be stopped" in error_of(error)[1]


def test_emulator_paced_training_reaches_active_after_in_progress(engine_ready: Any) -> None:  # noqa: F811
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        arns = dataset_group(pz, s3, with_metadata=False)
        solution = pz.create_solution(name="s", datasetGroupArn=arns["group"], recipeArn=RECIPE + "aws-sims")
        emulator.set_progression("paced")
        version = pz.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
        seen = until_settled(lambda: pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
        assert seen[:2] == ["CREATE PENDING", "CREATE IN_PROGRESS"] and seen[-1] == "ACTIVE"


def test_emulator_duplicate_names_and_bad_input(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    with pytest.raises(ClientError) as error:
        pz.create_dataset_group(name="dg")
    assert error_of(error) == ("ResourceAlreadyExistsException", f"Resource Arn {world['group']} already exists.")
    with pytest.raises(ClientError) as error:
        pz.create_dataset_group(name="bad name!")
    assert error_of(error) == (
        "InvalidInputException",
        "name: value 'bad name!' does not match the pattern ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*.",
    )
    with pytest.raises(ClientError) as error:
        pz.create_dataset_group(name="x" * 64)
    assert error_of(error) == ("InvalidInputException", "name: allows at most 63 characters, got 64.")
    with pytest.raises(ClientError) as error:
        pz.create_dataset_group(name="ok", domain="NOT_A_DOMAIN")
    assert error_of(error)[1] == "domain: value 'NOT_A_DOMAIN' is not one of ['ECOMMERCE', 'VIDEO_ON_DEMAND']."


def test_emulator_one_dataset_per_type_and_one_tracker_per_group(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    schema = pz.create_schema(name="again", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    with pytest.raises(ClientError) as error:
        pz.create_dataset(name="again", schemaArn=schema, datasetGroupArn=world["group"], datasetType="Interactions")
    assert error_of(error)[0] == "ResourceAlreadyExistsException"
    assert "already has a Interactions dataset" in error_of(error)[1]
    pz.create_event_tracker(name="t1", datasetGroupArn=world["group"])
    with pytest.raises(ClientError) as error:
        pz.create_event_tracker(name="t2", datasetGroupArn=world["group"])
    assert error_of(error)[0] == "ResourceAlreadyExistsException"
    assert "only one is allowed per group" in error_of(error)[1]


def test_emulator_training_needs_imported_interactions(engine_ready: Any) -> None:  # noqa: F811
    with offline_aws("immediate"):
        pz = boto3.client("personalize")
        group = pz.create_dataset_group(name="empty")["datasetGroupArn"]
        solution = pz.create_solution(name="s", datasetGroupArn=group, recipeArn=RECIPE + "aws-sims")["solutionArn"]
        with pytest.raises(ClientError) as error:
            pz.create_solution_version(solutionArn=solution)
        assert error_of(error)[0] == "InvalidInputException"
        assert error_of(error)[1].startswith(f"Dataset group {group} has no imported interactions")


def test_emulator_unknown_recipe_is_not_found(world: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as error:
        world["personalize"].create_solution(name="s", datasetGroupArn=world["group"], recipeArn=RECIPE + "aws-nope")
    assert error_of(error) == ("ResourceNotFoundException", f"Resource Arn {RECIPE}aws-nope does not exist.")


def test_emulator_deletion_order_is_enforced(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    version = train(pz, world["group"], "aws-sims", "sims")
    solution = version.rsplit("/", 1)[0]
    campaign = pz.create_campaign(name="c", solutionVersionArn=version)["campaignArn"]
    for call, expected in (
        (lambda: pz.delete_dataset_group(datasetGroupArn=world["group"]), "still has datasets"),
        (lambda: pz.delete_solution(solutionArn=solution), "is deployed in campaigns"),
        (
            lambda: pz.delete_schema(
                schemaArn=pz.describe_dataset(datasetArn=world["Interactions"])["dataset"]["schemaArn"]
            ),
            "is used by datasets",
        ),
    ):
        with pytest.raises(ClientError) as error:
            call()
        assert error_of(error)[0] == "ResourceInUseException" and expected in error_of(error)[1]
    pz.delete_campaign(campaignArn=campaign)
    pz.delete_solution(solutionArn=solution)
    pz.delete_dataset(datasetArn=world["Interactions"])
    pz.delete_dataset_group(datasetGroupArn=world["group"])
    assert pz.list_dataset_groups()["datasetGroups"] == []


def test_emulator_campaign_update_rules(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    first = train(pz, world["group"], "aws-user-personalization", "up")
    solution = first.rsplit("/", 1)[0]
    second = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    campaign = pz.create_campaign(name="c", solutionVersionArn=first)["campaignArn"]
    emulator.set_progression("paced")
    pz.update_campaign(campaignArn=campaign, solutionVersionArn=second)
    with pytest.raises(ClientError) as error:
        pz.update_campaign(campaignArn=campaign, minProvisionedTPS=2)
    assert error_of(error)[0] == "ResourceInUseException"
    assert "already has an update in progress" in error_of(error)[1]
    seen = [pz.describe_campaign(campaignArn=campaign)["campaign"] for _ in range(3)]
    assert [c["latestCampaignUpdate"]["status"] for c in seen] == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    assert [c["solutionVersionArn"] for c in seen] == [first, first, second]  # serves the old one meanwhile


def test_emulator_sync_with_latest_needs_dollar_latest(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    version = train(pz, world["group"], "aws-user-personalization", "up")
    with pytest.raises(ClientError) as error:
        pz.create_campaign(name="c", solutionVersionArn=version, campaignConfig={"syncWithLatestSolutionVersion": True})
    assert error_of(error)[0] == "InvalidInputException" and "$LATEST" in error_of(error)[1]
    latest = version.rsplit("/", 1)[0] + "/$LATEST"
    pz.create_campaign(name="c", solutionVersionArn=latest, campaignConfig={"syncWithLatestSolutionVersion": True})


def test_emulator_pagination_and_tags(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    for k in range(5):
        pz.create_filter(
            name=f"f{k}",
            datasetGroupArn=world["group"],
            tags=[{"tagKey": "k", "tagValue": str(k)}],
            filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
        )
    page = pz.list_filters(datasetGroupArn=world["group"], maxResults=2)
    names = [f["name"] for f in page["Filters"]]
    while "nextToken" in page:
        page = pz.list_filters(datasetGroupArn=world["group"], maxResults=2, nextToken=page["nextToken"])
        names += [f["name"] for f in page["Filters"]]
    assert sorted(names) == [f"f{k}" for k in range(5)]
    arn = pz.list_filters(datasetGroupArn=world["group"])["Filters"][0]["filterArn"]
    pz.tag_resource(resourceArn=arn, tags=[{"tagKey": "team", "tagValue": "recs"}])
    pz.untag_resource(resourceArn=arn, tagKeys=["k"])
    assert pz.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "team", "tagValue": "recs"}]
    with pytest.raises(ClientError) as error:
        pz.list_tags_for_resource(resourceArn=arn + "x")
    assert error_of(error) == ("ResourceNotFoundException", f"Resource Arn {arn}x does not exist.")


def test_emulator_faults_limit_training_and_throttling(world: dict[str, Any]) -> None:
    no_retries = Config(retries={"mode": "standard", "total_max_attempts": 1})  # boto3 retries both errors on its own
    pz = boto3.client("personalize", config=no_retries)
    faults = emulator.faults()
    faults.limit_exceeded("CreateSolution", times=1)
    with pytest.raises(ClientError) as error:
        pz.create_solution(name="s", datasetGroupArn=world["group"], recipeArn=RECIPE + "aws-sims")
    assert error_of(error) == (
        "LimitExceededException",
        "CreateSolution: the limit for this resource type has been exceeded (injected).",
    )
    solution = pz.create_solution(name="s", datasetGroupArn=world["group"], recipeArn=RECIPE + "aws-sims")
    faults.fail_training("AlgorithmError: out of memory", times=1)
    version = pz.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
    described = pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert (described["status"], described["failureReason"]) == ("CREATE FAILED", "AlgorithmError: out of memory")
    good = pz.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
    campaign = pz.create_campaign(name="c", solutionVersionArn=good)["campaignArn"]
    faults.throttle("GetRecommendations", times=1)
    runtime = boto3.client("personalize-runtime", config=no_retries)
    with pytest.raises(ClientError) as error:
        runtime.get_recommendations(campaignArn=campaign, itemId="i1")
    assert error_of(error) == ("ThrottlingException", "GetRecommendations: rate exceeded (injected).")
    assert runtime.get_recommendations(campaignArn=campaign, itemId="i1")["itemList"]
    faults.limit_exceeded("CreateCampaign", times=1)
    assert world["personalize"].create_campaign(name="retried", solutionVersionArn=good)  # the default client retries


def test_emulator_paced_import_blocks_training_until_done(engine_ready: Any) -> None:  # noqa: F811
    from test_emulator_support import BUCKET, ROLE, interactions, put_csv

    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        arns = dataset_group(pz, s3, with_metadata=False)
        solution = pz.create_solution(name="s", datasetGroupArn=arns["group"], recipeArn=RECIPE + "aws-sims")
        emulator.set_progression("paced")
        location = put_csv(s3, "again/i.csv", interactions(seed=1))
        job = pz.create_dataset_import_job(
            jobName="again", datasetArn=arns["Interactions"], dataSource={"dataLocation": location}, roleArn=ROLE
        )["datasetImportJobArn"]
        with pytest.raises(ClientError) as error:
            pz.create_solution_version(solutionArn=solution["solutionArn"])
        assert error_of(error)[0] == "ResourceInUseException"
        assert (
            error_of(error)[1]
            == f"Dataset import jobs are in progress in {arns['group']}: [{job!r}]. Wait until they finish."
        )
        with pytest.raises(ClientError) as error:
            pz.delete_dataset(datasetArn=arns["Interactions"])
        assert error_of(error)[0] == "ResourceInUseException" and "is in use by jobs in progress" in error_of(error)[1]
        seen = until_settled(lambda: pz.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])
        assert seen[:2] == ["CREATE PENDING", "CREATE IN_PROGRESS"] and seen[-1] == "ACTIVE"
        assert BUCKET in location


def test_emulator_campaign_following_latest_serves_newest_active_version(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    first = train(pz, world["group"], "aws-popularity-count", "pop")
    solution = first.rsplit("/", 1)[0]
    campaign = pz.create_campaign(
        name="c", solutionVersionArn=solution + "/$LATEST", campaignConfig={"syncWithLatestSolutionVersion": True}
    )["campaignArn"]
    from autopersonalize.emulator.campaigns import Campaign
    from autopersonalize.emulator.store import store_for

    store = store_for("123456789012", "us-east-1")
    assert store.get(Campaign, campaign).serving().arn == first
    second = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    assert store.get(Campaign, campaign).serving().arn == second


def test_emulator_fault_by_resource_type_means_its_create(world: dict[str, Any]) -> None:
    pz = boto3.client("personalize", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    emulator.faults().limit_exceeded("filter", times=1)
    expression = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'
    with pytest.raises(ClientError) as error:
        pz.create_filter(name="f", datasetGroupArn=world["group"], filterExpression=expression)
    assert error_of(error) == (
        "LimitExceededException",
        "CreateFilter: the limit for this resource type has been exceeded (injected).",
    )
    assert pz.create_filter(name="f", datasetGroupArn=world["group"], filterExpression=expression)["filterArn"]


def test_emulator_state_is_reset_by_a_new_mock(engine_ready: Any) -> None:  # noqa: F811
    with offline_aws("immediate"):
        boto3.client("personalize").create_dataset_group(name="kept-only-here")
        emulator.faults().fail_training("x")
    with offline_aws("immediate"):
        assert boto3.client("personalize").list_dataset_groups()["datasetGroups"] == []
        assert emulator.faults().training_failures == []


def test_emulator_paced_describe_waits_for_work_without_holding_the_store_lock() -> None:
    """The work ends under the store's lock (as an import or a training does): a describe pausing for it must not
    hold that lock, or the work could only end after the pause, and every other request would wait too."""
    from autopersonalize.emulator.lifecycle import PACED_DESCRIBE_PAUSE, Lifecycle, run_work

    emulator.set_progression("paced")
    lock, lifecycle, go = threading.Condition(threading.RLock()), Lifecycle(), threading.Event()
    run_work(lifecycle, lambda: go.wait(5), lock)
    with lock:  # as the emulator's request handling holds it around each operation
        assert [lifecycle.observe(lock), lifecycle.observe(lock)] == ["CREATE PENDING", "CREATE IN_PROGRESS"]
        threading.Timer(0.02, go.set).start()
        started = time.monotonic()
        status = lifecycle.observe(lock)
        waited = time.monotonic() - started

    assert status == "ACTIVE"  # the work ended during the pause
    assert waited < PACED_DESCRIBE_PAUSE  # and the pause ended with it
