"""The Glue role reads only the sources the stack's parameters name (issue 12, S1): an S3 source's prefix, a catalog
table with its database and the catalog, and what SourceDataArns/SourceTableArns add; anything else is AccessDenied
offline, as on AWS. Glue catalog and Athena calls are authorised on their resources (autopersonalize/local/iam.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import awswrangler as wr
import boto3
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from autopersonalize.local import iam, offline_aws, patches
from autopersonalize.local.stack import REPO, OfflineStack, deploy_stack
from autopersonalize.local.template import load

ACCOUNT = "123456789012"
LAKE = "lake-data"
GLUE = f"arn:aws:glue:us-east-1:{ACCOUNT}"
CLICKS = pd.DataFrame({"user_id": ["u1", "u2"], "item_id": ["i1", "i2"], "ts": [1_700_000_000, 1_700_000_060]})
EXPORT = {"InteractionsMapping": "USER_ID=user_id,ITEM_ID=item_id,TIMESTAMP=ts", "InteractionsEventType": "click"}
S3_SOURCE = {"InteractionsSource": f"s3://{LAKE}/clicks/", **EXPORT}
CATALOG_SOURCE = {
    "InteractionsSource": "lake.clicks",
    "InteractionsSourceType": "catalog",
    **EXPORT,
    "SourceDataArns": f"arn:aws:s3:::{LAKE},arn:aws:s3:::{LAKE}/clicks/*",
}


def lake_stack(parameters: dict[str, str]) -> OfflineStack:
    """The stack exporting only interactions, and a lake with a clicks and a secrets table (parquet, in the
    catalog) and a second bucket whose name starts with the lake's."""
    stack = deploy_stack(parameters={"ItemsSource": "none", "UsersSource": "none", **parameters})
    s3 = boto3.client("s3")
    schema = (REPO / "schemas" / "interactions.avsc").read_bytes()
    s3.put_object(Bucket=stack.bucket, Key="schemas/interactions.avsc", Body=schema)
    for bucket in (LAKE, f"{LAKE}-private"):
        s3.create_bucket(Bucket=bucket)
    wr.catalog.create_database("lake")
    for table in ("clicks", "secrets"):
        wr.s3.to_parquet(CLICKS, f"s3://{LAKE}/{table}/", dataset=True, database="lake", table=table)
    wr.s3.to_parquet(CLICKS, f"s3://{LAKE}-private/clicks/", dataset=True)
    return stack


def export(stack: OfflineStack, **arguments: str) -> tuple[str, str]:
    """Run the interactions export as the stack runs it (as the Glue role); its state and error message."""
    glue = boto3.client("glue")
    job = stack.name("ExportInteractionsJob")
    extra = {f"--{key}": value for key, value in arguments.items()}
    run_id = glue.start_job_run(JobName=job, Arguments={"--run_id": "run-1", **extra})["JobRunId"]
    run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
    return run["JobRunState"], run.get("ErrorMessage", "")


def refusal(code: str, message: str) -> tuple[str, str]:
    """The code and message of a refusal. moto's access control writes it in XML whatever the protocol, so for JSON
    services (Glue, Athena) botocore reports the HTTP status as the code and the XML as the message."""
    found = re.search(r"<Code>(\w+)</Code><Message>([^<]*)</Message>", message)
    return (found[1], found[2]) if found else (code, message)


def denied(message: str) -> tuple[str, str]:
    """The refused operation and what the refusal says, from a Glue job's `<type>: An error occurred (<code>) when
    calling the <operation> operation: <message>` (the role session's name cut out)."""
    found = re.fullmatch(r"\w+: An error occurred \((\w+)\) when calling the (\w+) operation: (.*)", message, re.DOTALL)
    assert found, message
    code, text = refusal(found[1], found[3])
    text = re.sub(r"assumed-role/([^/]+)/\S+", r"assumed-role/\1/<session>", text)
    return found[2], f"{code}: {text}"


@pytest.fixture
def aws() -> Iterator[None]:
    with offline_aws():
        yield


def as_role(statements: list[dict[str, Any]], service: str) -> Any:
    """A client signing as a new role whose only policy is `statements`."""
    client = boto3.client("iam")
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = client.create_role(
        RoleName="reader", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", **trust})
    )
    document = {"Version": "2012-10-17", "Statement": statements}
    client.put_role_policy(RoleName="reader", PolicyName="p", PolicyDocument=json.dumps(document))
    _, session = iam.role_session(role["Role"]["Arn"], "test", "us-east-1", patches.SERVICE_MODELS)
    return session.client(service, region_name="us-east-1")


