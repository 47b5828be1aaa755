"""template.yaml deployed into offline AWS: every resource type the template uses is created with plain boto3 calls.

A resource type without a deployer here fails `deploy_stack` with a message naming it, so the offline stack can never
silently drift from the template. Lambdas run in-process from their CodeUri + Handler; state machines get their ASL
file with the DefinitionSubstitutions applied; EventBridge rules targeting a state machine start it on S3 uploads.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from autopersonalize import paths
from autopersonalize.local import patches
from autopersonalize.local.template import ACCOUNT, REGION, Template, TemplateError

REPO = paths.ROOT  # the checkout, or the tree packaged in the wheel
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18
OFFLINE_PARAMETERS = {"WaitScale": "0"}
# A stack whose params files are dropped by hand, with no scheduled export (the template's Rules refuse the default,
# empty sources): what the workflow tests and `serve` without the demo deploy.
PARAMS_BY_HAND = {"InteractionsSource": "none"}
# What SAM attaches to every function role (the AWS managed policy AWSLambdaBasicExecutionRole, written out: moto
# does not load AWS managed policies).
BASIC_EXECUTION = {
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ]
}


@dataclass
class OfflineStack:
    """The deployed stack: physical names by logical ID, and the operations a user runs against it."""

    template: Template
    root: Path
    resources: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """One boto3 client per service for the stack's lifetime (creating one costs ~15 ms)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    def name(self, logical_id: str) -> str:
        return self.template.names[logical_id]

    def ref(self, logical_id: str) -> str:
        return str(self.template.ref(logical_id))

    @property
    def bucket(self) -> str:
        return self.name("DataBucket")

    def put_params(self, dataset_group: str, params: dict[str, Any] | str) -> str:
        """Upload params/<dataset_group>.json; returns the execution ARN the EventBridge rule started."""
        body = params if isinstance(params, str) else json.dumps(params, indent=2)
        before = set(self.executions("TrainingStateMachine"))
        self.client("s3").put_object(Bucket=self.bucket, Key=f"params/{dataset_group}.json", Body=body.encode())
        started = [arn for arn in self.executions("TrainingStateMachine") if arn not in before]
        if not started:
            raise RuntimeError(
                f"uploading params/{dataset_group}.json started no execution: check the EventBridge rule"
            )
        return started[0]

    def executions(self, machine_logical_id: str) -> list[str]:
        sfn = self.client("stepfunctions")
        arn = self.ref(machine_logical_id)
        return [e["executionArn"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]]

    def start(self, machine_logical_id: str, payload: dict[str, Any]) -> str:
        """Start one of the stack's state machines with `payload`; returns the execution ARN."""
        sfn = self.client("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=self.ref(machine_logical_id), input=json.dumps(payload))
        return str(arn["executionArn"])

    def wait(self, execution_arn: str, timeout: float = 600.0) -> dict[str, Any]:
        """Block until the execution ends; returns describe_execution with `output` parsed. The wait reads the
        execution's status from the emulated service directly, and calls DescribeExecution once it has ended: a
        DescribeExecution through botocore, moto and the IAM check every 50 ms took ~5 ms of CPU each, 20 times a
        second, from the threads running the execution itself."""
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        _, _, _, region, account, _ = execution_arn.split(":", 5)
        execution = stepfunctions_parser_backends[account][region].describe_execution(execution_arn)
        deadline = time.monotonic() + timeout
        while execution.status == "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still RUNNING after {timeout:.0f} s")
            time.sleep(0.05)
        described = self.client("stepfunctions").describe_execution(executionArn=execution_arn)
        result = dict(described)
        result["output"] = json.loads(described["output"]) if described.get("output") else None
        return result

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """The execution's history events, read from the emulated service directly: the same events
        GetExecutionHistory pages through, without serialising a thousand of them (~0.8 s per demo run)."""
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        backend = stepfunctions_parser_backends[ACCOUNT][REGION]
        events = [dict(event) for event in backend.get_execution_history(execution_arn)["events"]]
        for event in events:  # stored as ISO 8601 text; the API (and so boto3) gives datetimes
            event["timestamp"] = datetime.fromisoformat(str(event["timestamp"]))
        return events

    def run_glue_workflow(
        self, logical_id: str = "ExportWorkflow", properties: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Run the Glue workflow (its jobs execute in-process) and return the run as Glue describes it."""
        glue = self.client("glue")
        name = self.name(logical_id)
        run_id = glue.start_workflow_run(Name=name, **({"RunProperties": properties} if properties else {}))["RunId"]
        return dict(glue.get_workflow_run(Name=name, RunId=run_id)["Run"])

    def notifications(self) -> list[dict[str, Any]]:
        """Messages published to the stack's SNS topic (subject and message), oldest first."""
        from moto.sns.models import sns_backends

        topic = sns_backends[ACCOUNT][REGION].topics[self.ref("NotificationTopic")]
        return [{"subject": subject, "message": message} for _, message, subject, *_ in topic.sent_notifications]


# ---------- deployers: one per resource type, each (stack, logical_id, properties) -> None ----------


def _bucket(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    s3 = stack.client("s3")
    name = stack.name(logical_id)
    s3.create_bucket(Bucket=name)
    if props.get("VersioningConfiguration"):
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
        )
    if "EventBridgeConfiguration" in props.get("NotificationConfiguration", {}):
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )


