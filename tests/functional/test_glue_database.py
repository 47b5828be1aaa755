"""The export jobs' database sources against real PostgreSQL and MariaDB servers (tests/db_servers.py), read through a
Glue connection and a Secrets Manager secret in moto: the same CSV as the S3 CSV source of the same rows, the watermark
pushed into the query, and errors that name the connection, table or column and what to do.

Plain moto (no offline stack): these also run on Glue's Python 3.9 (make glue-py39)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import export_interactions
import export_items
import pytest
from db_source import DatabaseSourceError
from moto import mock_aws

from tests.db_servers import Server, free_port, mariadb_server, postgresql_server

__all__ = ["mariadb_server", "postgresql_server"]  # session fixtures: each server starts once per test process

BUCKET = "autopersonalize-test"
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
MAPPING = "USER_ID=user_id,ITEM_ID=item_id,TIMESTAMP=ts,EVENT_TYPE=event_type,EVENT_VALUE=event_value"
COLUMNS = ("user_id", "item_id", "ts", "event_type", "event_value")
T0 = 1_700_000_000
# Rows as a lake logs them: an ID with a leading zero, a missing value, a missing user (rejected), a same-second
# duplicate under another type, an exact duplicate row (removed), numbers as the database gives them back.
ROWS: list[tuple[Any, ...]] = [
    ("007", "i1", T0, "click", 1.5),
    ("u2", "i2", T0 + 60, "click", None),
    (None, "i3", T0 + 61, "click", 2.0),
    ("u2", "i2", T0 + 60, "watch", 0.1),
    ("u3", "i1", T0 + 120, "buy", 1e-07),
    ("u3", "i1", T0 + 120, "buy", 1e-07),
    ("u4", "i4", T0 + 180, "click", 12345.678),
]
TS_TYPES = {
    "postgresql": {"seconds": "bigint", "milliseconds": "bigint", "time": "timestamptz"},
    "mysql": {"seconds": "bigint", "milliseconds": "bigint", "time": "datetime"},
}


@pytest.fixture(params=["postgresql", "mysql"])
def server(request: pytest.FixtureRequest) -> Server:
    fixture = "postgresql_server" if request.param == "postgresql" else "mariadb_server"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def glue_connection(server: Server, name: str = "lake-db", password: str | None = None, url: str = "") -> str:
    """A Glue JDBC connection whose SECRET_ID names a secret holding the user and password (as the stack makes it)."""
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"{name}-credentials",
        SecretString=json.dumps({"username": server.user, "password": password or server.password}),
    )
    properties = {"JDBC_CONNECTION_URL": url or server.jdbc_url, "SECRET_ID": secret["ARN"]}
    boto3.client("glue").create_connection(
        ConnectionInput={"Name": name, "ConnectionType": "JDBC", "ConnectionProperties": properties}
    )
    return name


def table_name(server: Server) -> str:
    schema = "public" if server.kind == "postgresql" else server.database
    return f"{schema}.events_{uuid.uuid4().hex[:8]}"


def create_table(server: Server, table: str, rows: list[tuple[Any, ...]], ts_type: str = "bigint") -> None:
    con: Any = server.connect()
    cursor = con.cursor()
    cursor.execute(
        f"CREATE TABLE {table} (user_id varchar(64), item_id varchar(64), ts {ts_type}, event_type varchar(32), "
        "event_value double precision)"
    )
    con.commit()
    insert_rows(server, table, rows)
    con.close()


def insert_rows(server: Server, table: str, rows: list[tuple[Any, ...]]) -> None:
    con: Any = server.connect()
    con.cursor().executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s)", rows)
    con.commit()
    con.close()


def csv_text(rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue()


def export(run_id: str, **arguments: str) -> dict[str, Any]:
    args = {"bucket": BUCKET, "run_id": run_id, "schema": str(SCHEMAS / "interactions.avsc"), "mapping": MAPPING}
    return export_interactions.main({**args, **arguments})


def objects(s3: Any, run_id: str) -> dict[str, bytes]:
    """Every object the run wrote except its manifest part, by key relative to exports/<run_id>/."""
    prefix = f"exports/{run_id}/"
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {
        o["Key"][len(prefix) :]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
        for o in listed
        if "/manifest/" not in f"/{o['Key'][len(prefix) :]}"
    }


def manifest(s3: Any, run_id: str) -> dict[str, Any]:
    key = f"exports/{run_id}/manifest/interactions.json"
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())  # type: ignore[no-any-return]


def comparable(part: dict[str, Any]) -> dict[str, Any]:
    """The manifest part without what names the run or the source; the source's columns stay (both read text)."""
    kept = {k: v for k, v in part.items() if k not in ("runId", "createdAt", "source", "location", "rejectedLocation")}
    kept["sourceSchema"] = {k: v for k, v in kept["sourceSchema"].items() if k not in ("sourceType", "source")}
    kept["batchUsers"] = {k: v for k, v in kept["batchUsers"].items() if k != "location"}  # the run's folder
    return kept


