"""Who may call Personalize, and what Personalize may read: IAM as the service applies it, evaluated offline.

Evidence (docs/emulator.md, "IAM offline"):
- Each call needs `personalize:<Operation>` on the resource it acts on (Service Authorization Reference, "Actions,
  resources, and condition keys for Amazon Personalize"): the new resource's ARN for Create*, the ARN the request
  names otherwise, `*` for List* and PutEvents (which lists no resource type there). GetRecommendations and
  GetPersonalizedRanking need the filter too when one is given.
- A request that passes a role (`roleArn`, or a metric attribution's `metricsOutputConfig.roleArn`) needs
  `iam:PassRole` on it with `iam:PassedToService` = personalize.amazonaws.com, and one that passes `tags` needs
  `personalize:TagResource`, which supports no resource-level permissions (same reference, "API operations" table and
  the action's empty resource types).
- A metric attribution's role must let Personalize publish to CloudWatch (`cloudwatch:PutMetricData`, "Giving
  Amazon Personalize access to CloudWatch"); the emulator checks it when the attribution is created or updated.
- Import and batch jobs read and write S3 as the job's role, and the bucket's policy must allow the service principal
  personalize.amazonaws.com too ("Giving Amazon Personalize access to Amazon S3 resources": s3:GetObject and
  s3:ListBucket to read, s3:PutObject to write batch output); Personalize sets aws:SourceAccount and aws:SourceArn
  ("Cross-service confused deputy prevention"). A dataset group with a KMS key needs the role to use the key
  ("Giving Amazon Personalize permission to use your AWS KMS key").
Checks run only while moto's IAM access control is on (the offline stack turns it on); otherwise every call passes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import IAMPolicy, IAMRequest
from moto.iam.models import iam_backends

from autopersonalize.emulator.model import PersonalizeError
from autopersonalize.policy import Request, evaluate

SERVICE = "personalize.amazonaws.com"
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
NOT_TARGETS = ("roleArn", "kmsKeyArn")  # ARNs a request passes along, not the resource it acts on


def enforced() -> bool:
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


def _kebab(noun: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", noun).lower()


def resources(store_arn: Callable[[str], str], name: str, params: dict[str, Any]) -> list[str | None]:
    """The resource ARNs `personalize:<name>` is authorised against."""
    if name.startswith("List") or name in ("TagResource", "UntagResource", "PutEvents"):
        return ["*"]
    if name == "CreateDataset":
        group = str(params["datasetGroupArn"]).rsplit("/", 1)[-1]
        return [store_arn(f"dataset/{group}/{str(params['datasetType']).upper()}")]
    if name == "CreateEventTracker":
        return [store_arn("event-tracker/*")]  # its id is made by the service
    if name.startswith("Create") and name != "CreateSolutionVersion":
        return [store_arn(f"{_kebab(name.removeprefix('Create'))}/{params.get('name') or params.get('jobName')}")]
    if name in ("GetRecommendations", "GetPersonalizedRanking", "GetActionRecommendations"):
        keys = ("campaignArn", "recommenderArn", "filterArn")
        return [str(params[k]) for k in keys if params.get(k)] or [None]
    target = next((str(v) for k, v in params.items() if k.endswith("Arn") and k not in NOT_TARGETS), None)
    return [target] if target else [None]


class Caller:
    """The principal that signed a request (an IAM user or an assumed role), with its identity policies."""

    def __init__(self, helper: Any, name: str) -> None:
        request = IAMRequest(
            account_id=helper.current_account,
            method=helper.method,
            path=helper.raw_path,
            data=helper.data,
            body=helper.raw_body,
            headers=helper.headers,
            action=name,
        )
        request.check_signature()  # moto raises InvalidClientTokenId / SignatureDoesNotMatch as AWS would
        self.arn: str = request._access_key.arn
        self.policies = [IAMPolicy(p)._policy_json for p in request._access_key.collect_policies()]

    def require(self, action: str, resource: str | None, context: dict[str, str] | None = None) -> None:
        decision = evaluate(self.policies, Request(action, resource, self.arn, context or {}))
        if decision != "allow":
            why = "an explicit deny" if decision == "deny" else "no identity-based policy allows it"
            raise PersonalizeError(
                "AccessDeniedException",
                f"User: {self.arn} is not authorized to perform: {action} on resource: {resource or '*'} because "
                f"{why}.",
            )


def authorize(helper: Any, name: str, params: dict[str, Any], store_arn: Callable[[str], str]) -> None:
    """Refuse the call as Personalize would when the caller's policies do not allow it (only while enforced)."""
    if not enforced():
        return
    caller = Caller(helper, name)
    for resource in resources(store_arn, name, params):
        caller.require(f"personalize:{name}", resource)
    if params.get("tags") and name != "TagResource":  # creating with tags is also tagging (the reference's API table)
        caller.require("personalize:TagResource", "*")
    role = params.get("roleArn") or (params.get("metricsOutputConfig") or {}).get("roleArn")
    if role:  # a metric attribution passes its role inside metricsOutputConfig
        caller.require("iam:PassRole", str(role), {"iam:PassedToService": SERVICE})


