"""The offline stack: template.yaml deployed into moto, S3 uploads starting state machines, Glue workflows running."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from autopersonalize.local import offline_aws
from autopersonalize.local.stack import DEPLOYERS, REPO, deploy_stack
from autopersonalize.local.template import Template, TemplateError

MINI = Path(__file__).parents[1] / "fixtures" / "mini_stack" / "template.yaml"


def test_stack_params_upload_starts_the_machine_with_the_s3_event() -> None:
    with offline_aws():
        stack = deploy_stack(MINI)
        execution = stack.wait(stack.put_params("demo", {"any": "thing"}))
    assert execution["status"] == "SUCCEEDED"
    assert execution["output"] == {"key": "params/demo.json", "prefix": "mini"}


def test_stack_upload_outside_params_starts_nothing() -> None:
    with offline_aws():
        stack = deploy_stack(MINI)
        boto3.client("s3").put_object(Bucket=stack.bucket, Key="exports/x.json", Body=b"{}")
        assert stack.executions("TrainingStateMachine") == []


def test_stack_function_gets_globals_environment_and_parameter_overrides() -> None:
    with offline_aws():
        stack = deploy_stack(MINI, {"Prefix": "other"})
        variables = boto3.client("lambda").get_function_configuration(FunctionName="other-Echo")["Environment"]
    assert stack.bucket == "other-123456789012-data"
    # Globals merged with the function's own variables, not replaced by them
    assert variables["Variables"] == {"PREFIX": "other", "WAIT_SCALE": "0", "OWN": "yes"}


def test_stack_conditional_resource_is_skipped_when_its_condition_is_false() -> None:
    with offline_aws():
        stack = deploy_stack(MINI)
    assert "Subscription" not in stack.resources
    assert "Topic" in stack.resources


def test_stack_glue_workflow_runs_jobs_in_trigger_order_with_workflow_run_id() -> None:
    with offline_aws():
        stack = deploy_stack(MINI)
        run = stack.run_glue_workflow("Workflow")
        s3 = boto3.client("s3")
        third = json.loads(s3.get_object(Bucket=stack.bucket, Key="runs/mini-third.json")["Body"].read())
    assert run["Status"] == "COMPLETED"
    assert run["Statistics"]["SucceededActions"] == 3
    assert third["--WORKFLOW_RUN_ID"] == run["WorkflowRunId"]


def test_stack_glue_failure_stops_the_workflow_and_reports_the_message() -> None:
    with offline_aws():
        stack = deploy_stack(MINI, {"FailSecond": "yes"})
        run = stack.run_glue_workflow("Workflow")
        job_run = boto3.client("glue").get_job_runs(JobName="mini-second")["JobRuns"][0]
    assert run["Statistics"] == {"TotalActions": 2, "SucceededActions": 1, "FailedActions": 1}
    assert job_run["JobRunState"] == "FAILED"
    assert job_run["ErrorMessage"] == "RuntimeError: told to fail"


def test_stack_unknown_parameter_is_refused_with_the_declared_ones() -> None:
    with pytest.raises(TemplateError, match=r"parameter\(s\) \['Nope'\] not declared"):
        Template.read(MINI, {"Nope": "1"})


def test_stack_every_resource_type_of_the_real_template_is_deployable_offline() -> None:
    types = {r["Type"] for r in Template.read(REPO / "template.yaml").resources.values()}
    assert types <= set(DEPLOYERS), f"not supported offline: {sorted(types - set(DEPLOYERS))}"


def test_stack_unsupported_resource_type_fails_naming_it(tmp_path: Path) -> None:
    text = MINI.read_text().replace("Resources:\n", "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n", 1)
    (tmp_path / "template.yaml").write_text(text)
    with (
        offline_aws(),
        pytest.raises(TemplateError, match=r"not supported by the offline stack: Queue \(AWS::SQS::Queue\)"),
    ):
        deploy_stack(tmp_path / "template.yaml")


def test_state_machine_definition_is_parsed_once_and_each_execution_gets_fresh_components() -> None:
    from autopersonalize.local import patches

    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }
    with offline_aws():
        sfn = boto3.client("stepfunctions")
        role = "arn:aws:iam::123456789012:role/any"
        arn = sfn.create_state_machine(name="parsed-once", definition=json.dumps(definition), roleArn=role)[
            "stateMachineArn"
        ]
        misses = patches._syntax_tree.cache_info().misses
        outputs = []
        for items in ([1, 2], ["a"]):
            run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"items": items}))["executionArn"]
            while (described := sfn.describe_execution(executionArn=run))["status"] == "RUNNING":
                time.sleep(0.01)
            outputs.append(json.loads(described["output"]))
        assert patches._syntax_tree.cache_info().misses == misses  # the executions reused the create-time parse
        assert outputs == [[1, 2], ["a"]]
        for _ in range(2):  # a syntax error is not cached: refused every time
            with pytest.raises(ClientError, match="ASLParserException"):
                sfn.create_state_machine(name="bad", definition='{"StartAt": "X", "States": {}}', roleArn=role)
