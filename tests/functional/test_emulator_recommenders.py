"""Recommenders of Domain dataset groups with plain boto3 in `offline_aws()`: lifecycles, training, errors, runtime."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from test_emulator_support import (  # noqa: F401
    BUCKET,
    RECIPE,
    ROLE,
    engine_ready,
    error_of,
    interactions,
    items,
    put_csv,
    train,
)

from autopersonalize import emulator
from autopersonalize.local import offline_aws
from tests.e2e.workflow_support import personalize_access

VOD_INTERACTIONS: dict[str, Any] = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
}
VOD_ITEMS: dict[str, Any] = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRES", "type": "string", "categorical": True},
        {"name": "CREATION_TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
}
GROUP_0 = {f"i{i}" for i in range(10)}  # test_emulator_support.interactions: users u % 4 == 0 favour items i0-i9


def events(domain: str, n_users: int = 60, per_user: int = 24) -> pd.DataFrame:
    """The support data with the domain's event types: VOD Watch and Click, ECOMMERCE View and Purchase."""
    frame = interactions(n_users=n_users, per_user=per_user)[["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"]]
    names = {"click": "Watch", "purchase": "Click"} if domain == "VIDEO_ON_DEMAND" else {}
    if domain == "ECOMMERCE":
        names = {"click": "View", "purchase": "Purchase"}
    return frame.assign(EVENT_TYPE=frame["EVENT_TYPE"].map(names))


def vod_items() -> pd.DataFrame:
    frame = items()
    return pd.DataFrame(
        {
            "ITEM_ID": frame["ITEM_ID"],
            "GENRES": frame["CATEGORY"].map({"books": "Drama", "games": "Action", "music": "Musical", "films": "War"}),
            "CREATION_TIMESTAMP": frame["CREATION_TIMESTAMP"],
        }
    )


def domain_group(
    pz: Any, s3: Any, name: str, domain: str, frame: pd.DataFrame, item_frame: pd.DataFrame | None = None
) -> str:
    """An ACTIVE Domain dataset group with imported interactions (and items); needs "immediate" progression."""
    if not any(r["RoleName"] == ROLE.rsplit("/", 1)[-1] for r in boto3.client("iam").list_roles()["Roles"]):
        personalize_access(BUCKET)
    group = pz.create_dataset_group(name=name, domain=domain)["datasetGroupArn"]
    sets = [("Interactions", VOD_INTERACTIONS, frame)]
    if item_frame is not None:
        sets.append(("Items", VOD_ITEMS, item_frame))
    for kind, schema, data in sets:
        schema_arn = pz.create_schema(name=f"{name}-{kind.lower()}", schema=json.dumps(schema), domain=domain)[
            "schemaArn"
        ]
        dataset = pz.create_dataset(
            name=f"{name}-{kind.lower()}", schemaArn=schema_arn, datasetGroupArn=group, datasetType=kind
        )["datasetArn"]
        job = pz.create_dataset_import_job(
            jobName=f"{name}-{kind.lower()}-1",
            datasetArn=dataset,
            dataSource={"dataLocation": put_csv(s3, f"{name}/{kind.lower()}/part-0.csv", data)},
            roleArn=ROLE,
        )["datasetImportJobArn"]
        assert pz.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]["status"] == "ACTIVE"
    return str(group)


@pytest.fixture
def world(engine_ready: Any) -> Iterator[dict[str, Any]]:  # noqa: F811
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        group = domain_group(pz, s3, "vod", "VIDEO_ON_DEMAND", events("VIDEO_ON_DEMAND"), vod_items())
        yield {"personalize": pz, "s3": s3, "runtime": boto3.client("personalize-runtime"), "group": group}


def recommender(pz: Any, group: str, recipe: str, name: str | None = None, **extra: Any) -> str:
    return str(
        pz.create_recommender(name=name or recipe, datasetGroupArn=group, recipeArn=RECIPE + recipe, **extra)[
            "recommenderArn"
        ]
    )


def described(pz: Any, arn: str) -> dict[str, Any]:
    return dict(pz.describe_recommender(recommenderArn=arn)["recommender"])


def item_ids(answer: dict[str, Any]) -> list[str]:
    return [row["itemId"] for row in answer["itemList"]]


