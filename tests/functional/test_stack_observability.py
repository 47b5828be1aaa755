"""What the deployed stack keeps for operators: every function's logs expire (issue 12: Lambda logs never expired), and
X-Ray tracing is on only where a tracer would record the AWS calls (it was Active with no SDK in the bundle)."""

from __future__ import annotations

import json
from typing import Any

import boto3

from autopersonalize.local import offline_aws
from autopersonalize.local.stack import PARAMS_BY_HAND, REPO, deploy_stack
from autopersonalize.local.template import Template


def _log_group(template: Template, function: dict[str, Any], name: str) -> str:
    """Where Lambda writes the function's logs: LoggingConfig.LogGroup (the function's, else Globals'), else the group
    Lambda creates on first write, /aws/lambda/<name>, which has no retention."""
    own = template.resolve(function["Properties"].get("LoggingConfig", {}))
    shared = template.resolve(template.globals_for("Function").get("LoggingConfig", {}))
    return str(own.get("LogGroup") or shared.get("LogGroup") or f"/aws/lambda/{name}")


def test_stack_every_function_logs_to_a_group_with_a_retention() -> None:
    with offline_aws():
        stack = deploy_stack(parameters=PARAMS_BY_HAND)
        template = stack.template
        logs = boto3.client("logs")
        retention = {g["logGroupName"]: g.get("retentionInDays") for g in logs.describe_log_groups()["logGroups"]}
    functions = {k: r for k, r in template.resources.items() if r["Type"] == "AWS::Serverless::Function"}
    groups = {k: _log_group(template, r, template.names[k]) for k, r in functions.items()}
    assert len(functions) == 38  # with Load Batch Output (batch serving), the 3 recommender steps, Check Experiment
    assert {k: retention.get(g) for k, g in groups.items() if not retention.get(g)} == {}


def test_template_traces_only_with_the_xray_sdk_in_the_lambda_bundle() -> None:
    template = Template.read(REPO / "template.yaml", PARAMS_BY_HAND)
    traced = ["Globals"] if template.globals_for("Function").get("Tracing") == "Active" else []
    for logical_id, resource in template.resources.items():
        props = resource.get("Properties", {})
        if props.get("Tracing") == "Active" or props.get("Tracing", {}) == {"Enabled": True}:
            traced.append(logical_id)
    bundle = (REPO / "lambdas" / "requirements.txt").read_text()
    assert traced == [] or "aws-xray-sdk" in bundle, f"X-Ray tracing without the X-Ray SDK: {traced}"


def test_stack_dashboard_is_created_offline_on_the_stack_deployed_names() -> None:
    with offline_aws():
        stack = deploy_stack(parameters=PARAMS_BY_HAND)
        cloudwatch = boto3.client("cloudwatch")
        [listed] = cloudwatch.list_dashboards()["DashboardEntries"]
        body = json.loads(cloudwatch.get_dashboard(DashboardName=listed["DashboardName"])["DashboardBody"])
        machines = {
            m["name"]: m["stateMachineArn"]
            for m in boto3.client("stepfunctions").list_state_machines()["stateMachines"]
        }
        functions = {f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]}
    assert listed["DashboardName"] == stack.name("Dashboard") == "ap-autopersonalize-us-east-1"
    charted = [line for w in body["widgets"] for line in w["properties"].get("metrics", []) if isinstance(line[0], str)]
    assert {line[3] for line in charted if line[0] == "AWS/States"} == {machines["ap-training"]}
    assert {line[3] for line in charted if line[0] == "AWS/Lambda"} <= functions