# ---------------------------------------------------------------- the same CSV as the S3 source


@pytest.mark.parametrize("chunk_rows", ["3", "500000"])
def test_database_export_publishes_the_csv_of_the_s3_csv_source(s3: Any, server: Server, chunk_rows: str) -> None:
    table = table_name(server)
    create_table(server, table, ROWS)
    s3.put_object(Bucket=BUCKET, Key="raw/events/events.csv", Body=csv_text(ROWS).encode())
    export("from-csv", source_type="s3_csv", source=f"s3://{BUCKET}/raw/events/", chunk_rows=chunk_rows)

    export(
        "from-db", source_type=server.kind, source=table, connection_name=glue_connection(server), chunk_rows=chunk_rows
    )

    from_csv, from_db = objects(s3, "from-csv"), objects(s3, "from-db")
    assert from_db == from_csv
    assert "interactions/part-00000.csv" in from_db and "rejected/interactions/part-00000.csv" in from_db
    assert from_db["interactions/part-00000.csv"].decode().splitlines()[:2] == [
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE",
        f"007,i1,{T0},click,1.5",
    ]
    assert comparable(manifest(s3, "from-db")) == comparable(manifest(s3, "from-csv"))
    assert manifest(s3, "from-db")["rowsWritten"] == 5 and manifest(s3, "from-db")["duplicatesRemoved"] == 1


def test_database_times_export_as_the_csv_of_their_iso_text(s3: Any, server: Server) -> None:
    """A timestamptz (PostgreSQL) or DATETIME (MySQL) column gives what ISO 8601 text in a CSV gives."""
    rows = [(u, i, f"2023-11-14 22:{13 + n}:20", e, v) for n, (u, i, _, e, v) in enumerate(ROWS)]
    table = table_name(server)
    create_table(server, table, rows, TS_TYPES[server.kind]["time"])
    iso = [(u, i, ts.replace(" ", "T") + "Z", e, v) for u, i, ts, e, v in rows]
    s3.put_object(Bucket=BUCKET, Key="raw/iso/events.csv", Body=csv_text(iso).encode())
    export("from-csv", source_type="s3_csv", source=f"s3://{BUCKET}/raw/iso/")

    export("from-db", source_type=server.kind, source=table, connection_name=glue_connection(server))

    assert (
        objects(s3, "from-db")["interactions/part-00000.csv"] == objects(s3, "from-csv")["interactions/part-00000.csv"]
    )
    assert manifest(s3, "from-db")["timeRange"]["minIso"] == "2023-11-14T22:13:20Z"


def test_database_query_source_reads_what_the_select_returns(s3: Any, server: Server) -> None:
    table = table_name(server)
    create_table(server, table, ROWS)
    query = f"SELECT user_id, item_id, ts, event_type, event_value FROM {table} WHERE event_type LIKE 'cl%'"

    export("q", source_type=server.kind, source=query, connection_name=glue_connection(server))

    lines = objects(s3, "q")["interactions/part-00000.csv"].decode().splitlines()
    assert lines[1:] == [f"007,i1,{T0},click,1.5", f"u2,i2,{T0 + 60},click,", f"u4,i4,{T0 + 180},click,12345.678"]
    assert manifest(s3, "q")["rejectedByReason"] == {"USER_ID:missing_required_value": 1}