def test_top_picks_trains_user_personalization_and_reports_personalize_s_metrics(world: dict[str, Any]) -> None:
    pz, rt = world["personalize"], world["runtime"]
    arn = recommender(pz, world["group"], "aws-vod-top-picks", "top-picks")
    assert arn == "arn:aws:personalize:us-east-1:123456789012:recommender/top-picks"
    view = described(pz, arn)
    assert view["status"] == "ACTIVE" and view["recipeArn"] == RECIPE + "aws-vod-top-picks"
    assert view["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 1}  # the documented default
    assert set(view["modelMetrics"]) == {
        "coverage",
        "mean_reciprocal_rank_at_25",
        "normalized_discounted_cumulative_gain_at_5",
        "normalized_discounted_cumulative_gain_at_10",
        "normalized_discounted_cumulative_gain_at_25",
        "precision_at_5",
        "precision_at_10",
        "precision_at_25",
    }
    assert view["modelMetrics"]["precision_at_5"] >= 0.15  # the taste groups are learnt (chance: under 0.08)
    answer = rt.get_recommendations(recommenderArn=arn, userId="u0", numResults=10)
    assert answer["recommendationId"].startswith("RID-") and len(answer["itemList"]) == 10
    watched = set(events("VIDEO_ON_DEMAND").query("USER_ID == 'u0' and EVENT_TYPE == 'Watch'")["ITEM_ID"])
    assert not set(item_ids(answer)) & watched  # "automatically filters videos the user watched"


def test_more_like_x_answers_related_videos_and_most_popular_counts_watch_events(world: dict[str, Any]) -> None:
    pz, rt = world["personalize"], world["runtime"]
    more = recommender(pz, world["group"], "aws-vod-more-like-x")
    popular = recommender(pz, world["group"], "aws-vod-most-popular")
    related = item_ids(rt.get_recommendations(recommenderArn=more, userId="nobody", itemId="i3", numResults=5))
    assert "i3" not in related and len(set(related) & GROUP_0) >= 4
    frame = events("VIDEO_ON_DEMAND")
    watches = frame[frame["EVENT_TYPE"] == "Watch"]["ITEM_ID"].value_counts()
    top = item_ids(rt.get_recommendations(recommenderArn=popular, userId="u1", numResults=3))
    assert top == list(watches.index[:3])
    assert set(described(pz, popular)["modelMetrics"]) >= {"coverage", "precision_at_25"}


def test_runtime_requires_the_ids_of_the_use_case_and_one_arn(world: dict[str, Any]) -> None:
    pz, rt = world["personalize"], world["runtime"]
    more = recommender(pz, world["group"], "aws-vod-more-like-x")
    top = recommender(pz, world["group"], "aws-vod-top-picks")
    with pytest.raises(ClientError) as refused:
        rt.get_recommendations(recommenderArn=more, userId="u1")
    assert error_of(refused) == (
        "InvalidInputException",
        "itemId: required for a recommender of aws-vod-more-like-x (it needs userId and itemId).",
    )
    with pytest.raises(ClientError) as refused:
        rt.get_recommendations(recommenderArn=top, itemId="i1")
    assert error_of(refused)[1] == "userId: required for a recommender of aws-vod-top-picks (it needs userId)."
    with pytest.raises(ClientError) as refused:
        rt.get_recommendations(recommenderArn=top, campaignArn=top.replace("recommender/", "campaign/"), userId="u1")
    assert error_of(refused)[1].startswith("Give exactly one of campaignArn") and "got both" in error_of(refused)[1]
    with pytest.raises(ClientError) as refused:
        rt.get_recommendations(userId="u1")
    assert "got neither" in error_of(refused)[1]
    with pytest.raises(ClientError) as refused:
        rt.get_recommendations(recommenderArn=top, userId="u1", numResults=501)
    assert error_of(refused) == ("InvalidInputException", "numResults: allows at most 500, got 501.")
    with pytest.raises(ClientError) as refused:
        rt.get_recommendations(recommenderArn=top + "x", userId="u1")
    assert error_of(refused)[0] == "ResourceNotFoundException"


def test_filters_apply_to_recommenders_after_the_automatic_filter(world: dict[str, Any]) -> None:
    pz, rt = world["personalize"], world["runtime"]
    top = recommender(pz, world["group"], "aws-vod-top-picks")
    drama = pz.create_filter(
        name="drama", datasetGroupArn=world["group"], filterExpression='INCLUDE ItemID WHERE Items.GENRES IN ("Drama")'
    )["filterArn"]
    answer = item_ids(rt.get_recommendations(recommenderArn=top, userId="u1", filterArn=drama, numResults=50))
    assert answer and set(answer) <= GROUP_0  # Drama: i0-i9


def test_paced_lifecycles_create_stop_start_update_delete(engine_ready: Any) -> None:  # noqa: F811
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        rt = boto3.client("personalize-runtime")
        group = domain_group(pz, s3, "vod", "VIDEO_ON_DEMAND", events("VIDEO_ON_DEMAND"), vod_items())
        emulator.set_progression("paced")
        try:
            arn = recommender(pz, group, "aws-vod-most-popular", "popular")
            interactions = pz.list_datasets(datasetGroupArn=group)["datasets"][0]["datasetArn"]
            with pytest.raises(ClientError) as refused:
                pz.delete_dataset(datasetArn=interactions)  # the recommender trains on it
            assert error_of(refused)[0] == "ResourceInUseException" and arn in error_of(refused)[1]
            first = described(pz, arn)
            assert "modelMetrics" not in first  # "null when the recommender is being created"
            seen = [first["status"]]
            deadline = time.monotonic() + 30
            while seen[-1] != "ACTIVE" and time.monotonic() < deadline:
                seen.append(described(pz, arn)["status"])
            assert seen[0] == "CREATE PENDING" and "CREATE IN_PROGRESS" in seen and seen[-1] == "ACTIVE"
            with pytest.raises(ClientError) as refused:
                pz.start_recommender(recommenderArn=arn)
            assert error_of(refused) == (
                "ResourceInUseException",
                f"Recommender {arn} is ACTIVE; it can be started only when INACTIVE. Wait until DescribeRecommender "
                "shows INACTIVE.",
            )
            pz.update_recommender(recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 3})
            first = described(pz, arn)
            assert first["status"] == "ACTIVE" and first["latestRecommenderUpdate"]["status"] == "CREATE PENDING"
            assert first["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 1  # the old one until done
            with pytest.raises(ClientError) as refused:
                pz.update_recommender(recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 4})
            assert error_of(refused)[0] == "ResourceInUseException"
            updates = [described(pz, arn)["latestRecommenderUpdate"]["status"] for _ in range(3)]
            assert updates[-1] == "ACTIVE"
            assert described(pz, arn)["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 3
            pz.stop_recommender(recommenderArn=arn)
            stops = [described(pz, arn)["status"] for _ in range(4)]
            assert stops == ["STOP PENDING", "STOP IN_PROGRESS", "INACTIVE", "INACTIVE"]
            assert pz.list_recommenders(datasetGroupArn=group)["recommenders"][0]["status"] == "INACTIVE"
            with pytest.raises(ClientError) as refused:
                rt.get_recommendations(recommenderArn=arn, userId="u1")
            assert error_of(refused)[0] == "ResourceInUseException"
            with pytest.raises(ClientError) as refused:
                pz.stop_recommender(recommenderArn=arn)
            assert error_of(refused)[0] == "ResourceInUseException"
            pz.start_recommender(recommenderArn=arn)
            with pytest.raises(ClientError) as refused:
                pz.delete_recommender(recommenderArn=arn)  # START PENDING: not deletable
            assert error_of(refused)[0] == "ResourceInUseException"
            starts = [described(pz, arn)["status"] for _ in range(4)]
            assert starts == ["START PENDING", "START IN_PROGRESS", "ACTIVE", "ACTIVE"]
            assert item_ids(rt.get_recommendations(recommenderArn=arn, userId="u1", numResults=2))
            pz.delete_recommender(recommenderArn=arn)
            deletes = [described(pz, arn)["status"] for _ in range(2)]
            assert deletes == ["DELETE PENDING", "DELETE IN_PROGRESS"]
            with pytest.raises(ClientError) as refused:
                for _ in range(3):
                    described(pz, arn)
            assert error_of(refused)[0] == "ResourceNotFoundException"
        finally:
            emulator.set_progression("immediate")


def test_list_recommenders_filters_by_group_and_delete_group_waits_for_them(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    arn = recommender(pz, world["group"], "aws-vod-most-popular", "popular", tags=[{"tagKey": "k", "tagValue": "v"}])
    listed = pz.list_recommenders(datasetGroupArn=world["group"])["recommenders"]
    assert [(r["name"], r["recommenderArn"], r["status"]) for r in listed] == [("popular", arn, "ACTIVE")]
    assert pz.list_recommenders(datasetGroupArn=world["group"] + "x")["recommenders"] == []
    assert pz.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "k", "tagValue": "v"}]
    with pytest.raises(ClientError) as refused:
        recommender(pz, world["group"], "aws-vod-top-picks", "popular")
    assert error_of(refused)[0] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as refused:
        pz.delete_dataset_group(datasetGroupArn=world["group"])
    assert error_of(refused)[0] == "ResourceInUseException" and "recommenders" in error_of(refused)[1]
    pz.delete_recommender(recommenderArn=arn)
    assert pz.list_recommenders()["recommenders"] == []


