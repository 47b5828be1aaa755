"""A database source through the offline stack: template.yaml's Glue connection (DatabaseJdbcUrl, DatabaseSecret)
deployed into moto, the interactions export job run as the stack's Glue role with IAM enforced, reading a real
PostgreSQL server (tests/db_servers.py). The role reads the stack's connection and its secret, nothing else."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.glue.models import glue_backends

from autopersonalize.local import offline_aws
from autopersonalize.local.stack import REPO, OfflineStack, deploy_stack
from tests.db_servers import Server, postgresql_server

__all__ = ["postgresql_server"]  # the session's server

ACCOUNT, REGION = "123456789012", "us-east-1"
MAPPING = "USER_ID=user_id,ITEM_ID=item_id,TIMESTAMP=ts,EVENT_TYPE=event_type"
ROWS = [("007", "i1", 1_700_000_000, "click"), ("u2", "i2", 1_700_000_060, "buy"), (None, "i3", 1_700_000_061, "buy")]


@pytest.fixture
def aws() -> Iterator[None]:
    with offline_aws():
        yield


def events_table(server: Server) -> str:
    table = f"public.clicks_{uuid.uuid4().hex[:8]}"
    con: Any = server.connect()
    cursor = con.cursor()
    cursor.execute(f"CREATE TABLE {table} (user_id text, item_id text, ts bigint, event_type text)")
    cursor.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s)", ROWS)
    con.commit()
    con.close()
    return table


def secret(server: Server, name: str, password: str = "") -> str:
    """A secret the operator made before deploying (the stack names it, it does not create it)."""
    value = json.dumps({"username": server.user, "password": password or server.password})
    return str(boto3.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"])


def database_stack(server: Server, table: str, secret_id: str) -> OfflineStack:
    stack = deploy_stack(
        parameters={
            "InteractionsSource": table,
            "InteractionsSourceType": "postgresql",
            "InteractionsMapping": MAPPING,
            "ItemsSource": "none",
            "UsersSource": "none",
            "DatabaseJdbcUrl": server.jdbc_url,
            "DatabaseSecret": secret_id,
        }
    )
    schema = (REPO / "schemas" / "interactions.avsc").read_bytes()
    boto3.client("s3").put_object(Bucket=stack.bucket, Key="schemas/interactions.avsc", Body=schema)
    return stack


def export(stack: OfflineStack, run_id: str, **arguments: str) -> tuple[str, str]:
    """The stack's interactions export, as its Glue role; the run's state and error message."""
    glue = boto3.client("glue")
    job = stack.name("ExportInteractionsJob")
    extra = {f"--{key}": value for key, value in arguments.items()}
    started = glue.start_job_run(JobName=job, Arguments={"--run_id": run_id, **extra})["JobRunId"]
    run = glue.get_job_run(JobName=job, RunId=started)["JobRun"]
    return run["JobRunState"], run.get("ErrorMessage", "")


def part(stack: OfflineStack, run_id: str) -> str:
    key = f"exports/{run_id}/interactions/part-00000.csv"
    return str(boto3.client("s3").get_object(Bucket=stack.bucket, Key=key)["Body"].read().decode())


def test_stack_exports_the_database_through_its_glue_connection_as_the_s3_csv_source(
    aws: None, postgresql_server: Server
) -> None:
    stack = database_stack(postgresql_server, events_table(postgresql_server), secret(postgresql_server, "shop-reader"))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([("user_id", "item_id", "ts", "event_type"), *ROWS])
    boto3.client("s3").put_object(Bucket=stack.bucket, Key="raw/clicks.csv", Body=out.getvalue().encode())

    assert export(stack, "from-db") == ("SUCCEEDED", "")
    assert export(stack, "from-csv", source_type="s3_csv", source=f"s3://{stack.bucket}/raw/") == ("SUCCEEDED", "")

    assert part(stack, "from-db") == part(stack, "from-csv")
    assert part(stack, "from-db").splitlines() == [
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE",
        "007,i1,1700000000,click,",
        "u2,i2,1700000060,buy,",
    ]


def test_stack_secret_named_without_its_arn_is_read(aws: None, postgresql_server: Server) -> None:
    secret(postgresql_server, "shop/reader")
    stack = database_stack(postgresql_server, events_table(postgresql_server), "shop/reader")
    assert export(stack, "by-name") == ("SUCCEEDED", "")


def test_stack_glue_role_may_not_read_another_glue_connection(aws: None, postgresql_server: Server) -> None:
    stack = database_stack(postgresql_server, events_table(postgresql_server), secret(postgresql_server, "shop-reader"))
    properties = {"JDBC_CONNECTION_URL": postgresql_server.jdbc_url, "SECRET_ID": "shop-reader"}
    boto3.client("glue").create_connection(
        ConnectionInput={"Name": "someone-elses", "ConnectionType": "JDBC", "ConnectionProperties": properties}
    )

    state, message = export(stack, "other", connection_name="someone-elses")

    assert state == "FAILED"
    assert "when calling the GetConnection operation" in message and "AccessDenied" in message
    assert "is not authorized to perform: glue:GetConnection" in message


def test_stack_glue_role_may_not_read_a_secret_the_stack_does_not_name(aws: None, postgresql_server: Server) -> None:
    stack = database_stack(postgresql_server, events_table(postgresql_server), secret(postgresql_server, "shop-reader"))
    other = secret(postgresql_server, "admin-credentials")
    # the connection edited outside the stack to use another secret (moto has no UpdateConnection)
    connection = glue_backends[ACCOUNT][REGION].connections[stack.name("DatabaseConnection")]
    connection.connection_properties["SECRET_ID"] = other

    state, message = export(stack, "other-secret")

    assert state == "FAILED"
    assert "when calling the GetSecretValue operation" in message and "AccessDenied" in message
    assert "is not authorized to perform: secretsmanager:GetSecretValue" in message