# ---------------------------------------------------------------- incremental exports


@pytest.mark.parametrize("unit", ["seconds", "milliseconds", "time"])
def test_database_incremental_export_reads_only_rows_newer_than_the_watermark(
    s3: Any, server: Server, unit: str
) -> None:
    """GIVEN a first export and its watermark (the newest TIMESTAMP, kept by publish_params); WHEN newer rows arrive,
    THEN the second run's query returns only those: rowsRead counts them alone, nothing is filtered afterwards."""

    def stamp(seconds: int) -> Any:
        if unit == "time":
            return f"2023-11-14 {seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return seconds * 1000 + 999 if unit == "milliseconds" else seconds

    first = [("u1", "i1", stamp(T0), "click", None), ("u2", "i2", stamp(T0 + 60), "click", None)]
    later = [("u1", "i3", stamp(T0 + 61), "click", None), ("u3", "i2", stamp(T0 + 3600), "click", None)]
    table = table_name(server)
    create_table(server, table, first, TS_TYPES[server.kind][unit])
    args = {"source_type": server.kind, "source": table, "connection_name": glue_connection(server)}
    run1 = export("run-1", mode="incremental", dataset_group="shop", **args)
    watermark = manifest(s3, "run-1")["timeRange"]["max"]
    s3.put_object(Bucket=BUCKET, Key="exports/_state/shop.json", Body=json.dumps({"watermark": watermark}).encode())
    insert_rows(server, table, later)

    export("run-2", mode="incremental", dataset_group="shop", **args)

    part = manifest(s3, "run-2")
    assert run1["rowsWritten"] == 2
    assert (part["rowsRead"], part["rowsBeforeSince"], part["rowsWritten"]) == (2, 0, 2)
    assert (
        part["since"]["value"] == watermark
        and part["since"]["from"] == "s3://autopersonalize-test/exports/_state/shop.json"
    )
    assert [
        line.split(",")[:2] for line in objects(s3, "run-2")["interactions/part-00000.csv"].decode().splitlines()[1:]
    ] == [
        ["u1", "i3"],
        ["u3", "i2"],
    ]


def test_database_watermark_column_of_text_is_filtered_by_the_export(s3: Any, postgresql_server: Server) -> None:
    """Text times cannot be compared in SQL as the export compares them: all rows are read, older ones dropped."""
    table = table_name(postgresql_server)
    create_table(postgresql_server, table, [("u1", "i1", "2023-11-14T22:13:20Z", "click", None),
                                            ("u2", "i2", "2023-11-14T22:13:21Z", "click", None)], "text")  # fmt: skip
    export("t", source_type="postgresql", source=table, connection_name=glue_connection(postgresql_server),
           since="2023-11-14T22:13:20Z")  # fmt: skip
    part = manifest(s3, "t")
    assert (part["rowsRead"], part["rowsBeforeSince"], part["rowsWritten"]) == (2, 1, 1)


# ---------------------------------------------------------------- errors that say what to do


def run_error(**arguments: str) -> str:
    with pytest.raises(DatabaseSourceError) as error:
        export("bad", **arguments)
    return str(error.value)


def test_database_unreachable_server_names_the_connection_and_what_to_check(s3: Any, server: Server) -> None:
    port = free_port()
    url = f"jdbc:{server.kind}://127.0.0.1:{port}/{server.database}"
    name = glue_connection(server, "down-db", url=url)
    message = run_error(source_type=server.kind, source=table_name(server), connection_name=name)
    assert (
        message.startswith(f"{server.kind} table ") and f"(Glue connection down-db, {url}): cannot connect" in message
    )
    assert "check host and port in JDBC_CONNECTION_URL" in message and "security group" in message


def test_database_wrong_password_names_the_secret_to_fix(s3: Any, server: Server) -> None:
    name = glue_connection(server, "wrong-pw", password="not-the-password")
    message = run_error(source_type=server.kind, source=table_name(server), connection_name=name)
    assert "(Glue connection wrong-pw," in message and "the server refused the user, password or database" in message
    assert "check the secret the connection's SECRET_ID names (JSON with username and password)" in message