def test_create_recommender_refuses_what_personalize_refuses(world: dict[str, Any]) -> None:
    pz, s3 = world["personalize"], world["s3"]
    group = world["group"]
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        (
            {"recipeArn": RECIPE + "aws-ecomm-recommended-for-you"},
            (
                "InvalidInputException",
                f"recipeArn: aws-ecomm-recommended-for-you is a ECOMMERCE use case and dataset group {group} is "
                "VIDEO_ON_DEMAND; use one of aws-vod-because-you-watched-x, aws-vod-more-like-x, "
                "aws-vod-most-popular, aws-vod-top-picks.",
            ),
        ),
        (
            {"recipeArn": RECIPE + "aws-user-personalization"},
            (
                "InvalidInputException",
                "recipeArn: aws-user-personalization is a custom recipe; a recommender takes a VIDEO_ON_DEMAND use "
                "case: aws-vod-because-you-watched-x, aws-vod-more-like-x, aws-vod-most-popular, aws-vod-top-picks. "
                "Use a solution and a campaign for aws-user-personalization.",
            ),
        ),
        (
            {"recipeArn": RECIPE + "aws-vod-most-popular", "recommenderConfig": {"itemExplorationConfig": {"a": "1"}}},
            (
                "InvalidInputException",
                "recommenderConfig.itemExplorationConfig: aws-vod-most-popular does not recommend personalized items "
                "for a user; give itemExplorationConfig only for aws-vod-top-picks or aws-ecomm-recommended-for-you.",
            ),
        ),
        (
            {"recipeArn": RECIPE + "aws-vod-trending-now"},
            (
                "InvalidAction",
                "The offline Personalize emulator does not train aws-vod-trending-now; see docs/emulator.md.",
            ),
        ),
        (
            {"recipeArn": RECIPE + "aws-vod-no-such-use-case"},
            (
                "ResourceNotFoundException",
                "Resource Arn arn:aws:personalize:::recipe/aws-vod-no-such-use-case does not exist.",
            ),
        ),
        (
            {"recipeArn": RECIPE + "aws-vod-top-picks", "datasetGroupArn": group + "x"},
            ("ResourceNotFoundException", f"Resource Arn {group}x does not exist."),
        ),
    ]
    for request, expected in cases:
        with pytest.raises(ClientError) as refused:
            pz.create_recommender(**{"name": "r", "datasetGroupArn": group, **request})
        assert error_of(refused) == expected, request
    unchecked = boto3.client("personalize", config=Config(parameter_validation=False))  # as another SDK may send
    with pytest.raises(ClientError) as refused:
        unchecked.create_recommender(
            name="r",
            datasetGroupArn=group,
            recipeArn=RECIPE + "aws-vod-most-popular",
            recommenderConfig={"minRecommendationRequestsPerSecond": 0},
        )
    assert error_of(refused) == (
        "InvalidInputException",
        "recommenderConfig.minRecommendationRequestsPerSecond: must be >= 1, got 0.",
    )
    custom = pz.create_dataset_group(name="custom")["datasetGroupArn"]
    with pytest.raises(ClientError) as refused:
        recommender(pz, custom, "aws-vod-top-picks")
    assert error_of(refused) == (
        "InvalidInputException",
        f"datasetGroupArn: {custom} is not a Domain dataset group; recommenders need a dataset group created with a "
        "domain (ECOMMERCE or VIDEO_ON_DEMAND). Use a solution and a campaign in a custom dataset group.",
    )
    empty = pz.create_dataset_group(name="empty", domain="VIDEO_ON_DEMAND")["datasetGroupArn"]
    with pytest.raises(ClientError) as refused:
        recommender(pz, empty, "aws-vod-most-popular")
    assert error_of(refused)[0] == "InvalidInputException" and "has no imported interactions" in error_of(refused)[1]
    no_items = domain_group(pz, s3, "noitems", "VIDEO_ON_DEMAND", events("VIDEO_ON_DEMAND"))
    with pytest.raises(ClientError) as refused:
        recommender(pz, no_items, "aws-vod-more-like-x")
    assert error_of(refused) == (
        "InvalidInputException",
        f"Dataset group {no_items} has no Items dataset; aws-vod-more-like-x requires the Interactions and Items "
        "datasets. Create an Items dataset and import items first.",
    )
    assert described(pz, recommender(pz, no_items, "aws-vod-because-you-watched-x"))["status"] == "ACTIVE"