def _bucket_policy(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    """Applied: the offline policy evaluator honours its conditions (aws:SecureTransport is true in-process), and the
    Personalize emulator reads import data only where it allows the service principal."""
    stack.client("s3").put_bucket_policy(Bucket=str(props["Bucket"]), Policy=json.dumps(props["PolicyDocument"]))


def _create_role(stack: OfflineStack, name: str, trust: dict[str, Any], policies: list[Any], where: str) -> str:
    """A role with its inline policies (dicts with a Statement) and managed ones (ARNs); returns its ARN."""
    iam = stack.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    for index, policy in enumerate(policies):
        if isinstance(policy, str):
            iam.attach_role_policy(RoleName=name, PolicyArn=policy)
        elif isinstance(policy, dict) and "Statement" in policy:
            document = {"Version": "2012-10-17", **policy}
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}Policy{index}", PolicyDocument=json.dumps(document))
        else:
            raise TemplateError(
                f"template.yaml: {where}.Policies[{index}]: {sorted(policy) if isinstance(policy, dict) else policy!r}"
                " is not supported offline; write the statements out (SAM policy templates are not expanded offline)"
            )
    return arn


def _role(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    policies = [{"Statement": p["PolicyDocument"]["Statement"]} for p in props.get("Policies", [])]
    _create_role(
        stack,
        stack.name(logical_id),
        props["AssumeRolePolicyDocument"],
        policies + list(props.get("ManagedPolicyArns", [])),
        logical_id,
    )


def _service_role(stack: OfflineStack, logical_id: str, service: str, policies: list[Any]) -> str:
    """The role SAM generates for a function or state machine (`<LogicalId>Role`), trusting `service`."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    return _create_role(stack, f"{logical_id}Role", trust, policies, logical_id)


def _managed_policy(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    stack.client("iam").create_policy(
        PolicyName=stack.name(logical_id), PolicyDocument=json.dumps(props["PolicyDocument"])
    )


def _table(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    stack.client("dynamodb").create_table(
        TableName=stack.name(logical_id),
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
    )


def _topic(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    stack.client("sns").create_topic(Name=stack.name(logical_id))


def _log_group(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    logs = stack.client("logs")
    logs.create_log_group(logGroupName=stack.name(logical_id))
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=stack.name(logical_id), retentionInDays=int(props["RetentionInDays"]))


def _schedule_group(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    """The group the retraining schedules live in; offline they fire only when a SchedulerClock is advanced
    (autopersonalize/local/scheduler_clock.py)."""
    stack.client("scheduler").create_schedule_group(Name=stack.name(logical_id))


def _nothing(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    """Types with no offline effect (an e-mail subscription, IAM-only HTTP API auth): accepted knowingly."""


def sam_merge(globals_: Any, local: Any) -> Any:
    """A function's properties merged with Globals as SAM does: maps key by key (recursively), lists with the global
    entries first, any other value the function's own (AWS SAM Developer Guide, "Globals section of the template")."""
    if isinstance(globals_, dict) and isinstance(local, dict):
        return {**globals_, **{k: sam_merge(globals_[k], v) if k in globals_ else v for k, v in local.items()}}
    if isinstance(globals_, list) and isinstance(local, list):
        return globals_ + local
    return local


def _function(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    globals_ = stack.template.resolve(stack.template.globals_for("Function"))
    merged = sam_merge(globals_, props)
    variables = {  # SAM merges Globals' environment with the function's own, the function winning
        **globals_.get("Environment", {}).get("Variables", {}),
        **props.get("Environment", {}).get("Variables", {}),
    }
    code_dir = str(stack.root / merged.get("CodeUri", "."))
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)  # the handler module imports from its CodeUri, as in the Lambda package
    role = merged.get("Role") or _service_role(
        stack, logical_id, "lambda.amazonaws.com", [BASIC_EXECUTION, *merged.get("Policies", [])]
    )
    stack.client("lambda").create_function(
        FunctionName=stack.name(logical_id),
        Runtime=merged.get("Runtime", "python3.12"),
        Role=role,
        Handler=merged["Handler"],
        Code={"ZipFile": EMPTY_ZIP},
        Timeout=int(merged.get("Timeout", 3)),
        MemorySize=int(merged.get("MemorySize", 128)),
        Environment={"Variables": {k: str(v) for k, v in variables.items()}},
        **({"LoggingConfig": merged["LoggingConfig"]} if "LoggingConfig" in merged else {}),
    )


def _state_machine(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    text = (stack.root / props["DefinitionUri"]).read_text()
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        text = text.replace("${" + key + "}", str(value))
    name = stack.name(logical_id)
    role = props.get("Role") or _service_role(stack, logical_id, "states.amazonaws.com", props.get("Policies", []))
    arn = stack.client("stepfunctions").create_state_machine(name=name, definition=text, roleArn=role)[
        "stateMachineArn"
    ]
    events = stack.client("events")
    for event_id, event in props.get("Events", {}).items():
        if event["Type"] != "EventBridgeRule":
            raise TemplateError(
                f"template.yaml: {logical_id}.Events.{event_id}: type {event['Type']} not supported offline"
            )
        rule = f"{name}-{event_id}"
        events.put_rule(Name=rule, EventPattern=json.dumps(event["Properties"]["Pattern"]))
        events.put_targets(Rule=rule, Targets=[{"Id": "machine", "Arn": arn}])


def _glue_job(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    if stack.root / "glue_jobs" not in patches.GLUE_SCRIPTS_DIR:
        patches.GLUE_SCRIPTS_DIR.insert(0, stack.root / "glue_jobs")
    if str(stack.root / "glue_jobs") not in sys.path:  # the shared module, as --extra-py-files provides it on Glue
        sys.path.insert(0, str(stack.root / "glue_jobs"))
    stack.client("glue").create_job(
        Name=stack.name(logical_id),
        Role=str(props["Role"]),
        Command=props["Command"],
        DefaultArguments={k: str(v) for k, v in props.get("DefaultArguments", {}).items()},
        ExecutionProperty=props.get("ExecutionProperty", {"MaxConcurrentRuns": 1}),
        **({"Connections": props["Connections"]} if props.get("Connections") else {}),
    )


def _glue_connection(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    """The connection as CloudFormation passes it to CreateConnection (same ConnectionInput); offline no network
    interface is made: its PhysicalConnectionRequirements are stored, and the job reaches the database directly."""
    stack.client("glue").create_connection(CatalogId=str(props["CatalogId"]), ConnectionInput=props["ConnectionInput"])


def _glue_database(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    stack.client("glue").create_database(CatalogId=str(props["CatalogId"]), DatabaseInput=props["DatabaseInput"])


def _glue_crawler(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    """The crawler as CloudFormation passes it to CreateCrawler (same keys); offline, StartCrawler crawls at once
    (autopersonalize/local/glue_crawler.py)."""
    keys = ("Role", "DatabaseName", "Targets", "SchemaChangePolicy", "RecrawlPolicy", "TablePrefix")
    kwargs = {k: props[k] for k in keys if k in props}
    if "CrawlerSecurityConfiguration" in props:
        kwargs["CrawlerSecurityConfiguration"] = props["CrawlerSecurityConfiguration"]
    stack.client("glue").create_crawler(Name=stack.name(logical_id), **kwargs)


def _glue_workflow(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    stack.client("glue").create_workflow(Name=stack.name(logical_id), Description=props.get("Description", ""))


def _glue_trigger(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {
        "Name": stack.name(logical_id),
        "Type": props["Type"],
        "Actions": props["Actions"],
        "WorkflowName": props.get("WorkflowName", ""),
    }
    if "Predicate" in props:
        kwargs["Predicate"] = props["Predicate"]
    if "Schedule" in props:
        kwargs["Schedule"] = props["Schedule"]
    stack.client("glue").create_trigger(**kwargs)


def _glue_security_configuration(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    config = dict(props["EncryptionConfiguration"])
    config["S3Encryption"] = config.pop("S3Encryptions", [])  # CloudFormation's plural, the API's singular
    stack.client("glue").create_security_configuration(Name=stack.name(logical_id), EncryptionConfiguration=config)


def _athena_workgroup(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    stack.client("athena").create_work_group(
        Name=stack.name(logical_id),
        Configuration=props.get("WorkGroupConfiguration", {}),  # the API's WorkGroupConfiguration, same keys
        Description=props.get("Description", ""),
    )


def _dashboard(stack: OfflineStack, logical_id: str, props: dict[str, Any]) -> None:
    """PutDashboard with the resolved DashboardBody: moto refuses a body that is not JSON, as CloudWatch does."""
    stack.client("cloudwatch").put_dashboard(
        DashboardName=stack.name(logical_id), DashboardBody=str(props["DashboardBody"])
    )


# Creation order: what others depend on first.
DEPLOYERS: dict[str, Callable[[OfflineStack, str, dict[str, Any]], None]] = {
    "AWS::IAM::Role": _role,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::DynamoDB::Table": _table,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::Subscription": _nothing,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::Glue::SecurityConfiguration": _glue_security_configuration,
    "AWS::Glue::Connection": _glue_connection,
    "AWS::Glue::Job": _glue_job,
    "AWS::Glue::Database": _glue_database,
    "AWS::Glue::Crawler": _glue_crawler,
    "AWS::Glue::Workflow": _glue_workflow,
    "AWS::Glue::Trigger": _glue_trigger,
    "AWS::Athena::WorkGroup": _athena_workgroup,
    "AWS::Scheduler::ScheduleGroup": _schedule_group,
    "AWS::Serverless::Function": _function,
    "AWS::Serverless::StateMachine": _state_machine,
    "AWS::Serverless::HttpApi": _nothing,
    "AWS::CloudWatch::Dashboard": _dashboard,
}


def deploy_stack(template_path: Path | None = None, parameters: dict[str, str] | None = None) -> OfflineStack:
    """Create every resource of template.yaml in the current offline_aws(); WaitScale is 0 unless overridden."""
    path = template_path or REPO / "template.yaml"
    template = Template.read(path, {**OFFLINE_PARAMETERS, **(parameters or {})})
    template.check_rules()  # as CloudFormation does, before it creates anything
    stack = OfflineStack(template=template, root=path.parent)
    resources = {k: v for k, v in template.resources.items() if template.included(v)}
    unsupported = sorted({f"{k} ({v['Type']})" for k, v in resources.items() if v["Type"] not in DEPLOYERS})
    if unsupported:
        raise TemplateError(f"{path}: resource types not supported by the offline stack: {', '.join(unsupported)}")
    for resource_type, deployer in DEPLOYERS.items():
        for logical_id, resource in resources.items():
            if resource["Type"] == resource_type:
                deployer(stack, logical_id, template.resolve(resource.get("Properties", {})))
                stack.resources[logical_id] = template.names[logical_id]
    return stack