def code_and_message(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return refusal(error.value.response["Error"]["Code"], error.value.response["Error"]["Message"])


# ---------- the stack's Glue role ----------


def test_glue_role_reads_the_s3_source_its_parameters_name(aws: None) -> None:
    stack = lake_stack(S3_SOURCE)
    assert export(stack) == ("SUCCEEDED", "")


@pytest.mark.parametrize(
    ("source", "refused"),
    [
        # the role may list the source's bucket (no s3:prefix condition offline), not read objects outside the prefix
        (f"s3://{LAKE}/secrets/", "HeadObject"),
        (f"s3://{LAKE}-private/clicks/", "ListObjectsV2"),
    ],
    ids=["another-prefix", "a-bucket-named-like-it"],
)
def test_glue_role_s3_source_outside_its_parameters_is_access_denied(aws: None, source: str, refused: str) -> None:
    stack = lake_stack(S3_SOURCE)
    state, message = export(stack, source=source)
    assert (state, denied(message)) == ("FAILED", (refused, "AccessDenied: Access Denied"))


def test_glue_role_reads_the_catalog_table_its_parameters_name(aws: None) -> None:
    stack = lake_stack(CATALOG_SOURCE)
    assert export(stack) == ("SUCCEEDED", "")


def test_glue_role_catalog_table_outside_its_parameters_is_access_denied(aws: None) -> None:
    stack = lake_stack(CATALOG_SOURCE)
    state, message = export(stack, source="lake.secrets")
    role = f"arn:aws:sts::{ACCOUNT}:assumed-role/{stack.name('GlueJobRole')}/<session>"
    refused = f"AccessDenied: User: {role} is not authorized to perform: glue:GetTable"
    assert (state, denied(message)) == ("FAILED", ("GetTable", refused))


def test_glue_role_catalog_table_data_needs_source_data_arns(aws: None) -> None:
    stack = lake_stack({**CATALOG_SOURCE, "SourceDataArns": ""})
    state, message = export(stack)
    assert (state, denied(message)) == ("FAILED", ("ListObjectsV2", "AccessDenied: Access Denied"))


def test_template_source_pattern_refuses_an_s3_source_without_a_slash_after_the_bucket() -> None:
    # arn:aws:s3:::lake* would also cover every bucket whose name starts with lake
    pattern = load(REPO / "template.yaml")["Parameters"]["InteractionsSource"]["AllowedPattern"]
    accepted = ["s3://lake/", "s3://lake/clicks/", "lake.clicks", "SELECT a FROM lake.clicks", "none", ""]
    assert [v for v in [*accepted, "s3://lake", "s3://lake.private"] if re.fullmatch(pattern, v)] == accepted


# ---------- Glue catalog and Athena calls are authorised on their resources ----------

TABLE_GRANT = [f"{GLUE}:catalog", f"{GLUE}:database/lake", f"{GLUE}:table/lake/clicks"]


def test_iam_glue_get_table_is_allowed_on_the_table_its_database_and_the_catalog(aws: None) -> None:
    wr.catalog.create_database("lake")
    wr.catalog.create_parquet_table("lake", "clicks", path=f"s3://{LAKE}/clicks/", columns_types={"a": "string"})
    glue = as_role([{"Effect": "Allow", "Action": "glue:GetTable", "Resource": TABLE_GRANT}], "glue")
    assert glue.get_table(DatabaseName="lake", Name="clicks")["Table"]["Name"] == "clicks"


@pytest.mark.parametrize(("table", "missing"), [("secrets", ""), ("clicks", "catalog"), ("clicks", "database")])
def test_iam_glue_get_table_outside_the_grant_is_access_denied(aws: None, table: str, missing: str) -> None:
    grant = [arn for arn in TABLE_GRANT if not missing or f":{missing}" not in arn]
    glue = as_role([{"Effect": "Allow", "Action": "glue:GetTable", "Resource": grant}], "glue")
    with pytest.raises(ClientError) as error:
        glue.get_table(DatabaseName="lake", Name=table)
    assert code_and_message(error) == (
        "AccessDenied",
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/test is not authorized to perform: glue:GetTable",
    )


def test_iam_athena_query_in_a_workgroup_the_role_does_not_name_is_access_denied(aws: None) -> None:
    athena = boto3.client("athena")
    for name in ("exports", "analysts"):
        athena.create_work_group(Name=name, Configuration={})
    grant = f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/exports"
    role = as_role([{"Effect": "Allow", "Action": "athena:StartQueryExecution", "Resource": grant}], "athena")
    role.start_query_execution(QueryString="SELECT 1", WorkGroup="exports")
    with pytest.raises(ClientError) as error:
        role.start_query_execution(QueryString="SELECT 1", WorkGroup="analysts")
    role = f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/test"
    assert code_and_message(error) == (
        "AccessDenied",
        f"User: {role} is not authorized to perform: athena:StartQueryExecution",
    )


def test_iam_athena_query_results_are_authorised_on_the_querys_workgroup(aws: None) -> None:
    athena = boto3.client("athena")
    athena.create_work_group(Name="analysts", Configuration={})
    query = athena.start_query_execution(QueryString="SELECT 1", WorkGroup="analysts")["QueryExecutionId"]
    grant = f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/exports"
    role = as_role([{"Effect": "Allow", "Action": "athena:GetQueryExecution", "Resource": grant}], "athena")
    with pytest.raises(ClientError) as error:
        role.get_query_execution(QueryExecutionId=query)
    assert code_and_message(error)[0] == "AccessDenied"