def test_a_recommender_without_enough_events_of_its_type_fails(world: dict[str, Any]) -> None:
    pz, s3 = world["personalize"], world["s3"]
    clicks = events("VIDEO_ON_DEMAND").assign(EVENT_TYPE="Click")
    group = domain_group(pz, s3, "clicks", "VIDEO_ON_DEMAND", clicks, vod_items())
    view = described(pz, recommender(pz, group, "aws-vod-most-popular"))
    assert view["status"] == "CREATE FAILED" and "modelMetrics" not in view
    assert view["failureReason"] == (
        "There are not enough Watch events for training: found 0 interactions with EVENT_TYPE Watch, and "
        "aws-vod-most-popular needs at least 1000. Import interactions with EVENT_TYPE Watch."
    )
    pz.delete_recommender(recommenderArn=view["recommenderArn"])  # a failed recommender can be deleted
    # More like X needs "at least 1000 events of any type" (the current guide), so Click events train it
    assert described(pz, recommender(pz, group, "aws-vod-more-like-x"))["status"] == "ACTIVE"


def schema_of(fields: list[dict[str, Any]], name: str = "Items") -> str:
    return json.dumps(
        {"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema", "fields": fields}
    )


def test_domain_datasets_need_the_domain_s_schema_and_its_fields(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    group = pz.create_dataset_group(name="shop", domain="ECOMMERCE")["datasetGroupArn"]
    item_id, price = {"name": "ITEM_ID", "type": "string"}, {"name": "PRICE", "type": "float"}
    category = {"name": "CATEGORY_L1", "type": "string", "categorical": True}

    made: list[str] = []

    def create(schema: str, kind: str = "Items", domain: str | None = "ECOMMERCE", target: str = group) -> str:
        extra = {"domain": domain} if domain else {}
        name = f"s{len(made)}"
        made.append(name)
        arn = pz.create_schema(name=name, schema=schema, **extra)["schemaArn"]
        return str(pz.create_dataset(name=name, schemaArn=arn, datasetGroupArn=target, datasetType=kind)["datasetArn"])

    refusals = [
        (
            schema_of([item_id, price, category]),
            None,
            f"schemaArn: schema arn:aws:personalize:us-east-1:123456789012:schema/s0 was created without a domain and "
            f"dataset group {group} is a ECOMMERCE Domain dataset group; create the schema with domain ECOMMERCE.",
        ),
        (
            schema_of([item_id, price]),
            "ECOMMERCE",
            "The schema for a Items dataset of a ECOMMERCE dataset group must contain the field CATEGORY_L1 "
            "(categorical string).",
        ),
        (
            schema_of([item_id, price, {"name": "CATEGORY_L1", "type": "string"}]),
            "ECOMMERCE",
            "Field CATEGORY_L1 of a Items dataset of a ECOMMERCE dataset group must be categorical string; got string. "
            "Fix the schema.",
        ),
        (
            schema_of([item_id, price, category, {"name": "GENDER", "type": "string"}]),
            "ECOMMERCE",
            "Field GENDER of a Items dataset of a ECOMMERCE dataset group must be categorical string; got string. "
            "Fix the schema.",
        ),
        (
            schema_of([item_id, {"name": "PRICE", "type": "long"}, category]),
            "ECOMMERCE",
            "Field PRICE of a Items dataset of a ECOMMERCE dataset group must be float; got long. Fix the schema.",
        ),
    ]
    for schema, domain, message in refusals:
        with pytest.raises(ClientError) as refused:
            create(schema, domain=domain)
        assert error_of(refused) == (
            "InvalidInputException",
            message,
        )
    no_event_type = [f for f in VOD_INTERACTIONS["fields"] if f["name"] != "EVENT_TYPE"]
    with pytest.raises(ClientError) as refused:
        create(schema_of(no_event_type, "Interactions"), "Interactions")
    assert error_of(refused)[1] == (
        "The schema for a Interactions dataset of a ECOMMERCE dataset group must contain the field EVENT_TYPE "
        "(string, not categorical)."
    )
    with pytest.raises(ClientError) as refused:
        create(schema_of([{"name": "USER_ID", "type": "string"}, {"name": "NAME", "type": "string"}], "Users"), "Users")
    assert error_of(refused)[1] == (
        "The schema for a Users dataset of a ECOMMERCE dataset group needs at least 1 metadata field besides USER_ID: "
        "a categorical string or a numerical field."
    )
    custom = pz.create_dataset_group(name="plain")["datasetGroupArn"]
    with pytest.raises(ClientError) as refused:
        create(schema_of([item_id, price, category]), target=custom)
    assert "has no domain; create the schema with no domain." in error_of(refused)[1]
    create(schema_of([item_id, price, category, {"name": "CREATION_TIMESTAMP", "type": "long"}]))  # all fine
    create(schema_of([{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"}], "Users"), "Users")


def test_a_domain_s_required_field_may_not_allow_null(world: dict[str, Any]) -> None:
    # The guide lists required fields typed without null ("CREATION_TIMESTAMP (long)", "PRICE (float)") and says of
    # the reserved keywords that "each keyword lists its required data type and whether it supports null data"
    # ("Items dataset requirements (VIDEO_ON_DEMAND domain)", "... (ECOMMERCE domain)").
    pz = world["personalize"]
    fields = {
        "VIDEO_ON_DEMAND": [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "GENRES", "type": "string", "categorical": True},
            {"name": "CREATION_TIMESTAMP", "type": ["null", "long"]},
        ],
        "ECOMMERCE": [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "PRICE", "type": ["float", "null"]},
            {"name": "CATEGORY_L1", "type": "string", "categorical": True},
        ],
    }
    for domain, field, rule in (("VIDEO_ON_DEMAND", "CREATION_TIMESTAMP", "long"), ("ECOMMERCE", "PRICE", "float")):
        group = pz.create_dataset_group(name=f"null-{domain.lower()}", domain=domain)["datasetGroupArn"]
        arn = pz.create_schema(name=f"null-{domain.lower()}", schema=schema_of(fields[domain]), domain=domain)
        with pytest.raises(ClientError) as refused:
            pz.create_dataset(name="items", schemaArn=arn["schemaArn"], datasetGroupArn=group, datasetType="Items")
        assert error_of(refused) == (
            "InvalidInputException",
            f"Field {field} of a Items dataset of a {domain} dataset group is required and can't be null: its type "
            f'must be {rule}, not ["null", "{rule}"]. Remove "null" from its type and give every row a value.',
        )


def test_list_recipes_by_domain_lists_the_emulated_use_cases(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    vod = pz.list_recipes(domain="VIDEO_ON_DEMAND")["recipes"]
    assert [(r["name"], r["domain"]) for r in vod] == [
        ("aws-vod-because-you-watched-x", "VIDEO_ON_DEMAND"),
        ("aws-vod-more-like-x", "VIDEO_ON_DEMAND"),
        ("aws-vod-most-popular", "VIDEO_ON_DEMAND"),
        ("aws-vod-top-picks", "VIDEO_ON_DEMAND"),
    ]
    assert len(pz.list_recipes(domain="ECOMMERCE")["recipes"]) == 5
    recipe = pz.describe_recipe(recipeArn=RECIPE + "aws-vod-more-like-x")["recipe"]
    assert recipe["recipeType"] == "RELATED_ITEMS" and recipe["status"] == "ACTIVE"


@pytest.fixture
def shop(engine_ready: Any) -> Iterator[dict[str, Any]]:  # noqa: F811
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        frame = events("ECOMMERCE", n_users=220, per_user=24)  # about 1050 Purchase events
        group = domain_group(pz, s3, "shop", "ECOMMERCE", frame)
        yield {"personalize": pz, "runtime": boto3.client("personalize-runtime"), "group": group, "frame": frame}


def test_ecommerce_use_cases_train_on_their_event_types_and_filter_purchases(shop: dict[str, Any]) -> None:
    pz, rt, frame = shop["personalize"], shop["runtime"], shop["frame"]
    arns = {name: recommender(pz, shop["group"], name) for name in names_of_domain("ECOMMERCE")}
    assert {name: described(pz, arn)["status"] for name, arn in arns.items()} == dict.fromkeys(arns, "ACTIVE")
    purchases = frame[frame["EVENT_TYPE"] == "Purchase"]
    views = frame[frame["EVENT_TYPE"] == "View"]
    best = item_ids(rt.get_recommendations(recommenderArn=arns["aws-ecomm-popular-items-by-purchases"], userId="u1"))
    assert best[:3] == list(purchases["ITEM_ID"].value_counts().index[:3])
    viewed = item_ids(rt.get_recommendations(recommenderArn=arns["aws-ecomm-popular-items-by-views"], userId="u1"))
    assert viewed[:3] == list(views["ITEM_ID"].value_counts().index[:3])
    bought = set(purchases[purchases["USER_ID"] == "u0"]["ITEM_ID"])
    for_you = item_ids(rt.get_recommendations(recommenderArn=arns["aws-ecomm-recommended-for-you"], userId="u0"))
    assert for_you and not set(for_you) & bought  # "automatically filters items the user purchased"
    also = item_ids(
        rt.get_recommendations(
            recommenderArn=arns["aws-ecomm-customers-who-viewed-x-also-viewed"], userId="u0", itemId="i2"
        )
    )
    assert also and "i2" not in also and not set(also) & bought
    together = item_ids(
        rt.get_recommendations(recommenderArn=arns["aws-ecomm-frequently-bought-together"], itemId="i2")
    )
    assert together and "i2" not in together  # userId is not used by this use case
    assert set(described(pz, arns["aws-ecomm-frequently-bought-together"])["modelMetrics"]) >= {"precision_at_10"}


def names_of_domain(domain: str) -> list[str]:
    from autopersonalize.emulator.recommenders import names_of

    return names_of(domain)


def test_item_exploration_of_a_personalized_recommender_mixes_in_other_items(world: dict[str, Any]) -> None:
    pz, rt = world["personalize"], world["runtime"]
    plain = recommender(pz, world["group"], "aws-vod-top-picks", "plain")
    config = {"itemExplorationConfig": {"explorationWeight": "1", "explorationItemAgeCutOff": "100000"}}
    explore = recommender(pz, world["group"], "aws-vod-top-picks", "explore", recommenderConfig=config)
    assert described(pz, explore)["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 1, **config}
    first = item_ids(rt.get_recommendations(recommenderArn=plain, userId="u0", numResults=10))
    second = item_ids(rt.get_recommendations(recommenderArn=explore, userId="u0", numResults=10))
    assert len(second) == 10 and first != second


def test_an_injected_training_failure_fails_the_next_recommender(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    emulator.faults().fail_training("Insufficient capacity (injected)")
    view = described(pz, recommender(pz, world["group"], "aws-vod-most-popular", "failing"))
    assert (view["status"], view["failureReason"]) == ("CREATE FAILED", "Insufficient capacity (injected)")
    assert described(pz, recommender(pz, world["group"], "aws-vod-most-popular", "next"))["status"] == "ACTIVE"


def test_streamed_watch_events_reach_the_automatic_filter_without_retraining(world: dict[str, Any]) -> None:
    pz, rt = world["personalize"], world["runtime"]
    top = recommender(pz, world["group"], "aws-vod-top-picks")
    first = item_ids(rt.get_recommendations(recommenderArn=top, userId="u0", numResults=3))
    tracking = pz.create_event_tracker(name="events", datasetGroupArn=world["group"])["trackingId"]
    boto3.client("personalize-events").put_events(
        trackingId=tracking,
        userId="u0",
        sessionId="s",
        eventList=[{"eventType": "Watch", "itemId": first[0], "sentAt": 1_800_000_000}],
    )
    after = item_ids(rt.get_recommendations(recommenderArn=top, userId="u0", numResults=3))
    assert first[0] not in after  # the watched video is filtered at once (PutEvents reaches the filter)
