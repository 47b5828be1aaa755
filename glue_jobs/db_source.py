"""Relational sources of the export jobs: PostgreSQL and MySQL tables or queries, read through a Glue connection.

awswrangler reads the connection (glue:GetConnection: JDBC_CONNECTION_URL, and SECRET_ID, whose secret holds
`username` and `password`: secretsmanager:GetSecretValue) and opens a pg8000 or PyMySQL connection. Rows arrive in
chunks from a server-side cursor (PostgreSQL: DECLARE ... CURSOR / FETCH; MySQL: an unbuffered SSCursor), so memory
stays at about one chunk whatever the table holds. Values become the text a CSV export of the same rows holds
(NULL and '' missing, booleans true/false, times ISO 8601, arrays joined with |), so the CSV source's conformance
rules apply unchanged and both sources publish the same CSV.

An incremental export pushes its watermark into the query as a bound parameter (`WHERE <column> >= %s`, never
formatted into the SQL), on --watermark_column, else the column mapped to TIMESTAMP: the database returns only the
rows the export keeps (times to the second as the export truncates them, epoch numbers in s/ms/us/ns by magnitude).
The export still filters each row on TIMESTAMP, so a watermark column other than TIMESTAMP's only narrows the read.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError
from job_io import UTC_ZONE, log, require, s3_client, split_s3

DB_SOURCE_TYPES = ("postgresql", "mysql")
CURSOR = "ap_export"
NAME = r"[A-Za-z_][A-Za-z0-9_$]*"
TABLE = re.compile(rf"{NAME}(\.{NAME})?")
QUERY = re.compile(r"\s*(select|with)\s", re.IGNORECASE)
# Epoch numbers by magnitude, as the export reads them (personalize_export._scale_to_seconds): below 1e11 seconds,
# then ms, us, ns. A number whose whole seconds are after the watermark is at least (watermark + 1) * unit.
UNITS = ((0, 10**11, 1), (10**11, 10**14, 10**3), (10**14, 10**17, 10**6), (10**17, None, 10**9))
HELP = "docs/glue.md, Database sources"


class DatabaseSourceError(ValueError):
    """The database or its Glue connection gives no rows: names the connection, table or query, and what to do."""


@dataclass(frozen=True)
class Dialect:
    kind: str
    quote: str
    time_codes: frozenset[Any]  # cursor.description type codes of date and time columns
    number_codes: frozenset[Any]
    naive_codes: frozenset[Any]  # times without a zone (compared with a naive UTC datetime)

    def name(self, dotted: str) -> str:
        return ".".join(f"{self.quote}{part}{self.quote}" for part in dotted.split("."))


# PostgreSQL type OIDs (pg_type): date 1082, timestamp 1114, timestamptz 1184; int2/4/8 21/23/20, float4/8 700/701,
# numeric 1700. MySQL field types (PyMySQL constants.FIELD_TYPE): TIMESTAMP 7, DATE 10, DATETIME 12; DECIMAL 0,
# TINY 1, SHORT 2, LONG 3, FLOAT 4, DOUBLE 5, LONGLONG 8, INT24 9, NEWDECIMAL 246.
DIALECTS = {
    "postgresql": Dialect(
        "postgresql", '"', frozenset({1082, 1114, 1184}), frozenset({20, 21, 23, 700, 701, 1700}), frozenset({1114})
    ),
    "mysql": Dialect(
        "mysql", "`", frozenset({7, 10, 12}), frozenset({0, 1, 2, 3, 4, 5, 8, 9, 246}), frozenset({7, 12})
    ),
}


@dataclass(frozen=True)
class Source:
    """What the job reads: the connection, and a table or a query."""

    dialect: Dialect
    connection: str
    url: str
    source: str
    properties: dict[str, str]

    @property
    def is_query(self) -> bool:
        return not TABLE.fullmatch(self.source)

    @property
    def described(self) -> str:
        kind = "query" if self.is_query else "table"
        return f"{self.dialect.kind} {kind} {self.source!r} (Glue connection {self.connection}, {self.url})"

    def select(self) -> str:
        if self.is_query:
            return self.source.strip().rstrip(";")
        return f"SELECT * FROM {self.dialect.name(self.source)}"


def read_database(
    kind: str, args: dict[str, str], chunk_rows: int, since: int | None, timestamp_column: str
) -> Iterator[pd.DataFrame]:
    """The rows of --source (schema.table, or a SELECT) through the Glue connection --connection_name, in chunks of
    text columns; with a watermark `since`, only rows whose watermark column is newer (pushed into the query)."""
    source = _source(kind, args)
    column = args.get("watermark_column", "").strip() or timestamp_column
    con = _connect(source)
    try:
        run = _run_postgresql if kind == "postgresql" else _run_mysql
        check = since is not None or bool(args.get("watermark_column", "").strip())
        sql, params = _query(source, con, column if check else "", since)
        log.info(f"reading {source.described}" + (f", rows with {column} newer than {since}" if params else ""))
        yield from _chunks(source, run(con, sql, params, chunk_rows), chunk_rows)
    finally:
        con.close()


def _source(kind: str, args: dict[str, str]) -> Source:
    connection = require(args, "connection_name", f"the Glue connection to the {kind} database ({HELP})")
    text = require(args, "source", "schema.table, or a SELECT query")
    if not TABLE.fullmatch(text) and not QUERY.match(text):
        raise DatabaseSourceError(
            f"--source {text!r} for {kind}: neither a table (schema.table or table: letters, digits, _ and $) nor a "
            "query starting with SELECT or WITH"
        )
    import awswrangler as wr  # here, not at the top: Glue for Spark imports the export rules without awswrangler

    try:
        properties = wr.catalog.get_connection(name=connection)["ConnectionProperties"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityNotFoundException":
            raise  # AccessDenied: the job's role lacks glue:GetConnection on the connection (and the catalog)
        raise DatabaseSourceError(
            f"Glue connection {connection!r} (--connection_name) does not exist: create it (the stack does from "
            f"DatabaseJdbcUrl and DatabaseSecret) or name an existing one ({HELP})"
        ) from None
    url = properties.get("JDBC_CONNECTION_URL", "")
    scheme = url.split(":")[1].lower() if url.count(":") >= 2 else ""
    expected = {"postgresql": ("postgresql", "postgres"), "mysql": ("mysql", "aurora-mysql")}[kind]
    if scheme not in expected:
        raise DatabaseSourceError(
            f"Glue connection {connection}: JDBC_CONNECTION_URL {url!r} is not a {kind} URL "
            f"(jdbc:{expected[0]}://host:port/database) but --source_type is {kind}"
        )
    return Source(DIALECTS[kind], connection, url, text, properties)


def _connect(source: Source) -> Any:
    """A DB-API connection from the Glue connection (awswrangler reads its URL and SECRET_ID's secret), with the
    driver's failures named: the server unreachable, the credentials refused."""
    import awswrangler as wr
    import pymysql.cursors  # awswrangler imports the drivers lazily; these are what its connect raises
    from pg8000.exceptions import DatabaseError, InterfaceError

    try:
        if source.dialect.kind == "postgresql":
            return wr.postgresql.connect(connection=source.connection, ssl_context=_ssl_context(source))
        return wr.mysql.connect(connection=source.connection, cursorclass=pymysql.cursors.SSCursor)
    except (InterfaceError, DatabaseError, pymysql.err.OperationalError) as exc:
        raise DatabaseSourceError(_connect_problem(source, exc)) from None


def _connect_problem(source: Source, exc: Exception) -> str:
    code = _code(exc)
    if code in ("28P01", "28000", 1045, 1044, "3D000", 1049):
        return (
            f"{source.described}: the server refused the user, password or database ({_message(exc)}): check the "
            f"secret the connection's SECRET_ID names (JSON with username and password) and the database in the URL"
        )
    return (
        f"{source.described}: cannot connect ({_message(exc)}): check host and port in JDBC_CONNECTION_URL, that the "
        f"server runs, and that the connection's subnet and security group reach it ({HELP})"
    )


def _ssl_context(source: Source) -> ssl.SSLContext | None:
    """JDBC_ENFORCE_SSL=true: TLS with the server's certificate and host name checked, against CUSTOM_JDBC_CERT (an S3
    location of a PEM bundle) when given (Glue connection properties). awswrangler applies these for MySQL itself but
    passes PostgreSQL only the context it is given."""
    if str(source.properties.get("JDBC_ENFORCE_SSL", "false")).lower() != "true":
        return None
    certificate = source.properties.get("CUSTOM_JDBC_CERT")
    if not certificate:
        return ssl.create_default_context()
    bucket, key = split_s3(certificate)
    pem = s3_client().get_object(Bucket=bucket, Key=key)["Body"].read().decode("ascii")
    return ssl.create_default_context(cadata=pem)


# ---------------------------------------------------------------- queries


def _query(source: Source, con: Any, column: str, since: int | None) -> tuple[str, list[Any]]:
    """The SQL to read and its parameters: the source as is, or wrapped with the watermark condition on `column`
    (which must be one of the source's columns when given)."""
    if not column:
        return source.select(), []
    inner = f"SELECT * FROM ({source.select()}) AS ap_source"
    types = _describe(source, con, f"{inner} WHERE 1 = 0")
    if column not in types:
        raise DatabaseSourceError(
            f"{source.described}: watermark column {column!r} is not one of its columns ({', '.join(types)}): "
            "set --watermark_column, or map TIMESTAMP to a column that exists (--mapping TIMESTAMP=<column>)"
        )
    condition, params = _newer(source.dialect, source.dialect.name(column), types[column], since)
    if not condition:
        if since is not None:
            log.info(f"{source.described}: {column} is neither a number nor a time: the export filters by TIMESTAMP")
        return source.select(), []
    escaped = inner.replace("%", "%%")  # with parameters, both drivers read %% as a literal %
    return f"{escaped} WHERE {condition}", params


def _describe(source: Source, con: Any, sql: str) -> dict[str, Any]:
    """Column name -> the driver's type code, from a query that returns no rows."""
    from pg8000.exceptions import DatabaseError
    from pymysql.err import MySQLError

    cursor = con.cursor()
    try:
        cursor.execute(sql)
        cursor.fetchall()
        return {d[0]: d[1] for d in cursor.description}
    except (DatabaseError, MySQLError) as exc:
        raise DatabaseSourceError(_query_problem(source, exc)) from None
    finally:
        cursor.close()


def _newer(dialect: Dialect, column: str, code: Any, since: int | None) -> tuple[str, list[Any]]:
    """The rows the export keeps, as a condition with bound parameters: those whose time, truncated to the second as
    the export truncates it, is after `since` (Unix seconds); ("", []) for other types (text times are compared
    after their conversion, in the export)."""
    if since is None:
        return "", []
    if code in dialect.time_codes:
        if code in (1082, 10):  # a date is its midnight: after `since` when its day is after since's day
            return f"{column} > %s", [datetime.fromtimestamp(since, UTC_ZONE).date()]
        moment = datetime.fromtimestamp(since + 1, UTC_ZONE)
        return f"{column} >= %s", [moment.replace(tzinfo=None) if code in dialect.naive_codes else moment]
    if code in dialect.number_codes:  # per magnitude band: seconds, ms, us, ns
        bands, params = [], []
        for low, high, unit in UNITS:
            bands.append(f"({column} >= %s" + (f" AND {column} < %s" if high else "") + f" AND {column} >= %s)")
            params += [low, *([high] if high else []), (since + 1) * unit]
        return "(" + " OR ".join(bands) + ")", params
    return "", []


def _run_postgresql(con: Any, sql: str, params: list[Any], rows: int) -> Iterator[tuple[list[str], list[Any]]]:
    """Batches of (column names, rows) from a server-side cursor: FETCH holds `rows` rows in memory at most."""
    cursor = con.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.execute(f"DECLARE {CURSOR} NO SCROLL CURSOR FOR {sql}", tuple(params))
    try:
        while True:
            cursor.execute(f"FETCH FORWARD {int(rows)} FROM {CURSOR}")
            batch = cursor.fetchall()
            yield [d[0] for d in cursor.description], list(batch)
            if len(batch) < rows:
                return
    finally:
        con.rollback()  # ends the read-only transaction and closes the cursor


def _run_mysql(con: Any, sql: str, params: list[Any], rows: int) -> Iterator[tuple[list[str], list[Any]]]:
    """Batches of (column names, rows) from an unbuffered cursor (the server streams the rows as they are read)."""
    cursor = con.cursor()
    try:
        cursor.execute("SET time_zone = '+00:00'")
        cursor.execute(sql, params or None)
        names = [d[0] for d in cursor.description]
        while True:
            batch = cursor.fetchmany(rows)
            yield names, list(batch)
            if len(batch) < rows:
                return
    finally:
        cursor.close()


def _chunks(source: Source, batches: Iterator[tuple[list[str], list[Any]]], chunk_rows: int) -> Iterator[pd.DataFrame]:
    """DataFrames of text columns, one per batch, with the database's errors named (missing table, bad SQL)."""
    from pg8000.exceptions import DatabaseError
    from pymysql.err import MySQLError

    try:
        for names, rows in batches:
            if len(set(names)) < len(names):
                twice = sorted({n for n in names if names.count(n) > 1})
                raise DatabaseSourceError(f"{source.described}: returns {', '.join(twice)} twice: alias the columns")
            if rows:
                yield _frame(names, rows)
    except (DatabaseError, MySQLError) as exc:
        raise DatabaseSourceError(_query_problem(source, exc)) from None


def _query_problem(source: Source, exc: Exception) -> str:
    if _code(exc) in ("42P01", "3F000", 1146):
        return f"{source.described}: no such table ({_message(exc)}): check --source (schema.table)"
    if _code(exc) in ("42501", 1142):
        return f"{source.described}: the database user may not read it ({_message(exc)}): GRANT SELECT to it"
    return f"{source.described}: the database refused the query ({_message(exc)})"


def _code(exc: Exception) -> Any:
    """The SQLSTATE of a pg8000 error (its args[0]['C']) or the error number of a PyMySQL one (its args[0])."""
    first = exc.args[0] if exc.args else None
    return first.get("C") if isinstance(first, dict) else first


def _message(exc: Exception) -> str:
    first = exc.args[0] if exc.args else ""
    if isinstance(first, dict):
        return str(first.get("M", first))
    return str(exc.args[1]) if len(exc.args) > 1 else str(first)


# ---------------------------------------------------------------- values as text


def _frame(names: list[str], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Rows as text columns with the dtype pandas' read_csv(dtype=str) gives (missing values missing)."""
    columns = list(zip(*rows))
    return pd.DataFrame({name: pd.Series(_texts(list(values)), dtype=str) for name, values in zip(names, columns)})


def _texts(values: list[Any]) -> list[str | None]:
    """One column's values as the text a CSV holds; the converter is chosen by the first non-missing value's type."""
    first = next((v for v in values if v is not None), None)
    if isinstance(first, str):
        return [v if v else None for v in values]
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return [None if v is None else str(v) for v in values]
    return [_text(v) for v in values]


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):  # a PostgreSQL array: a multi-valued categorical
        return "|".join(t for t in map(_text, value) if t is not None) or None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict):  # json / jsonb
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)