def role_policies(account: str, role_arn: str) -> list[Any]:
    """The identity policies of a role (inline and attached); none when the role does not exist."""
    backend = iam_backends[account]["aws"]
    name = role_arn.rsplit("/", 1)[-1]
    if name not in {role.name for role in backend.roles.values()}:
        return []
    inline = [backend.get_role_policy(name, p)[1] for p in backend.list_role_policies(name)]
    attached, _ = backend.list_attached_role_policies(name)
    return [IAMPolicy(p)._policy_json for p in [*inline, *attached]]


def role_trusts_service(account: str, role_arn: str, source_arn: str) -> bool:
    """Whether Personalize, acting for `source_arn` (aws:SourceArn, aws:SourceAccount), may assume the role."""
    backend = iam_backends[account]["aws"]
    role = next((r for r in backend.roles.values() if r.arn == role_arn), None)
    if role is None:
        return False
    context = {"aws:SourceAccount": account, "aws:SourceArn": source_arn}
    request = Request("sts:AssumeRole", role_arn, SERVICE, context)
    return evaluate([json.loads(role.assume_role_policy_document)], request) == "allow"


def service_may(account: str, role_arn: str, source_arn: str, action: str, resource: str, bucket_policy: Any) -> str:
    """Why Personalize, acting with `role_arn` for `source_arn`, may not do `action` on an S3 `resource` ("" if it may).

    Both must allow: the role's identity policies, and the bucket policy for the service principal (no explicit deny
    in either)."""
    if not enforced():
        return ""
    context = {"aws:SourceAccount": account, "aws:SourceArn": source_arn, "aws:SecureTransport": "true"}
    if not role_trusts_service(account, role_arn, source_arn):
        return f"the role {role_arn} does not exist or does not trust {SERVICE}"
    if evaluate(role_policies(account, role_arn), Request(action, resource, role_arn, context)) != "allow":
        return f"the role {role_arn} does not allow {action} on {resource}"
    documents = [json.loads(bucket_policy)] if bucket_policy else []
    if evaluate(documents, Request(action, resource, SERVICE, context)) != "allow":
        return f"the bucket policy does not allow {SERVICE} {action} on {resource}"
    return ""


def role_may(account: str, role_arn: str, source_arn: str, action: str, resource: str) -> str:
    """Why Personalize, acting with `role_arn` for `source_arn`, may not do a non-S3 `action` ("" if it may)."""
    if not enforced():
        return ""
    if not role_trusts_service(account, role_arn, source_arn):
        return f"the role {role_arn} does not exist or does not trust {SERVICE}"
    context = {"aws:SourceAccount": account, "aws:SourceArn": source_arn}
    if evaluate(role_policies(account, role_arn), Request(action, resource, role_arn, context)) != "allow":
        return f"the role {role_arn} does not allow {action} on {resource}"
    return ""


def job_access(account: str, job_arn: str, params: dict[str, Any]) -> Callable[[str, str, Any], str]:
    """What a job may do in S3 (see `data.S3Access`): as its `roleArn`, where the bucket policy lets Personalize."""
    role = str(params.get("roleArn", ""))
    return lambda action, resource, policy: service_may(account, role, job_arn, action, resource, policy)


def require_key_access(account: str, role_arn: str, key_arn: str, group_arn: str) -> None:
    """A dataset group encrypted with `key_arn` needs its role to use the key (checked at CreateDatasetGroup)."""
    if not enforced():
        return
    if not role_trusts_service(account, role_arn, group_arn):
        why = f"Amazon Personalize cannot assume the role {role_arn}: it does not trust {SERVICE}."
        raise PersonalizeError("InvalidInputException", why)
    policies = role_policies(account, role_arn)
    context = {"aws:SourceAccount": account, "aws:SourceArn": group_arn}
    missing = [a for a in KMS_ACTIONS if evaluate(policies, Request(a, key_arn, role_arn, context)) != "allow"]
    if missing:
        raise PersonalizeError(
            "InvalidInputException",
            f"Amazon Personalize cannot use the KMS key {key_arn} with role {role_arn}: the role does not allow "
            f"{', '.join(missing)} on the key. Grant them (see 'Giving Amazon Personalize permission to use your "
            "AWS KMS key').",
        )
