"""template.yaml's IAM policies as deployed (after SAM's transform): real actions, on resources of their types.

parliament checks each statement against IAM's action tables (the Service Authorization Reference): an action that
does not exist, an action none of whose resource types the statement names (s3:ListBucket on `bucket/*` only), and
`*` where the actions support resource-level permissions. Intrinsics resolve to representative values first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

# A SAM template with one function whose role is what the test puts in `Policies`.
FIXTURE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Prefix: {{Type: String, Default: ap}}
Resources:
  DataBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub ${{Prefix}}-${{AWS::AccountId}}-data
  LoadFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: lambdas/
      Handler: app.handler
      Runtime: python3.12
      Policies:
{policies}
"""


def describe(finding: dict[str, Any]) -> str:
    """One line naming the resource, the policy statement, the actions, the resource ARNs and what is wrong."""
    detail = finding["detail"]
    if finding["issue"] == "RESOURCE_MISMATCH":
        detail = "; ".join(f"{d['action']} acts on {d['required_format']}" for d in detail)
    sid = f" ({finding['sid']})" if finding["sid"] else ""
    return (
        f"{finding['resource']}, policy {finding['policy']}, statement {finding['statement']}{sid}: "
        f"{finding['title']} [{finding['issue']}]: {detail}; actions {finding['actions']} on {finding['resources']}"
    )


def lint_fixture(policy_lint: Callable[..., Any], tmp_path: Path, policies: str) -> list[dict[str, Any]]:
    template = tmp_path / "template.yaml"
    template.write_text(FIXTURE.format(policies=policies))
    findings: list[dict[str, Any]] = policy_lint(str(template))
    return findings


def test_template_iam_policies_grant_real_actions_on_matching_resources(policy_lint: Callable[..., Any]) -> None:
    findings = policy_lint(str(REPO / "template.yaml"))
    assert not findings, "IAM policy lint (parliament) after the SAM transform:\n" + "\n".join(map(describe, findings))


def test_policy_lint_reports_list_bucket_granted_on_objects_only(
    policy_lint: Callable[..., Any], tmp_path: Path
) -> None:
    policies = """\
        - Statement:
            - Effect: Allow
              Action: [s3:GetObject, s3:ListBucket]
              Resource: !Sub ${DataBucket.Arn}/*"""
    findings = lint_fixture(policy_lint, tmp_path, policies)
    assert [describe(f) for f in findings] == [
        "LoadFunctionRole, policy LoadFunctionRolePolicy0, statement 0: No resources match for the given action "
        "[RESOURCE_MISMATCH]: s3:ListBucket acts on arn:*:s3:::*; "
        "actions ['s3:GetObject', 's3:ListBucket'] on ['arn:aws:s3:::ap-123456789012-data/*']"
    ]


def test_policy_lint_reports_an_action_iam_does_not_have(policy_lint: Callable[..., Any], tmp_path: Path) -> None:
    policies = """\
        - Statement:
            - Effect: Allow
              Action: personalize:DescribeSolutionVersions
              Resource: !Sub arn:${AWS::Partition}:personalize:${AWS::Region}:${AWS::AccountId}:solution/${Prefix}-*"""
    findings = lint_fixture(policy_lint, tmp_path, policies)
    assert [(f["issue"], f["detail"]) for f in findings] == [
        ("UNKNOWN_ACTION", "Unknown action personalize:DescribeSolutionVersions")
    ]


def test_policy_lint_reports_findings_inside_sam_policy_templates(
    policy_lint: Callable[..., Any], tmp_path: Path
) -> None:
    # a key prefix passed where S3ReadPolicy expects a bucket name: its bucket actions land on object ARNs
    policies = """\
        - S3ReadPolicy:
            BucketName: !Sub ${DataBucket}/exports"""
    findings = lint_fixture(policy_lint, tmp_path, policies)
    bucket_actions = ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetLifecycleConfiguration"]
    assert [(f["resource"], f["issue"], f["detail"], f["resources"]) for f in findings] == [
        (
            "LoadFunctionRole",
            "RESOURCE_MISMATCH",
            [{"action": action, "required_format": "arn:*:s3:::*"} for action in bucket_actions],
            ["arn:aws:s3:::ap-123456789012-data/exports", "arn:aws:s3:::ap-123456789012-data/exports/*"],
        )
    ]


def test_policy_lint_reports_an_intrinsic_it_cannot_resolve(policy_lint: Callable[..., Any], tmp_path: Path) -> None:
    policies = """\
        - Statement:
            - Effect: Allow
              Action: s3:GetObject
              Resource: !ImportValue shared-data-bucket-arn"""
    findings = lint_fixture(policy_lint, tmp_path, policies)
    assert [(f["resource"], f["issue"], f["detail"]) for f in findings] == [
        ("LoadFunctionRole", "UNRESOLVED", "cannot resolve Fn::ImportValue (add it to tests/static/policy_lint.py)")
    ]
