"""IAM enforced offline: every request is signed by a known principal and allowed by its policies, as on AWS.

- moto's access control is on inside `offline_aws()`: a request signed with unknown keys is InvalidClientTokenId, an
  action the caller's policies do not allow is AccessDenied.
- The person at the keyboard (the CLI, a test) is the IAM user `offline-operator`, with an allow-all policy, as a
  deploying administrator is on AWS.
- Each Lambda, Glue job and state machine of the offline stack calls AWS with credentials of its own role (STS
  AssumeRole), so a missing permission fails offline as it fails on AWS.
- moto's policy evaluator is replaced by `autopersonalize.policy` (Resource, NotResource, Condition, principals), and
  moto is told the resource ARN of the calls our code makes to SSM, SNS, DynamoDB, Lambda, Step Functions and
  EventBridge (moto only names S3 resources itself). docs/emulator.md ("IAM offline") says what is still weaker.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote

import boto3
import botocore.session
from botocore.awsrequest import AWSRequest
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam import access_control
from moto.iam.models import iam_backends
from moto.s3.exceptions import MissingKey
from moto.sts.models import sts_backends

from autopersonalize.emulator import auth
from autopersonalize.policy import Request, evaluate

ACCOUNT = "123456789012"
OPERATOR = "offline-operator"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
# What every request made in-process carries: botocore signs https://*.amazonaws.com URLs.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}

# moto names a few operations by its handler, not by their IAM action (Service Authorization Reference).
IAM_ACTIONS = {"lambda:Invoke": "lambda:InvokeFunction"}
# moto prefixes actions with the signing name; IAM with the service prefix (CloudWatch signs as `monitoring`).
IAM_PREFIXES = {"monitoring": "cloudwatch"}
# Condition keys AWS takes from the request being authorised (set around each check, see _with_request_keys).
_request_keys: ContextVar[dict[str, str] | None] = ContextVar("request_keys", default=None)

_sessions: dict[tuple[str, str], tuple[dict[str, str], boto3.Session]] = {}
_lock = threading.Lock()


def operator_credentials(region: str) -> dict[str, str]:
    """Create the operator user (allow-all) in the current moto state; returns its keys as environment variables."""
    backend = iam_backends[ACCOUNT]["aws"]
    backend.create_user(region, OPERATOR)
    backend.put_user_policy(OPERATOR, "administrator", json.dumps(ALLOW_ALL))
    key = backend.create_access_key(OPERATOR)
    return {"AWS_ACCESS_KEY_ID": key.access_key_id, "AWS_SECRET_ACCESS_KEY": key.secret_access_key}


def role_credentials(role_arn: str, session_name: str, region: str) -> dict[str, str]:
    """Temporary credentials of `role_arn` (moto STS), as the Lambda/Glue/Step Functions service gets them."""
    assumed = sts_backends[ACCOUNT]["aws"].assume_role(
        region_name=region,
        role_session_name=session_name[:64],
        role_arn=role_arn,
        policy="",
        duration=43200,
        external_id="",
    )
    return {
        "AWS_ACCESS_KEY_ID": assumed.access_key_id,
        "AWS_SECRET_ACCESS_KEY": assumed.secret_access_key,
        "AWS_SESSION_TOKEN": assumed.session_token,
    }


def role_session(role_arn: str, session_name: str, region: str, loader: Any) -> tuple[dict[str, str], boto3.Session]:
    """One (credentials, boto3 session) per role and offline_aws(): what the service's process would have."""
    key = (role_arn, session_name)
    with _lock:
        if key not in _sessions:
            credentials = role_credentials(role_arn, session_name, region)
            core = botocore.session.get_session()
            core.register_component("data_loader", loader)  # the process's parsed service models
            core.set_credentials(
                credentials["AWS_ACCESS_KEY_ID"],
                credentials["AWS_SECRET_ACCESS_KEY"],
                credentials["AWS_SESSION_TOKEN"],
            )
            _sessions[key] = (credentials, boto3.Session(botocore_session=core, region_name=region))
        return _sessions[key]


@contextmanager
def as_default_session(session: boto3.Session) -> Iterator[None]:
    """Make `session` boto3's default for the body (clients made with `boto3.client(...)` then sign as its role)."""
    saved = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = session
    try:
        yield
    finally:
        boto3.DEFAULT_SESSION = saved


