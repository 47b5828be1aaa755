"""template.yaml: cfn-lint clean, least privilege as the README promises, every Handler importable."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from autopersonalize.local.template import Template, TemplateError

REPO = Path(__file__).resolve().parents[2]
# Personalize actions with no resource types in the Service Authorization Reference: granted on "*"
NO_RESOURCE_LEVEL = ("personalize:TagResource", "personalize:PutEvents")
TEMPLATE = Template.read(REPO / "template.yaml")
FUNCTIONS = {k: v for k, v in TEMPLATE.resources.items() if v["Type"] == "AWS::Serverless::Function"}


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    props = resource.get("Properties", {})
    found: list[dict[str, Any]] = []
    for policy in props.get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            found += policy["Statement"]
        elif isinstance(policy, dict) and "PolicyDocument" in policy:
            found += policy["PolicyDocument"]["Statement"]
    if "PolicyDocument" in props:
        found += props["PolicyDocument"]["Statement"]
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def test_template_cfn_lint_reports_no_error_or_warning() -> None:
    matches = lint((REPO / "template.yaml").read_text(), config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


def test_template_cfn_lint_informational_rules_report_nothing() -> None:
    # suppressions live in the template's Metadata, each with its reason
    config = ManualArgs(include_checks=["I"], regions=["us-east-1"])
    matches = lint((REPO / "template.yaml").read_text(), config=config)
    assert [str(m) for m in matches] == []


def test_template_uses_no_aws_managed_full_access_policy() -> None:
    assert "FullAccess" not in (REPO / "template.yaml").read_text()


# The roles a function may pass, each only to the service that uses it.
PASSABLE = {"PersonalizeRole": "personalize.amazonaws.com", "SchedulerRole": "scheduler.amazonaws.com"}


def test_template_pass_role_only_for_the_service_roles_and_only_to_their_service() -> None:
    for logical_id, resource in TEMPLATE.resources.items():
        for statement in _statements(resource):
            if any(a.startswith("iam:") for a in _actions(statement)):
                assert _actions(statement) == ["iam:PassRole"], logical_id
                role = statement["Resource"]["Fn::GetAtt"]
                assert role[0] in PASSABLE and role[1] == "Arn", logical_id
                passed_to = statement["Condition"]["StringEquals"]["iam:PassedToService"]
                assert passed_to == PASSABLE[role[0]], logical_id


def test_template_only_publish_passes_the_scheduler_role_which_may_only_start_training_or_check_experiments() -> None:
    passing = [
        logical_id
        for logical_id, resource in TEMPLATE.resources.items()
        for statement in _statements(resource)
        if statement.get("Resource") == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
    ]
    assert passing == ["PublishFunction"]
    [trust] = TEMPLATE.resources["SchedulerRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    start, check = TEMPLATE.resources["SchedulerRole"]["Properties"]["Policies"]
    [statement] = start["PolicyDocument"]["Statement"]
    assert _actions(statement) == ["states:StartExecution"]
    assert statement["Resource"]["Fn::Sub"].endswith(":stateMachine:${Prefix}-training")
    [statement] = check["PolicyDocument"]["Statement"]
    assert _actions(statement) == ["lambda:InvokeFunction"]
    assert statement["Resource"]["Fn::Sub"].endswith(":function:${Prefix}-CheckExperiment")


def test_template_personalize_actions_are_scoped_to_the_prefix() -> None:
    for logical_id, resource in TEMPLATE.resources.items():
        for statement in _statements(resource):
            personalize = [a for a in _actions(statement) if a.startswith("personalize:")]
            if not personalize:
                continue
            assert not any("*" in a for a in personalize), f"{logical_id}: wildcard action in {personalize}"
            resources = json.dumps(statement["Resource"])
            if all(a.startswith("personalize:List") or a in NO_RESOURCE_LEVEL for a in personalize):
                continue  # these support no resource-level permissions (Service Authorization Reference)
            assert '"*"' not in resources, f"{logical_id}: {personalize} on *"
            if all("EventTracker" in a for a in personalize):
                continue  # event trackers are named by an id the service makes
            assert "${Prefix}-*" in resources, f"{logical_id}: {personalize} not scoped to the prefix"


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_template_function_handler_is_importable(logical_id: str) -> None:
    props = {**TEMPLATE.globals_for("Function"), **FUNCTIONS[logical_id]["Properties"]}
    code_dir = str(REPO / props["CodeUri"])
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    module, _, attribute = props["Handler"].rpartition(".")
    assert callable(getattr(importlib.import_module(module), attribute))


def test_template_bucket_denies_insecure_transport_and_blocks_public_access() -> None:
    bucket = TEMPLATE.resources["DataBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    deny = [s for s in _statements(TEMPLATE.resources["DataBucketPolicy"]) if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"Prefix": "My_Stack"}, "Parameter 'Prefix' must match pattern [a-z][a-z0-9-]{0,15}"),
        ({"Prefix": "a" * 17}, "Parameter 'Prefix' must match pattern [a-z][a-z0-9-]{0,15}"),
        ({"InteractionsSourceType": "xml"}, "Parameter 'InteractionsSourceType' must be one of AllowedValues"),
        ({"WaitScale": "-1"}, "Parameter 'WaitScale' must be a number not less than 0"),
        ({"PollIntervalSeconds": "soon"}, "Parameter 'PollIntervalSeconds' must be a number"),
    ],
)
def test_template_parameter_values_cloudformation_refuses_are_refused_offline(
    overrides: dict[str, str], refusal: str
) -> None:
    # the offline stack accepted any value; CloudFormation checks each against its declaration first
    with pytest.raises(TemplateError) as error:
        Template.read(REPO / "template.yaml", overrides)
    assert str(error.value) == f"{REPO / 'template.yaml'}: {refusal}"


def test_template_default_parameters_satisfy_their_own_constraints() -> None:
    assert Template.read(REPO / "template.yaml").parameters["Prefix"] == "ap"
