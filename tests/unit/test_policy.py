"""IAM policy evaluation offline (autopersonalize.policy): AWS's "Policy evaluation logic", hand-checked."""

from __future__ import annotations

from typing import Any

import pytest

from autopersonalize.policy import Request, evaluate

BUCKET = "arn:aws:s3:::data"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_policy_list_bucket_on_objects_does_not_allow_listing_the_bucket() -> None:
    # the classic: s3:ListBucket acts on the bucket ARN, never on bucket/*
    granted = policy(allow(["s3:GetObject", "s3:ListBucket"], f"{BUCKET}/*"))
    assert evaluate([granted], Request("s3:ListBucket", BUCKET)) == "neutral"
    assert evaluate([granted], Request("s3:GetObject", f"{BUCKET}/exports/a.csv")) == "allow"


def test_policy_actions_match_case_insensitively_and_resources_case_sensitively() -> None:
    granted = policy(allow("Personalize:create*", "arn:aws:personalize:us-east-1:1:dataset-group/ap-*"))
    assert (
        evaluate(
            [granted], Request("personalize:CreateDatasetGroup", "arn:aws:personalize:us-east-1:1:dataset-group/ap-x")
        )
        == "allow"
    )
    assert (
        evaluate(
            [granted], Request("personalize:CreateDatasetGroup", "arn:aws:personalize:us-east-1:1:dataset-group/AP-x")
        )
        == "neutral"
    )


def test_policy_question_mark_matches_one_character() -> None:
    granted = policy(allow("s3:GetObject", f"{BUCKET}/run-?.json"))
    assert evaluate([granted], Request("s3:GetObject", f"{BUCKET}/run-1.json")) == "allow"
    assert evaluate([granted], Request("s3:GetObject", f"{BUCKET}/run-12.json")) == "neutral"


def test_policy_explicit_deny_wins_over_any_allow() -> None:
    documents = [
        policy(allow("s3:*", "*")),
        policy({"Effect": "Deny", "Action": "s3:PutObject", "Resource": f"{BUCKET}/params/*"}),
    ]
    assert evaluate(documents, Request("s3:PutObject", f"{BUCKET}/params/demo.json")) == "deny"
    assert evaluate(documents, Request("s3:PutObject", f"{BUCKET}/batch/out.json")) == "allow"


def test_policy_not_resource_and_not_action() -> None:
    granted = policy({"Effect": "Allow", "NotAction": "s3:DeleteObject", "NotResource": f"{BUCKET}/params/*"})
    assert evaluate([granted], Request("s3:PutObject", f"{BUCKET}/batch/x")) == "allow"
    assert evaluate([granted], Request("s3:PutObject", f"{BUCKET}/params/x")) == "neutral"
    assert evaluate([granted], Request("s3:DeleteObject", f"{BUCKET}/batch/x")) == "neutral"


def test_policy_list_actions_need_a_star_resource() -> None:
    # List* support no resource-level permissions: the request's resource is "*", which only "*" matches
    scoped = policy(allow("personalize:ListCampaigns", "arn:aws:personalize:us-east-1:1:campaign/ap-*"))
    assert evaluate([scoped], Request("personalize:ListCampaigns", "*")) == "neutral"
    assert (
        evaluate([policy(allow("personalize:ListCampaigns", "*"))], Request("personalize:ListCampaigns", "*"))
        == "allow"
    )


