"""Helpers for the workflow tests: seeded small data in emulated S3, params, and the Personalize resources to count."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import boto3

REPO = Path(__file__).resolve().parents[2]
INTERACTIONS_HEADER = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE"
CATEGORIES = ("books", "games", "music", "garden")


def interactions_csv(seed: int = 7, users: int = 120, per_user: int = 25, header: str = INTERACTIONS_HEADER) -> str:
    """Users who each prefer one category (so models learn something), seconds-epoch timestamps, newest last."""
    rng = random.Random(seed)
    lines = [header]
    for u in range(users):
        liked = CATEGORIES[u % len(CATEGORIES)]
        for n in range(per_user):
            category = liked if rng.random() < 0.85 else rng.choice(CATEGORIES)
            item = f"{category}-{rng.randrange(30)}"
            event = "purchase" if rng.random() < 0.1 else "click"
            lines.append(f"u{u},{item},{1_700_000_000 + u * 1000 + n * 60},{event},1.0")
    return "\n".join(lines) + "\n"


def items_csv() -> str:
    rows = ["ITEM_ID,CATEGORY,PRICE,CREATION_TIMESTAMP"]
    rows += [f"{c}-{i},{c},{1 + i % 9}.5,1690000000" for c in CATEGORIES for i in range(30)]
    return "\n".join(rows) + "\n"


def upload_data(bucket: str, run: str = "r1", *, seed: int = 7, interactions: str | None = None) -> dict[str, str]:
    """Schemas under schemas/, CSVs under exports/<run>/; returns dataLocation per dataset type."""
    s3 = boto3.client("s3")
    for name in ("interactions", "items", "users"):
        s3.put_object(Bucket=bucket, Key=f"schemas/{name}.avsc", Body=(REPO / "schemas" / f"{name}.avsc").read_bytes())
    body = interactions if interactions is not None else interactions_csv(seed)
    s3.put_object(Bucket=bucket, Key=f"exports/{run}/interactions/part-0.csv", Body=body.encode())
    s3.put_object(Bucket=bucket, Key=f"exports/{run}/items/part-0.csv", Body=items_csv().encode())
    return {
        "Interactions": f"s3://{bucket}/exports/{run}/interactions/",
        "Items": f"s3://{bucket}/exports/{run}/items/",
    }


def params(locations: dict[str, str], group: str = "demo", **overrides: Any) -> dict[str, Any]:
    """Two solutions, two campaigns, a gate that passes, filters and an event tracker; `overrides` replace keys."""
    document: dict[str, Any] = {
        "datasetGroup": {"name": group},
        "datasets": [
            {"datasetType": t, "schemaFile": f"../schemas/{t.lower()}.avsc", "dataLocation": loc}
            for t, loc in locations.items()
        ],
        "solutions": [
            {"name": "personal", "recipe": "aws-user-personalization-v2"},
            {"name": "popular", "recipe": "aws-popularity-count"},
        ],
        "metricsGate": [{"solution": "personal", "minimums": {"coverage": 0.0}}],
        "campaigns": [
            {"name": "personal", "solution": "personal", "minProvisionedTPS": 1},
            {"name": "popular", "solution": "popular", "minProvisionedTPS": 1},
        ],
        "filters": [
            {"name": "no-purchased", "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'}
        ],
        "eventTracker": {"name": "events"},
        "tags": [{"tagKey": "project", "tagValue": "tests"}],
        "polling": {"initialIntervalSeconds": 60, "maxIntervalSeconds": 600, "maxWaitSeconds": 86400},
    }
    document.update(copy.deepcopy(overrides))
    return document


def counts(group_arn: str | None = None) -> dict[str, int]:
    """How many of each Personalize resource exist (all dataset groups when group_arn is None)."""
    p = boto3.client("personalize")
    groups = [g["datasetGroupArn"] for g in p.list_dataset_groups()["datasetGroups"]]
    if group_arn is not None:
        groups = [g for g in groups if g == group_arn]
    datasets = [d for g in groups for d in p.list_datasets(datasetGroupArn=g)["datasets"]]
    solutions = [s for g in groups for s in p.list_solutions(datasetGroupArn=g)["solutions"]]
    versions = [
        v for s in solutions for v in p.list_solution_versions(solutionArn=s["solutionArn"])["solutionVersions"]
    ]
    imports = [j for d in datasets for j in p.list_dataset_import_jobs(datasetArn=d["datasetArn"])["datasetImportJobs"]]
    campaigns = [c for s in solutions for c in p.list_campaigns(solutionArn=s["solutionArn"])["campaigns"]]
    return {
        "datasetGroups": len(groups),
        "schemas": len(p.list_schemas()["schemas"]),
        "datasets": len(datasets),
        "imports": len(imports),
        "solutions": len(solutions),
        "solutionVersions": len(versions),
        "campaigns": len(campaigns),
        "filters": sum(len(p.list_filters(datasetGroupArn=g)["Filters"]) for g in groups),
        "eventTrackers": sum(len(p.list_event_trackers(datasetGroupArn=g)["eventTrackers"]) for g in groups),
        "metricAttributions": len(  # all of them without a group: one left behind by a deleted group counts too
            [a for g in groups for a in p.list_metric_attributions(datasetGroupArn=g)["metricAttributions"]]
            if group_arn is not None
            else p.list_metric_attributions()["metricAttributions"]
        ),
    }


def failure(execution: dict[str, Any]) -> tuple[str, str]:
    """(error, errorMessage) of a FAILED execution (the Fail state's Error and the Lambda's message in Cause)."""
    cause = execution.get("cause", "")
    try:
        message = json.loads(cause).get("errorMessage", cause)
    except ValueError:
        message = cause
    return execution.get("error", ""), message


ROLE = "arn:aws:iam::123456789012:role/personalize"
PUBLISH = {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}  # what PersonalizeRole has
ENV = {
    "PREFIX": "ap",
    "BUCKET": "data",
    "LOCK_TABLE": "ap-locks",
    "EVENT_BUS_NAME": "default",
    "WAIT_SCALE": "0",
    "PERSONALIZE_ROLE_ARN": ROLE,
    "POWERTOOLS_SERVICE_NAME": "autopersonalize",
    "SCHEDULE_GROUP": "ap",
    "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/ap-scheduler",
    "TRAINING_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:ap-training",
}


def personalize_access(bucket: str, role: str = ROLE) -> str:
    """The bucket (created) and the role Personalize reads it with, set up as AWS's guide says: the role trusts
    personalize.amazonaws.com and may read and write the bucket, and publish a metric attribution's metrics
    (cloudwatch:PutMetricData, "Giving Amazon Personalize access to CloudWatch"); the bucket policy lets the service
    read and write the bucket too."""
    s3, iam = boto3.client("s3"), boto3.client("iam")
    s3.create_bucket(Bucket=bucket)
    statement = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]}
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {**statement, "Principal": {"Service": "personalize.amazonaws.com"}, "Resource": resources}
                ],
            }
        ),
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    name = role.rsplit("/", 1)[-1]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=name,
        PolicyName="data",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{**statement, "Resource": resources}, PUBLISH]}
        ),
    )
    return role


def kms_role(role: str, key: str) -> str:
    """A Personalize role that may use the KMS key (what "Giving Amazon Personalize permission to use your AWS KMS
    key" asks of it)."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    use = {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], "Resource": key}
    iam, name = boto3.client("iam"), role.rsplit("/", 1)[-1]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=name, PolicyName="key", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [use]})
    )
    return role


