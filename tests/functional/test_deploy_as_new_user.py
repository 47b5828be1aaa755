"""Deploy as a new user would (issue 12, guard 6): samconfig.toml's guided defaults are enough, the default parameters
refuse to deploy naming what to set (the offline stack evaluates the template's Rules as CloudFormation does), and no
resource name collides across regions or survives `sam delete`."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import boto3
import pytest

from autopersonalize.local import offline_aws
from autopersonalize.local.stack import PARAMS_BY_HAND, REPO, deploy_stack
from autopersonalize.local.template import NAME_PROPERTIES, STACK_NAME, RuleAssertionError, Template, load

BODY = load(REPO / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = dict(BODY["Resources"])
# Names that are unique beyond one region of one account: IAM is account-wide, S3 bucket names are global.
GLOBAL_NAMES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::S3::Bucket": "BucketName",
}


def test_stack_default_parameters_refuse_to_deploy_naming_each_source() -> None:
    with offline_aws():
        with pytest.raises(RuleAssertionError) as refused:
            deploy_stack()
        buckets = boto3.client("s3").list_buckets()["Buckets"]
    lines = str(refused.value).splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "InteractionsSource is empty",
        "ItemsSource is empty",
        "UsersSource is empty",
    ]
    assert lines[0].endswith("or none to schedule no export and drop params files yourself.")
    assert buckets == []  # refused before anything was created


def test_stack_interactions_source_none_deploys_without_items_or_users_sources() -> None:
    Template.read(REPO / "template.yaml", PARAMS_BY_HAND).check_rules()  # the Items/Users rule's condition is false


def test_stack_source_none_gives_its_export_job_an_empty_source_so_it_skips_the_dataset() -> None:
    parameters = {"InteractionsSource": "s3://lake/clicks/", "ItemsSource": "none", "UsersSource": "s3://lake/users/"}
    with offline_aws():
        deploy_stack(parameters=parameters)
        glue = boto3.client("glue")
        sources = {
            dataset: glue.get_job(JobName=f"ap-export-{dataset}")["Job"]["DefaultArguments"]["--source"]
            for dataset in ("interactions", "items", "users")
        }
    assert sources == {"interactions": "s3://lake/clicks/", "items": "", "users": "s3://lake/users/"}


def test_template_names_nothing_that_is_unique_beyond_one_region() -> None:
    named = [
        logical_id
        for logical_id, resource in RESOURCES.items()
        if GLOBAL_NAMES.get(resource["Type"], "-") in resource.get("Properties", {})
    ]
    assert named == []


def test_template_retained_resources_get_a_new_name_for_each_stack() -> None:
    fixed = []
    for logical_id, resource in RESOURCES.items():
        if resource.get("DeletionPolicy") != "Retain":
            continue
        names = [resource["Properties"][key] for key in NAME_PROPERTIES if key in resource.get("Properties", {})]
        if names and "AWS::StackId" not in json.dumps(names):
            fixed.append(logical_id)
    assert fixed == []


def test_stack_unnamed_resources_get_the_names_cloudformation_generates() -> None:
    names = Template.read(REPO / "template.yaml", PARAMS_BY_HAND).names
    assert re.fullmatch(r"autopersonalize-databucket-[0-9a-f]{12}", names["DataBucket"])
    assert re.fullmatch(r"autopersonalize-PersonalizeRole-[0-9A-F]{12}", names["PersonalizeRole"])
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch(rf"/aws/vendedlogs/states/ap-training-{uuid}", names["TrainingStateMachineLogs"])


def test_samconfig_deploys_the_offline_stacks_name_with_the_capability_the_template_needs() -> None:
    deploy = tomllib.loads((REPO / "samconfig.toml").read_text())["default"]
    assert deploy["global"]["parameters"]["stack_name"] == STACK_NAME
    assert deploy["deploy"]["parameters"]["capabilities"] == "CAPABILITY_IAM"  # enough: no IAM resource is named
    assert deploy["deploy"]["parameters"]["resolve_s3"] is True