def test_policy_unmet_condition_makes_an_allow_not_apply_rather_than_deny() -> None:
    # moto 5.2.5 turned an unmet condition into a Deny; IAM ignores the statement
    conditional = allow(
        "iam:PassRole",
        "arn:aws:iam::1:role/p",
        Condition={"StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}},
    )
    other = allow("iam:PassRole", "*")
    request = Request("iam:PassRole", "arn:aws:iam::1:role/p", context={"iam:PassedToService": "glue.amazonaws.com"})
    assert evaluate([policy(conditional)], request) == "neutral"
    assert evaluate([policy(conditional, other)], request) == "allow"


def test_policy_deny_with_unmet_condition_does_not_apply() -> None:
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": f"{BUCKET}/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    documents = [policy(tls_only, {**allow("s3:GetObject", f"{BUCKET}/*"), "Principal": "*"})]
    assert (
        evaluate(documents, Request("s3:GetObject", f"{BUCKET}/a", context={"aws:SecureTransport": "true"})) == "allow"
    )
    assert (
        evaluate(documents, Request("s3:GetObject", f"{BUCKET}/a", context={"aws:SecureTransport": "false"})) == "deny"
    )


@pytest.mark.parametrize(
    ("operator", "context", "holds"),
    [
        ("StringEquals", {}, False),  # a missing key: the condition is false
        ("StringNotEquals", {}, True),  # ... except for negated operators
        ("StringEqualsIfExists", {}, True),  # ... and IfExists
        ("StringEqualsIfExists", {"aws:SourceAccount": "2"}, False),
        ("StringLike", {"aws:SourceAccount": "1"}, True),
        ("ArnLike", {"aws:SourceAccount": "1"}, True),
    ],
)
def test_policy_condition_operators_with_missing_keys(operator: str, context: dict[str, str], holds: bool) -> None:
    granted = policy(allow("s3:GetObject", "*", Condition={operator: {"aws:SourceAccount": "1"}}))
    assert (evaluate([granted], Request("s3:GetObject", f"{BUCKET}/a", context=context)) == "allow") is holds


def test_policy_service_principal_and_source_arn_of_a_bucket_policy() -> None:
    bucket_policy = policy(
        {
            **allow("s3:GetObject", f"{BUCKET}/*"),
            "Principal": {"Service": "personalize.amazonaws.com"},
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:personalize:us-east-1:1:*"}},
        }
    )
    mine = {"aws:SourceArn": "arn:aws:personalize:us-east-1:1:dataset-import-job/ap-x"}
    theirs = {"aws:SourceArn": "arn:aws:personalize:us-east-1:2:dataset-import-job/x"}
    assert (
        evaluate([bucket_policy], Request("s3:GetObject", f"{BUCKET}/a", "personalize.amazonaws.com", mine)) == "allow"
    )
    assert (
        evaluate([bucket_policy], Request("s3:GetObject", f"{BUCKET}/a", "personalize.amazonaws.com", theirs))
        == "neutral"
    )
    assert evaluate([bucket_policy], Request("s3:GetObject", f"{BUCKET}/a", "glue.amazonaws.com", mine)) == "neutral"


def test_policy_role_principal_matches_its_sessions_and_account_root_matches_the_account() -> None:
    session = "arn:aws:sts::1:assumed-role/loader/s1"
    by_role = policy({**allow("s3:GetObject", "*"), "Principal": {"AWS": "arn:aws:iam::1:role/loader"}})
    by_account = policy({**allow("s3:GetObject", "*"), "Principal": {"AWS": "arn:aws:iam::1:root"}})
    assert evaluate([by_role], Request("s3:GetObject", f"{BUCKET}/a", session)) == "allow"
    assert evaluate([by_account], Request("s3:GetObject", f"{BUCKET}/a", session)) == "allow"
    assert (
        evaluate([by_account], Request("s3:GetObject", f"{BUCKET}/a", "arn:aws:sts::2:assumed-role/x/s")) == "neutral"
    )


def test_policy_unknown_condition_operator_fails_loudly() -> None:
    granted = policy(allow("s3:GetObject", "*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}))
    with pytest.raises(ValueError, match="condition operator DateGreaterThan is not supported offline"):
        evaluate([granted], Request("s3:GetObject", f"{BUCKET}/a"))


def test_policy_unknown_resource_checks_the_action_only() -> None:
    granted = policy(allow("ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/ap/*"))
    assert evaluate([granted], Request("ssm:GetParameter", None)) == "allow"
    assert evaluate([granted], Request("ssm:PutParameter", None)) == "neutral"