def setup_account() -> dict[str, str]:
    """What the template would create for the Lambdas (bucket and the Personalize role's access to it, lock table,
    topic, schedule group), and the env vars naming them."""
    personalize_access("data")
    boto3.client("dynamodb").create_table(
        TableName="ap-locks",
        AttributeDefinitions=[{"AttributeName": "datasetGroup", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "datasetGroup", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    topic = boto3.client("sns").create_topic(Name="ap-notifications")["TopicArn"]
    boto3.client("scheduler").create_schedule_group(Name="ap")  # the retraining schedules' group
    return {**ENV, "TOPIC_ARN": topic}


class FakeContext:
    """Enough of a Lambda context for powertools' inject_lambda_context."""

    function_name = "test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    memory_limit_in_mb = 128
    aws_request_id = "req"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "s"

    def get_remaining_time_in_millis(self) -> int:
        return 60000


def call(state: str, event: dict[str, Any]) -> dict[str, Any]:
    """Invoke the handler of an ASL state by the naming chain (state -> workflow.handlers.<snake>)."""
    import importlib

    module = importlib.import_module(f"workflow.handlers.{state.lower().replace(' ', '_')}")
    return dict(module.handler(event, FakeContext()))


def tear_down(phase: str, group: str, progress: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call a teardown state until it reports done (each call deletes what it can and returns its progress); the
    teardown machine hands each state the previous state's progress, which `progress` reproduces."""
    progress = {} if progress is None else progress
    for _ in range(10):
        progress = call(phase, {"datasetGroup": group, "progress": progress})
        if progress["done"]:
            return progress
    raise AssertionError(f"{phase} was not done after 10 calls: {progress}")


def load(params_doc: dict[str, Any], key: str = "params/demo.json", name: str = "exec-1") -> dict[str, Any]:
    """Upload a params file and run Load Params on it: the state the training machine starts from."""
    boto3.client("s3").put_object(Bucket="data", Key=key, Body=json.dumps(params_doc).encode())
    event = {"detail": {"bucket": {"name": "data"}, "object": {"key": key}}}
    arn = f"arn:aws:states:us-east-1:123456789012:execution:ap-training:{name}"
    return call("Load Params", {"event": event, "executionId": arn, "executionName": name})
