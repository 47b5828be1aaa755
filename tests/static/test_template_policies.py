"""template.yaml's IAM policies as deployed (after SAM's transform): real actions, on resources of their types.

parliament checks each statement against IAM's action tables (the Service Authorization Reference): an action that
does not exist, an action none of whose resource types the statement names (s3:ListBucket on `bucket/*` only), and
`*` where the actions support resource-level permissions. Intrinsics resolve to representative values first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
# Parameter sets that, with the defaults, take every condition a policy's Fn::If chooses on both ways: each kind of
# source for each dataset (GlueJobRole's statements per source), the lists of extra data and tables, a KMS key.
EXAMPLES = [
    {
        "InteractionsSource": "s3://lake/clicks/",
        "ItemsSource": "s3://lake/items/",
        "ItemsSourceType": "s3_csv",
        "UsersSource": "s3://other-lake/users/",
        "UsersSourceType": "s3_jsonl",
        "PersonalizeKmsKeyArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "InteractionsEngine": "auto",  # the Python shell export may start its Spark job
    },
    {
        "InteractionsSource": "s3://lake/clicks/",
        "ItemsSource": "lake.items",
        "ItemsSourceType": "catalog",
        "UsersSource": "lake.users",
        "UsersSourceType": "catalog",
        "SourceDataArns": "arn:aws:s3:::lake,arn:aws:s3:::lake/items/*,arn:aws:s3:::lake/users/*",
        "CrawlerS3Path": "s3://lake/raw/users/",  # the crawler keeps lake's tables current
        "ItemsEngine": "auto",  # the Python shell exports may start the items' and users' Spark jobs
        "UsersEngine": "auto",
    },
    {
        "InteractionsSource": "lake.clicks",
        "InteractionsSourceType": "catalog",
        "ItemsSource": "SELECT item_id, category FROM lake.items",
        "ItemsSourceType": "athena",
        "UsersSource": "s3://lake/users/",
        "SourceDataArns": "arn:aws:s3:::lake,arn:aws:s3:::lake/clicks/*,arn:aws:s3:::lake/items/*",
        "SourceTableArns": f"arn:aws:glue:us-east-1:{ACCOUNT}:database/lake,"
        f"arn:aws:glue:us-east-1:{ACCOUNT}:table/lake/items",
    },
    {  # database sources: a connection in a VPC, its secret by ARN
        "InteractionsSource": "public.clicks",
        "InteractionsSourceType": "postgresql",
        "ItemsSource": "none",
        "UsersSource": "SELECT user_id, segment FROM crm.users",
        "UsersSourceType": "postgresql",
        "DatabaseJdbcUrl": "jdbc:postgresql://db.internal:5432/shop",
        "DatabaseSecret": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:shop-reader-AbCdEf",
        "DatabaseSubnetId": "subnet-0123456789abcdef0",
        "DatabaseSecurityGroupIds": "sg-0123456789abcdef0,sg-0fedcba9876543210",
        "DatabaseAvailabilityZone": "us-east-1a",
    },
    {  # a database reached without a VPC, its secret by name
        "InteractionsSource": "shop.clicks",
        "InteractionsSourceType": "mysql",
        "ItemsSource": "none",
        "UsersSource": "none",
        "DatabaseJdbcUrl": "jdbc:mysql://db.example.com:3306/shop",
        "DatabaseSecret": "shop/reader",
    },
]

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


def with_examples(*args: str) -> list[str]:
    """policy_lint arguments that lint with the defaults, then with each of EXAMPLES."""
    sets = [{}, *EXAMPLES]
    return [*args, *(a for parameters in sets for a in ("--parameters", json.dumps(parameters)))]


def test_template_iam_policies_grant_real_actions_on_matching_resources(policy_lint: Callable[..., Any]) -> None:
    findings = policy_lint(str(REPO / "template.yaml"))
    assert not findings, "IAM policy lint (parliament) after the SAM transform:\n" + "\n".join(map(describe, findings))


def test_template_iam_policies_lint_clean_with_every_kind_of_source(policy_lint: Callable[..., Any]) -> None:
    findings = policy_lint(*with_examples(), str(REPO / "template.yaml"))
    lines = [f"parameters {f['parameters']}: {describe(f)}" for f in findings]
    assert not findings, "IAM policy lint with the defaults (0) and EXAMPLES (1...):\n" + "\n".join(lines)


def test_template_iam_policy_conditions_are_linted_both_ways(policy_lint: Callable[..., Any]) -> None:
    branches: dict[str, list[bool]] = policy_lint(*with_examples("--branches"), str(REPO / "template.yaml"))
    one_way = {name: values for name, values in branches.items() if values != [False, True]}
    assert "ReadsS3Sources" in branches  # the GlueJobRole's source statements are among them
    assert one_way == {}, "conditions an Fn::If in a policy chooses on, linted only one way: extend EXAMPLES"


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


def test_policy_lint_drops_a_statement_whose_if_chooses_no_value_and_lints_the_other_branch(
    policy_lint: Callable[..., Any], tmp_path: Path
) -> None:
    template = tmp_path / "template.yaml"
    declared = "  Exports: {{Type: String, Default: skip}}\nConditions:\n  Exports: !Equals [!Ref Exports, export]\n"
    with_condition = FIXTURE.replace("Resources:", declared + "Resources:")
    template.write_text(
        with_condition.format(
            policies="""\
        - Statement:
            - !If
              - Exports
              - Effect: Allow
                Action: s3:ListBucket
                Resource: !Sub ${DataBucket.Arn}/exports/*
              - !Ref AWS::NoValue"""
        )
    )
    findings = policy_lint("--parameters", "{}", "--parameters", '{"Exports": "export"}', str(template))
    assert [(f["parameters"], f["issue"], f["actions"], f["resources"]) for f in findings] == [
        (1, "RESOURCE_MISMATCH", ["s3:ListBucket"], ["arn:aws:s3:::ap-123456789012-data/exports/*"])
    ]