def test_database_missing_table_is_named(s3: Any, server: Server) -> None:
    table = table_name(server)
    message = run_error(source_type=server.kind, source=table, connection_name=glue_connection(server))
    assert message.startswith(
        f"{server.kind} table '{table}' (Glue connection lake-db, {server.jdbc_url}): no such table"
    )
    assert message.endswith("check --source (schema.table)")


def test_database_unknown_watermark_column_lists_the_columns(s3: Any, server: Server) -> None:
    table = table_name(server)
    create_table(server, table, ROWS[:1])
    message = run_error(source_type=server.kind, source=table, connection_name=glue_connection(server),
                        watermark_column="updated_at")  # fmt: skip
    assert f"{table}' (Glue connection lake-db, {server.jdbc_url}): watermark column 'updated_at' is not one" in message
    assert "(user_id, item_id, ts, event_type, event_value): set --watermark_column" in message


def test_database_unknown_glue_connection_says_how_to_get_one(s3: Any, postgresql_server: Server) -> None:
    message = run_error(source_type="postgresql", source="public.events", connection_name="nope")
    assert message.startswith("Glue connection 'nope' (--connection_name) does not exist: create it")


def test_database_connection_of_another_engine_is_refused(s3: Any, mariadb_server: Server) -> None:
    name = glue_connection(mariadb_server)
    message = run_error(source_type="postgresql", source="lake.events", connection_name=name)
    assert message == (
        f"Glue connection lake-db: JDBC_CONNECTION_URL '{mariadb_server.jdbc_url}' is not a postgresql URL "
        "(jdbc:postgresql://host:port/database) but --source_type is postgresql"
    )


def test_database_source_that_is_neither_table_nor_query_is_refused(s3: Any, postgresql_server: Server) -> None:
    message = run_error(source_type="postgresql", source="DROP TABLE x", connection_name="lake-db")
    assert message.startswith("--source 'DROP TABLE x' for postgresql: neither a table")


def test_database_types_export_as_their_csv_text(s3: Any, postgresql_server: Server) -> None:
    """Integers, arrays (a multi-valued categorical), numerics and dates give what their text in a CSV gives."""
    table = table_name(postgresql_server)
    con: Any = postgresql_server.connect()
    cursor = con.cursor()
    cursor.execute(f"CREATE TABLE {table} (item_id integer, category text[], price numeric(8, 2), created date)")
    cursor.execute(
        f"INSERT INTO {table} VALUES (42, ARRAY['shoes', 'sale'], 4.50, '2024-05-01'), (7, ARRAY['hats'], NULL, "
        "'2024-05-02'), (8, '{}', 1, '2024-05-03')"
    )
    con.commit()
    con.close()
    text = "item_id,category,price,created\n42,shoes|sale,4.50,2024-05-01\n7,hats,,2024-05-02\n8,,1.00,2024-05-03\n"
    s3.put_object(Bucket=BUCKET, Key="raw/items/items.csv", Body=text.encode())
    mapping = "ITEM_ID=item_id,CATEGORY=category,PRICE=price,CREATION_TIMESTAMP=created"
    items = {"bucket": BUCKET, "schema": str(SCHEMAS / "items.avsc"), "mapping": mapping}
    export_items.main({**items, "run_id": "from-csv", "source_type": "s3_csv", "source": f"s3://{BUCKET}/raw/items/"})

    name = glue_connection(postgresql_server)
    export_items.main(
        {**items, "run_id": "from-db", "source_type": "postgresql", "source": table, "connection_name": name}
    )

    assert objects(s3, "from-db") == objects(s3, "from-csv")
    assert objects(s3, "from-db")["items/part-00000.csv"].decode().splitlines() == [
        "ITEM_ID,CATEGORY,PRICE,CREATION_TIMESTAMP",
        "42,shoes|sale,4.5,1714521600",
        "7,hats,,1714608000",
    ]
