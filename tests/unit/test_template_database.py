"""template.yaml's database sources: the Glue connection made from the parameters, the export jobs attached to it, the
Glue role's grants (that connection, that secret, the network interface in that subnet) and the Rules that refuse an
incomplete set of parameters before anything is created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autopersonalize.local.template import RuleAssertionError, Template

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:shop-reader-AbCdEf"
DATABASE = {
    "InteractionsSource": "public.clicks",
    "InteractionsSourceType": "postgresql",
    "ItemsSource": "none",
    "UsersSource": "none",
    "DatabaseJdbcUrl": "jdbc:postgresql://db.internal:5432/shop",
    "DatabaseSecret": SECRET_ARN,
}
VPC = {
    "DatabaseSubnetId": "subnet-0123456789abcdef0",
    "DatabaseSecurityGroupIds": "sg-0123456789abcdef0,sg-0fedcba9876543210",
    "DatabaseAvailabilityZone": "us-east-1a",
}
EXPORT_JOBS = ("ExportUsersJob", "ExportItemsJob", "ExportInteractionsJob")


def resolved(parameters: dict[str, str]) -> tuple[Template, dict[str, dict[str, Any]]]:
    template = Template.read(REPO / "template.yaml", parameters)
    template.check_rules()
    resources = {
        logical_id: template.resolve(resource.get("Properties", {}))
        for logical_id, resource in template.resources.items()
        if template.included(resource)
    }
    return template, resources


def glue_statements(resources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for p in resources["GlueJobRole"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def granted(statements: list[dict[str, Any]], action: str) -> list[Any]:
    found = []
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action in actions:
            found.append(statement["Resource"])
    return found


def test_database_source_creates_the_glue_connection_from_the_parameters() -> None:
    _, resources = resolved({**DATABASE, **VPC})
    assert resources["DatabaseConnection"] == {
        "CatalogId": ACCOUNT,
        "ConnectionInput": {
            "Name": "ap-database",
            "Description": "The database the export jobs' postgresql and mysql sources read (docs/glue.md).",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:postgresql://db.internal:5432/shop",
                "SECRET_ID": SECRET_ARN,
                "JDBC_ENFORCE_SSL": "false",
            },
            "PhysicalConnectionRequirements": {
                "SubnetId": "subnet-0123456789abcdef0",
                "SecurityGroupIdList": ["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
                "AvailabilityZone": "us-east-1a",
            },
        },
    }


def test_database_source_attaches_the_connection_to_every_export_job() -> None:
    template, resources = resolved(DATABASE)
    for job in EXPORT_JOBS:
        assert resources[job]["Connections"] == {"Connections": ["ap-database"]}, job
        assert resources[job]["DefaultArguments"]["--connection_name"] == "ap-database", job
    assert resources["ExportInteractionsJob"]["DefaultArguments"]["--watermark_column"] == ""
    assert template.ref("DatabaseConnection") == "ap-database"


def test_database_source_grants_its_connection_and_its_secret_only() -> None:
    _, resources = resolved(DATABASE)
    statements = glue_statements(resources)
    glue = f"arn:aws:glue:us-east-1:{ACCOUNT}"
    assert granted(statements, "glue:GetConnection") == [[f"{glue}:catalog", f"{glue}:connection/ap-database"]]
    assert granted(statements, "secretsmanager:GetSecretValue") == [SECRET_ARN]
    assert granted(statements, "ec2:CreateNetworkInterface") == []  # no VPC: Glue makes no network interface
    assert "PhysicalConnectionRequirements" not in resources["DatabaseConnection"]["ConnectionInput"]


def test_database_secret_given_by_name_is_granted_with_the_suffix_secrets_manager_adds() -> None:
    _, resources = resolved({**DATABASE, "DatabaseSecret": "shop/reader"})
    granted_secret = granted(glue_statements(resources), "secretsmanager:GetSecretValue")
    assert granted_secret == [f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:shop/reader-??????"]


def test_database_in_a_vpc_grants_the_network_interface_in_its_subnet() -> None:
    _, resources = resolved({**DATABASE, **VPC})
    statements = glue_statements(resources)
    ec2 = f"arn:aws:ec2:us-east-1:{ACCOUNT}"
    assert granted(statements, "ec2:CreateNetworkInterface") == [
        [f"{ec2}:network-interface/*", f"{ec2}:subnet/subnet-0123456789abcdef0", f"{ec2}:security-group/*"]
    ]
    assert granted(statements, "ec2:DeleteNetworkInterface") == [f"{ec2}:network-interface/*"]
    tagging = [s for s in statements if "ec2:CreateTags" in s["Action"]]
    assert [s["Condition"] for s in tagging] == [
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["aws-glue-service-resource"]}}
    ]


def test_stack_without_database_sources_has_no_connection_and_no_database_grants() -> None:
    _, resources = resolved({"InteractionsSource": "s3://lake/clicks/", "ItemsSource": "none", "UsersSource": "none"})
    assert "DatabaseConnection" not in resources
    for job in EXPORT_JOBS:
        assert "Connections" not in resources[job]
        assert resources[job]["DefaultArguments"]["--connection_name"] == ""
    statements = glue_statements(resources)
    for action in ("glue:GetConnection", "secretsmanager:GetSecretValue", "ec2:CreateNetworkInterface"):
        assert granted(statements, action) == [], action


@pytest.mark.parametrize(
    ("parameters", "refusal"),
    [
        (
            {**DATABASE, "DatabaseJdbcUrl": ""},
            "A source type is postgresql or mysql but DatabaseJdbcUrl is empty: give jdbc:postgresql://host:port/database",
        ),
        (
            {**DATABASE, "DatabaseSecret": ""},
            "A source type is postgresql or mysql but DatabaseSecret is empty: give the ARN or name of a Secrets",
        ),
        (
            {**DATABASE, **VPC, "DatabaseSecurityGroupIds": ""},
            "DatabaseSubnetId is set but DatabaseSecurityGroupIds is empty",
        ),
        (
            {**DATABASE, **VPC, "DatabaseAvailabilityZone": ""},
            "DatabaseSubnetId is set but DatabaseAvailabilityZone is empty",
        ),
    ],
    ids=["no-url", "no-secret", "no-security-group", "no-zone"],
)
def test_database_rules_refuse_an_incomplete_connection(parameters: dict[str, str], refusal: str) -> None:
    with pytest.raises(RuleAssertionError) as error:
        resolved(parameters)
    assert str(error.value).startswith(refusal)


def test_database_url_parameter_refuses_what_awswrangler_cannot_parse() -> None:
    from autopersonalize.local.template import TemplateError

    with pytest.raises(TemplateError) as error:
        resolved({**DATABASE, "DatabaseJdbcUrl": "jdbc:postgresql://db.internal/shop?ssl=true"})
    assert (
        "Parameter DatabaseJdbcUrl failed to satisfy constraint: must be jdbc:postgresql://host:port/database or "
        "jdbc:mysql://host:port/database"
    ) in str(error.value)