@contextmanager
def enforced() -> Iterator[None]:
    """moto's IAM access control on for the body (it is a process-wide moto setting); role sessions start afresh."""
    saved = settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    _sessions.clear()
    try:
        yield
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = saved
        _sessions.clear()


# ---------- moto's evaluator replaced, and the resources of the calls our code makes ----------


def _is_action_permitted(
    self: Any,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> Any:
    context = {**REQUEST_CONTEXT, **(_request_keys.get() or {}), **(incoming_condition_values or {})}
    service, _, name = action.partition(":")
    action = IAM_ACTIONS.get(action, f"{IAM_PREFIXES.get(service, service)}:{name}")
    request = Request(action, None if resource == "*" else resource, principal or "", context)
    decision = evaluate([self._policy_json], request)
    result = access_control.PermissionResult
    return {"allow": result.PERMITTED, "deny": result.DENIED, "neutral": result.NEUTRAL}[decision]


def _aws_request(self: Any) -> AWSRequest:
    """The request as signed, for moto to check the signature: moto signs `body or data`, and for a GET without a body
    (Lambda's GetFunctionConfiguration, ListFunctions) its `data` holds the headers, so every such signature was
    "wrong": a bodiless request was signed with an empty payload."""
    signed = self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(";")
    headers = self._create_headers_for_aws_request(signed, self._headers)
    body = self._body or (b"" if self._method in ("GET", "HEAD", "DELETE") else self._data)
    request = AWSRequest(method=self._method, url=self._path, data=body, headers=headers)
    request.context["timestamp"] = headers["X-Amz-Date"]
    return request


def _arn(self: Any, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{self.region}:{self.current_account}:{resource}"


def _ssm(self: Any) -> str:
    name = self._get_param("Name") or self._get_param("Path") or next(iter(self._get_param("Names") or []), "*")
    return _arn(self, "ssm", f"parameter/{str(name).lstrip('/')}") if name != "*" else "*"


def _dynamodb(self: Any) -> str:
    table = self._get_param("TableName")
    return _arn(self, "dynamodb", f"table/{table}") if table else "*"


def _sns(self: Any) -> str:
    return str(self._get_param("TopicArn") or "*")


def _lambda(self: Any) -> str:
    parts = unquote(self.path).split("/functions/", 1)
    name = parts[1].split("/", 1)[0] if len(parts) == 2 else ""
    return name if name.startswith("arn:") else (_arn(self, "lambda", f"function:{name}") if name else "*")


def _states(self: Any) -> str:
    return str(self._get_param("executionArn") or self._get_param("stateMachineArn") or "*")


def _events(self: Any) -> str:
    entries = self._get_param("Entries") or []
    bus = next((e.get("EventBusName") for e in entries if e.get("EventBusName")), "default")
    return bus if str(bus).startswith("arn:") else _arn(self, "events", f"event-bus/{bus}")


def _scheduler(self: Any) -> str:
    """A schedule's ARN, arn:aws:scheduler:<region>:<account>:schedule/<group>/<name> (Service Authorization
    Reference, "Actions, resources, and condition keys for Amazon EventBridge Scheduler"); ListSchedules: "*"."""
    parts = unquote(self.path).split("?", 1)[0].split("/schedules/", 1)
    if len(parts) != 2 or not parts[1]:
        return "*"
    group = self._get_param("GroupName") or self._get_param("groupName") or "default"
    return _arn(self, "scheduler", f"schedule/{group}/{parts[1]}")


# Glue Data Catalog reads and the request keys naming their database and table ("*": every table of the database,
# what GetTables lists; Athena User Guide, "Fine-grained access ... AWS Glue Data Catalog", SHOW TABLES example).
GLUE_CATALOG_READS = {
    "GetDatabase": ("Name", ""),
    "GetTables": ("DatabaseName", "*"),
    "GetTable": ("DatabaseName", "Name"),
    "GetPartitions": ("DatabaseName", "TableName"),
    "GetPartition": ("DatabaseName", "TableName"),
    "BatchGetPartition": ("DatabaseName", "TableName"),
}


GLUE_CATALOG_WRITES = ("CreateTable", "UpdateTable")  # on the table, its database and the catalog, like the reads


# Job-run calls act on the job they name, arn:aws:glue:<region>:<account>:job/<name> (AWS Glue Developer Guide,
# "Specifying AWS Glue resource ARNs": ARNs for non-catalog objects, and access control for non-catalog singular API
# operations; Service Authorization Reference, AWS Glue: these actions take resource type job*).
GLUE_JOB_CALLS = ("StartJobRun", "GetJobRun", "GetJobRuns", "BatchStopJobRun")


def _glue(self: Any) -> str:
    """A catalog read acts on its table (or database), and needs the permission on every ancestor too: "Actions on a
    table, partition, or table version require permission on the table, database, and catalog" (AWS Glue Developer
    Guide, "Specifying AWS Glue resource ARNs"). The ancestors are authorised here, the object by moto after this
    returns its ARN. A job run call acts on its job (GLUE_JOB_CALLS); other Glue calls (workflows, triggers) are
    checked on the action only."""
    keys = GLUE_CATALOG_READS.get(self._get_action())
    account = self._get_param("CatalogId") or self.current_account
    prefix = f"arn:aws:glue:{self.region}:{account}"
    if self._get_action() == "GetConnection":  # resource types connection* and rootcatalog* (Service Authorization
        if auth.enforced():  # Reference, AWS Glue): the catalog here, the connection by moto
            self._authenticate_and_authorize_normal_action(f"{prefix}:catalog")
        return f"{prefix}:connection/{self._get_param('Name')}"
    if self._get_action() in GLUE_JOB_CALLS:
        return f"{prefix}:job/{self._get_param('JobName')}"
    if self._get_action() in GLUE_CATALOG_WRITES:  # the table TableInput names (a crawler's calls)
        database, table = self._get_param("DatabaseName"), (self._get_param("TableInput") or {}).get("Name", "")
    elif keys is None:
        return "*"
    else:
        database, table_key = self._get_param(keys[0]), keys[1]
        table = "*" if table_key == "*" else self._get_param(table_key) if table_key else ""
    arns = [f"{prefix}:catalog", f"{prefix}:database/{database}"]
    if table:
        arns.append(f"{prefix}:table/{database}/{table}")
    if auth.enforced():  # (not enforced: moto counts each call toward its no-auth allowance)
        for ancestor in arns[:-1]:
            self._authenticate_and_authorize_normal_action(ancestor)  # AccessDenied unless allowed
    return arns[-1]


def _secretsmanager(self: Any) -> str:
    """The secret a call names (SecretId: a name, a full or a partial ARN) by its full ARN, with the random suffix,
    as IAM sees it (Secrets Manager API Reference, SecretId: "the final hyphen and six random characters that Secrets
    Manager adds at the end of the ARN"; a policy naming the secret by name matches it with `name-??????`)."""
    secret_id = self._get_param("SecretId")
    secret = self.backend.secrets.get(secret_id) if secret_id else None
    return str(secret.arn) if secret is not None else "*"


def _athena(self: Any) -> str:
    """The workgroup a call acts on (Service Authorization Reference, Amazon Athena: StartQueryExecution,
    GetQueryExecution, GetQueryResults, StopQueryExecution and GetWorkGroup act on `workgroup`): the one the request
    names, else the query's, else `primary`, where a query started without one runs."""
    workgroup = self._get_param("WorkGroup")
    query_id = self._get_param("QueryExecutionId")
    if not workgroup and query_id:
        execution = self.athena_backend.executions.get(query_id)
        if execution is None:
            return "*"  # Athena answers InvalidRequestException for an unknown query
        workgroup = execution.workgroup.name if execution.workgroup else "primary"
    if not workgroup and self._get_action() in ("StartQueryExecution", "ListQueryExecutions"):
        workgroup = "primary"
    return _arn(self, "athena", f"workgroup/{workgroup}") if workgroup else "*"


def _resource_resolvers() -> dict[type, Callable[[Any], str]]:
    from moto.athena.responses import AthenaResponse
    from moto.awslambda.responses import LambdaResponse
    from moto.dynamodb.responses import DynamoHandler
    from moto.events.responses import EventsHandler
    from moto.glue.responses import GlueResponse
    from moto.scheduler.responses import EventBridgeSchedulerResponse
    from moto.secretsmanager.responses import SecretsManagerResponse
    from moto.sns.responses import SNSResponse
    from moto.ssm.responses import SimpleSystemManagerResponse
    from moto.stepfunctions.responses import StepFunctionResponse

    return {
        SimpleSystemManagerResponse: _ssm,
        DynamoHandler: _dynamodb,
        SNSResponse: _sns,
        LambdaResponse: _lambda,
        StepFunctionResponse: _states,
        EventsHandler: _events,
        GlueResponse: _glue,
        AthenaResponse: _athena,
        SecretsManagerResponse: _secretsmanager,
        EventBridgeSchedulerResponse: _scheduler,
    }


def _get_object_as_s3(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """S3 answers GetObject of a missing key with 403 AccessDenied, not 404 NoSuchKey, when the caller may not
    s3:ListBucket the bucket (S3 User Guide, GetObject: "If you don't have the s3:ListBucket permission, Amazon S3
    returns an HTTP status code 403"). moto always answers 404."""

    def get_object(self: Any) -> Any:
        try:
            return original(self)
        except MissingKey:
            if auth.enforced():
                self.data["Action"] = "ListBucket"  # what moto authorises next: raises AccessDenied if not allowed
                self._authenticate_and_authorize_s3_action(bucket_name=self.bucket_name)
            raise

    return get_object


def _cloudwatch_keys(self: Any) -> dict[str, str]:
    """PutMetricData's `cloudwatch:namespace`, its only condition key (Service Authorization Reference, "Actions,
    resources, and condition keys for Amazon CloudWatch")."""
    namespace = self._get_param("Namespace") if self._get_action() == "PutMetricData" else None
    return {"cloudwatch:namespace": str(namespace)} if namespace else {}


def _s3_prefix_key(self: Any) -> dict[str, str]:
    """ListObjects(V2)'s `s3:prefix` (Service Authorization Reference, "Actions, resources, and condition keys for
    Amazon S3": s3:prefix filters ListBucket by the key name prefix); absent when the request gives no prefix."""
    prefix = (getattr(self, "querystring", None) or {}).get("prefix")
    return {"s3:prefix": str(prefix[0])} if prefix else {}


def _s3_with_request_keys(original: Callable[..., None]) -> Callable[..., None]:
    """moto's authorisation of an S3 action, with the S3 condition keys read from the request in context."""

    def authorize(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
        token = _request_keys.set(_s3_prefix_key(self))
        try:
            original(self, bucket_name, key_name)
        finally:
            _request_keys.reset(token)

    authorize.with_keys = True  # type: ignore[attr-defined]
    return authorize


def _with_request_keys(keys: Callable[[Any], dict[str, str]]) -> Callable[..., None]:
    """moto's authorisation of a normal action, with the condition keys `keys` reads from the request in context."""
    from moto.core.responses import BaseResponse

    def authorize(self: Any, resource: str = "*") -> None:
        token = _request_keys.set(keys(self))
        try:
            BaseResponse._authenticate_and_authorize_normal_action(self, resource)
        finally:
            _request_keys.reset(token)

    return authorize


def install() -> None:
    """Replace moto's policy evaluator and name the resources of the calls above (idempotent)."""
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.s3.responses import S3Response

    if not getattr(S3Response.get_object, "as_s3", False):
        S3Response.get_object = _get_object_as_s3(S3Response.get_object)  # type: ignore[method-assign,assignment]
        S3Response.get_object.as_s3 = True  # type: ignore[attr-defined]
    if not getattr(S3Response._authenticate_and_authorize_s3_action, "with_keys", False):
        original = S3Response._authenticate_and_authorize_s3_action
        S3Response._authenticate_and_authorize_s3_action = _s3_with_request_keys(original)  # type: ignore[method-assign]
    access_control.IAMPolicy.is_action_permitted = _is_action_permitted  # type: ignore[method-assign]
    access_control.IAMRequestBase._create_aws_request = _aws_request  # type: ignore[method-assign]
    authorize = _with_request_keys(_cloudwatch_keys)
    CloudWatchResponse._authenticate_and_authorize_normal_action = authorize  # type: ignore[method-assign]
    for response_class, resolver in _resource_resolvers().items():
        response_class._determine_resource = resolver  # type: ignore[attr-defined]
