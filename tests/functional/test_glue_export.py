"""Glue export jobs against emulated S3/Glue/Athena: sources, mapping, conformance, rejects, dedup, manifest parts."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import awswrangler as wr
import boto3
import export_interactions
import export_items
import export_users
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import requests
from digests import HashCounter, column_digests
from job_io import ExportArgumentError, parse_glue_args
from moto import mock_aws
from personalize_export import ExportSourceError

BUCKET = "autopersonalize-test"
ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
OTTO = ROOT / "tests" / "fixtures" / "otto" / "train.jsonl"
HEADER = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"]


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():  # plain moto: these modules also run under Glue's own runtime (make glue-py39)
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def job_args(schema: str = "interactions", **kwargs: str) -> dict[str, str]:
    return {"bucket": BUCKET, "run_id": "run-1", "schema": str(SCHEMAS / f"{schema}.avsc"), **kwargs}


def put(s3: Any, key: str, body: str) -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    return f"s3://{BUCKET}/{key.rsplit('/', 1)[0]}/"


def rows_at(s3: Any, key: str) -> list[list[str]]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return list(csv.reader(io.StringIO(body)))


def manifest(s3: Any, dataset: str, run: str = "run-1") -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=f"exports/{run}/manifest/{dataset}.json")["Body"].read())


def keys_under(s3: Any, prefix: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


# ---------------------------------------------------------------- sources


def test_export_parquet_maps_columns_and_writes_the_schema_header(s3: Any) -> None:
    df = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "sku": ["i1", "i2"],
            "ts_ms": [1_700_000_000_000, 1_700_000_001_999],
            "event": ["click", "buy"],
            "value": [1.5, None],
        }
    )
    wr.s3.to_parquet(df, f"s3://{BUCKET}/raw/events/part.parquet")
    args = job_args(
        source_type="s3_parquet",
        source=f"s3://{BUCKET}/raw/events/",
        mapping="USER_ID=customer_id,ITEM_ID=sku,TIMESTAMP=ts_ms",
        event_type_column="event",
        event_value_column="value",
    )

    result = export_interactions.main(args)

    assert result["rowsWritten"] == 2
    assert rows_at(s3, "exports/run-1/interactions/part-00000.csv") == [
        HEADER,
        ["c1", "i1", "1700000000", "click", "1.5"],
        ["c2", "i2", "1700000001", "buy", ""],
    ]


def test_export_csv_keeps_ids_as_text_and_takes_a_constant_event_type(s3: Any) -> None:
    source = put(s3, "raw/csv/a.csv", "user,item,when\n007,0042,2024-05-01T12:00:00Z\n")

    export_interactions.main(
        job_args(
            source_type="s3_csv", source=source, event_type="view", mapping="USER_ID=user,ITEM_ID=item,TIMESTAMP=when"
        )
    )

    assert rows_at(s3, "exports/run-1/interactions/part-00000.csv")[1] == ["007", "0042", "1714564800", "view", ""]


def test_export_fills_a_field_the_source_lacks_with_the_fill_constant(s3: Any) -> None:
    source = put(s3, "raw/items/a.csv", "movieId,genres,price\n1,Comedy|Drama,2.5\n2,Horror,\n")

    result = export_items.main(
        job_args(
            "items",
            source_type="s3_csv",
            source=source,
            mapping="ITEM_ID=movieId,CATEGORY=genres,PRICE=price",
            fill='{"CREATION_TIMESTAMP": 788918400}',
        )
    )

    assert result["rowsWritten"] == 2
    assert rows_at(s3, "exports/run-1/items/part-00000.csv") == [
        ["ITEM_ID", "CATEGORY", "PRICE", "CREATION_TIMESTAMP"],
        ["1", "Comedy|Drama", "2.5", "788918400"],
        ["2", "Horror", "", "788918400"],
    ]


@pytest.mark.parametrize(
    ("fill", "mapping", "message"),
    [
        ('{"CREATED": 1}', "", "--fill names CREATED, not in the schema (fields: ITEM_ID, CATEGORY, PRICE, "),
        ('{"CREATION_TIMESTAMP": 1}', "CREATION_TIMESTAMP=made", "--fill gives CREATION_TIMESTAMP the constant 1 and "
         "--mapping maps it to the column 'made'; keep one"),
        ("[1]", "", '--fill [1]: allowed: a JSON object of field to constant, e.g. {"CREATION_TIMESTAMP": 788918400}'),
        ('{"CREATION_TIMESTAMP": null}', "", "--fill {\"CREATION_TIMESTAMP\": null}: allowed: a JSON object of field "
         'to constant, e.g. {"CREATION_TIMESTAMP": 788918400}'),
        ("{", "", "--fill {: not JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1)); "
         'allowed: a JSON object of field to constant, e.g. {"CREATION_TIMESTAMP": 788918400}'),
    ],
)  # fmt: skip
def test_export_refuses_a_fill_the_schema_lacks_or_the_mapping_maps(
    s3: Any, fill: str, mapping: str, message: str
) -> None:
    with pytest.raises(ExportArgumentError) as err:
        export_items.main(job_args("items", source="s3://x/", mapping=mapping, fill=fill))
    assert str(err.value).startswith(message)


def test_export_otto_sample_jsonl_end_to_end_into_a_valid_csv(s3: Any) -> None:
    s3.upload_file(str(OTTO), BUCKET, "raw/otto/train.jsonl")
    events = [
        (str(s["session"]), str(e["aid"]), str(e["ts"] // 1000), e["type"])
        for line in OTTO.read_text().splitlines()
        for s in [json.loads(line)]
        for e in s["events"]
    ]

    export_interactions.main(
        job_args(
            source_type="s3_jsonl",
            source=f"s3://{BUCKET}/raw/otto/",
            explode="events",
            mapping="USER_ID=session,ITEM_ID=aid,TIMESTAMP=ts,EVENT_TYPE=type",
        )
    )

    header, *rows = rows_at(s3, "exports/run-1/interactions/part-00000.csv")
    assert header == HEADER
    assert sorted(tuple(r[:4]) for r in rows) == sorted(set(events))
    assert all(r[4] == "" for r in rows) and {r[3] for r in rows} == {"clicks", "carts", "orders"}
    part = manifest(s3, "interactions")
    per_user = pd.Series([e[0] for e in set(events)]).value_counts()
    assert (part["rowsRead"], part["rowsWritten"], part["rowsRejected"]) == (len(events), len(set(events)), 0)
    assert part["duplicatesRemoved"] == len(events) - len(set(events))
    assert part["distinctUsers"] == 20 and part["distinctItems"] == len({e[1] for e in events}) == 510
    assert part["usersWithAtLeast2Interactions"] == int((per_user >= 2).sum())
    assert part["timeRange"]["min"] == min(int(e[2]) for e in events)
    assert part["timeRange"]["max"] == max(int(e[2]) for e in events)


def test_export_catalog_parquet_table_uses_its_lowercased_columns(s3: Any) -> None:
    wr.catalog.create_database("lake")
    df = pd.DataFrame(
        {
            "ItemId": ["i1", "i2"],
            "Category": ["shoes", "hats"],
            "Price": [9.5, 3.0],
            "Created": [1_700_000_000, 1_700_000_100],
        }
    )
    wr.s3.to_parquet(df, f"s3://{BUCKET}/lake/items/", dataset=True, database="lake", table="items")

    export_items.main(
        job_args(
            "items",
            source_type="catalog",
            source="lake.items",
            mapping="ITEM_ID=itemid,CATEGORY=category,PRICE=price,CREATION_TIMESTAMP=created",
        )
    )

    assert rows_at(s3, "exports/run-1/items/part-00000.csv") == [
        ["ITEM_ID", "CATEGORY", "PRICE", "CREATION_TIMESTAMP"],
        ["i1", "shoes", "9.5", "1700000000"],
        ["i2", "hats", "3", "1700000100"],
    ]


def test_export_catalog_csv_table_reads_the_files_behind_it(s3: Any) -> None:
    wr.catalog.create_database("lake")
    df = pd.DataFrame({"user_id": ["u1", "u2"], "segment": ["gold", "basic"], "age_group": ["30-39", None]})
    wr.s3.to_csv(df, f"s3://{BUCKET}/lake/users/", dataset=True, database="lake", table="users", index=False)

    export_users.main(
        job_args(
            "users",
            source_type="catalog",
            source="lake.users",
            mapping="USER_ID=user_id,SEGMENT=segment,AGE_GROUP=age_group",
        )
    )

    assert rows_at(s3, "exports/run-1/users/part-00000.csv") == [
        ["USER_ID", "SEGMENT", "AGE_GROUP"],
        ["u1", "gold", "30-39"],
        ["u2", "basic", ""],
    ]


def queue_athena_result(rows: list[list[str]]) -> None:
    """moto runs no SQL: queue the result Athena would produce for the next query (header row first)."""
    info = [{"Name": n, "Label": n, "Type": "varchar", "Nullable": "UNKNOWN", "CaseSensitive": True} for n in rows[0]]
    canned = {
        "results": [{"rows": [{"Data": [{"VarCharValue": v} for v in r]} for r in rows], "column_info": info}],
        "account_id": "123456789012",
        "region": "us-east-1",
    }
    requests.post("http://motoapi.amazonaws.com/moto-api/static/athena/query-results", json=canned, timeout=5)


def test_export_athena_streams_the_query_result_in_chunks(s3: Any) -> None:
    # moto runs no SQL: queue the result Athena would produce (it lands as CSV at the query's output location)
    result = [
        ["customer_id", "sku", "ts"],
        ["u1", "i1", "2024-01-01 00:00:00.000"],
        ["u2", "i2", "1700000000000"],
        ["u3", "i3", "1700000000"],
    ]
    queue_athena_result(result)
    sql = "SELECT customer_id, sku, ts FROM lake.clicks WHERE ts > now() - interval '7' day"

    export_interactions.main(
        job_args(
            source_type="athena",
            source=sql,
            athena_database="lake",
            chunk_rows="2",
            athena_output=f"s3://{BUCKET}/athena/",
            event_type="click",
            mapping="USER_ID=customer_id,ITEM_ID=sku,TIMESTAMP=ts",
        )
    )

    athena = boto3.client("athena")
    executed = [
        athena.get_query_execution(QueryExecutionId=q)["QueryExecution"]
        for q in athena.list_query_executions()["QueryExecutionIds"]
    ]
    assert [(q["Query"], q["QueryExecutionContext"]["Database"]) for q in executed] == [(sql, "lake")]
    assert keys_under(s3, "exports/run-1/interactions/") == [
        "exports/run-1/interactions/part-00000.csv",
        "exports/run-1/interactions/part-00001.csv",
    ]
    assert rows_at(s3, "exports/run-1/interactions/part-00000.csv")[1:] == [
        ["u1", "i1", "1704067200", "click", ""],
        ["u2", "i2", "1700000000", "click", ""],
    ]


# ---------------------------------------------------------------- conformance


def test_export_rejects_each_broken_interaction_rule_with_its_reason(s3: Any) -> None:
    long_id = "x" * 257
    source = put(
        s3,
        "raw/bad/a.csv",
        "\n".join(
            [
                "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE",
                "u1,i1,1700000000,click,1.0",
                ",i2,1700000000,click,1.0",
                f"u3,{long_id},1700000000,click,1.0",
                "u4,i4,yesterday,click,1.0",
                "u5,i5,,click,1.0",
                "u6,i6,1700000000,click,lots",
                "u7,i7,-5,click,1.0",
            ]
        )
        + "\n",
    )

    result = export_interactions.main(job_args(source_type="s3_csv", source=source))

    assert rows_at(s3, "exports/run-1/interactions/part-00000.csv")[1:] == [["u1", "i1", "1700000000", "click", "1"]]
    header, *rejected = rows_at(s3, "exports/run-1/rejected/interactions/part-00000.csv")
    assert header == [*HEADER, "REJECT_REASON"]
    assert {(r[0], r[5]) for r in rejected} == {
        ("", "USER_ID:missing_required_value"),
        ("u3", "ITEM_ID:longer_than_256_chars"),
        ("u4", "TIMESTAMP:not_a_timestamp"),
        ("u5", "TIMESTAMP:missing_required_value"),
        ("u6", "EVENT_VALUE:not_a_number"),
        ("u7", "TIMESTAMP:not_a_timestamp"),
    }
    assert result["rowsRejected"] == 6
    assert manifest(s3, "interactions")["rejectedByReason"] == {
        "EVENT_VALUE:not_a_number": 1,
        "ITEM_ID:longer_than_256_chars": 1,
        "TIMESTAMP:missing_required_value": 1,
        "TIMESTAMP:not_a_timestamp": 2,
        "USER_ID:missing_required_value": 1,
    }


def test_export_joins_multi_valued_categoricals_and_rejects_values_over_1000_chars(s3: Any) -> None:
    df = pd.DataFrame(
        {
            "ITEM_ID": ["i1", "i2", "i3"],
            "CATEGORY": [["shoes", "sale"], ["y" * 1001], ["a" * 600, "b" * 600]],
            "PRICE": [1.0, 2.0, 3.0],
            "CREATION_TIMESTAMP": pd.to_datetime(["2023-11-14T22:13:20Z"] * 3),
        }
    )
    wr.s3.to_parquet(df, f"s3://{BUCKET}/raw/items/items.parquet")

    export_items.main(job_args("items", source_type="s3_parquet", source=f"s3://{BUCKET}/raw/items/"))

    written = rows_at(s3, "exports/run-1/items/part-00000.csv")
    assert written[1:] == [
        ["i1", "shoes|sale", "1", "1700000000"],
        ["i3", f"{'a' * 600}|{'b' * 600}", "3", "1700000000"],
    ]
    rejected = rows_at(s3, "exports/run-1/rejected/items/part-00000.csv")
    assert [(r[0], r[-1]) for r in rejected[1:]] == [("i2", "CATEGORY:categorical_value_over_1000")]


def test_export_lowercases_booleans_and_checks_integers(s3: Any, tmp_path: Path) -> None:
    schema = {
        "type": "record",
        "name": "Users",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "VIP", "type": "boolean"},
            {"name": "AGE", "type": ["null", "int"]},
            {"name": "SEGMENT", "type": ["null", "string"], "categorical": True},
        ],
    }
    (tmp_path / "users.avsc").write_text(json.dumps(schema))
    source = put(s3, "raw/users/u.csv", "USER_ID,VIP,AGE,SEGMENT\nu1,TRUE,30,a\nu2,0,,\nu3,maybe,1,c\nu4,true,1.5,d\n")

    export_users.main(job_args(source_type="s3_csv", source=source) | {"schema": str(tmp_path / "users.avsc")})

    assert rows_at(s3, "exports/run-1/users/part-00000.csv") == [
        ["USER_ID", "VIP", "AGE", "SEGMENT"],
        ["u1", "true", "30", "a"],
        ["u2", "false", "", ""],
    ]
    rejected = rows_at(s3, "exports/run-1/rejected/users/part-00000.csv")[1:]
    assert [(r[0], r[-1]) for r in rejected] == [("u3", "VIP:not_a_boolean"), ("u4", "AGE:not_an_integer")]


def test_export_converts_seconds_ms_us_ns_and_iso_timestamps_to_seconds(s3: Any) -> None:
    stamps = [
        "1700000000",
        "1700000000123",
        "1700000000123456",
        "1700000000123456789",
        "2023-11-14T22:13:20Z",
        "2023-11-14T23:13:20.5+01:00",
        "2023-11-14 22:13:20",
    ]
    lines = [f"u1,i{n},{ts},click," for n, ts in enumerate(stamps)]
    source = put(s3, "raw/ts/a.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n" + "\n".join(lines) + "\n")

    export_interactions.main(job_args(source_type="s3_csv", source=source))

    assert [r[2] for r in rows_at(s3, "exports/run-1/interactions/part-00000.csv")[1:]] == ["1700000000"] * len(stamps)


def test_export_removes_exact_duplicates_across_chunks(s3: Any) -> None:
    lines = ["a,1,1700000000", "b,2,1700000000", "a,1,1700000000000", "c,3,1700000000", "b,2,1700000000", "d,4,1"]
    source = put(s3, "raw/dup/a.csv", "USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(lines) + "\n")

    result = export_interactions.main(job_args(source_type="s3_csv", source=source, chunk_rows="2", event_type="click"))

    parts = keys_under(s3, "exports/run-1/interactions/")
    written = [r[:2] for key in parts for r in rows_at(s3, key)[1:]]
    assert written == [["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"]]
    assert result["duplicatesRemoved"] == 2 and len(parts) == 3
    assert manifest(s3, "interactions")["usersWithAtLeast2Interactions"] == 0


def test_export_counts_users_and_items_exactly_with_repeats_multibyte_and_long_ids(s3: Any) -> None:
    long_id = "x" * 70  # past the 64 positions whose hash words are looked up
    lines = [f"a,{long_id},1", "a,i2,2", "é,i2,3", "a,i2,2", f"{long_id},i3,4", f"a,{long_id},1", "é,i4,5"]
    source = put(s3, "raw/users/a.csv", "USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(lines) + "\n")

    result = export_interactions.main(job_args(source_type="s3_csv", source=source, chunk_rows="3", event_type="click"))

    part = manifest(s3, "interactions")
    assert result["duplicatesRemoved"] == 2 and result["rowsWritten"] == 5
    assert (part["distinctUsers"], part["distinctItems"], part["usersWithAtLeast2Interactions"]) == (3, 4, 2)


def test_column_digests_do_not_depend_on_the_arrow_layout_and_tell_values_apart() -> None:
    values = ["a", "", None, "ab", "ba", "a\x00", "é", "e", "x" * 70, "x" * 71, "1"]
    expected = column_digests(pd.Series(values, dtype="str"))

    layouts = [
        pd.Series(values, dtype="string"),
        pd.Series(values, dtype=object),
        pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([pa.array(values[:4]), pa.array(values[4:])]))),
        pd.Series(pd.arrays.ArrowStringArray(pa.array(["skipped", *values], pa.large_string()).slice(1))),
    ]

    assert all(column_digests(s).tolist() == expected.tolist() for s in layouts)
    assert len(set(expected.tolist())) == len(values)
    assert column_digests(pd.Series([1, 1], dtype="Int64")).tolist() != column_digests(pd.Series(["1", "1"])).tolist()


def test_hash_counter_counts_repeats_within_a_batch_and_marks_only_first_occurrences() -> None:
    rng = np.random.default_rng(11)
    counter, reference = HashCounter(with_counts=True), dict[int, int]()
    pool = rng.integers(0, 2**64, 5000, dtype=np.uint64)
    for _ in range(8):  # buckets outgrow their capacity several times
        keys = rng.choice(pool, 4000)

        fresh = counter.add(keys)

        first_seen = [k not in reference and k not in keys[:i].tolist() for i, k in enumerate(keys.tolist())]
        assert fresh.tolist() == first_seen
        for key in keys.tolist():
            reference[key] = reference.get(key, 0) + 1
    counter.count(pool[:10])
    for key in pool[:10].tolist():
        reference[key] = reference.get(key, 0) + 1
    assert counter.distinct() == len(reference)
    assert counter.at_least(3) == sum(c >= 3 for c in reference.values())
    merged = np.concatenate(counter.keys)
    assert merged.tolist() == sorted(reference) and np.concatenate(counter.counts or []).tolist() == [
        reference[k] for k in merged.tolist()
    ]


def test_export_dedupe_chunk_keeps_memory_flat_and_only_removes_duplicates_within_a_chunk(s3: Any) -> None:
    lines = ["a,1,1700000000", "a,1,1700000000", "b,2,1700000000", "a,1,1700000000"]
    source = put(s3, "raw/dupc/a.csv", "USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(lines) + "\n")

    result = export_interactions.main(
        job_args(source_type="s3_csv", source=source, chunk_rows="2", event_type="click", dedupe="chunk")
    )

    assert result["duplicatesRemoved"] == 1 and result["rowsWritten"] == 3
    assert manifest(s3, "interactions")["dedupe"] == "chunk"


def test_export_rejects_an_unknown_dedupe_mode(s3: Any) -> None:
    with pytest.raises(ExportArgumentError, match=r"^--dedupe 'rows' is not global \(whole export, 8 bytes per row\)"):
        export_interactions.main(job_args(source=f"s3://{BUCKET}/raw/", dedupe="rows"))


def test_export_since_keeps_only_newer_rows(s3: Any) -> None:
    lines = ["a,1,1699999999", "b,2,1700000000", "c,3,1700000001"]
    source = put(
        s3, "raw/since/a.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n" + "\n".join(f"{x},click" for x in lines)
    )

    export_interactions.main(job_args(source_type="s3_csv", source=source, since="2023-11-14T22:13:20Z"))

    assert [r[0] for r in rows_at(s3, "exports/run-1/interactions/part-00000.csv")[1:]] == ["c"]
    part = manifest(s3, "interactions")
    assert part["rowsBeforeSince"] == 2 and part["since"] == {
        "value": 1700000000,
        "iso": "2023-11-14T22:13:20Z",
        "from": "--since",
    }


# ---------------------------------------------------------------- arguments and failures


def test_export_fails_when_a_required_column_is_missing(s3: Any) -> None:
    source = put(s3, "raw/nots/a.csv", "USER_ID,ITEM_ID,when\nu1,i1,1700000000\n")

    with pytest.raises(ExportSourceError) as err:
        export_interactions.main(job_args(source_type="s3_csv", source=source))

    assert str(err.value) == (
        "schema field TIMESTAMP is required but the source has no column 'TIMESTAMP' "
        "(source columns: USER_ID, ITEM_ID, when); add TIMESTAMP=<column> to --mapping"
    )


def test_export_fails_without_a_run_id(s3: Any) -> None:
    args = job_args(source="s3://x/", JOB_RUN_ID="jr_1")
    del args["run_id"]

    with pytest.raises(ExportArgumentError, match=r"--run_id or --WORKFLOW_RUN_ID .* found neither: pass --run_id"):
        export_interactions.main(args)


def test_export_fails_on_a_mapping_to_an_unknown_field(s3: Any) -> None:
    with pytest.raises(ExportArgumentError, match=r"--mapping names USERID, not in the schema \(fields: USER_ID, "):
        export_interactions.main(job_args(source="s3://x/", mapping="USERID=customer"))


def test_parse_glue_args_reads_key_value_pairs_as_glue_passes_them() -> None:
    argv = ["--JOB_NAME", "j", "--mapping", "USER_ID=a,ITEM_ID=b", "--flag", "--since=2024-01-01", "--empty", ""]

    assert parse_glue_args(argv) == {
        "JOB_NAME": "j",
        "mapping": "USER_ID=a,ITEM_ID=b",
        "flag": "",
        "since": "2024-01-01",
        "empty": "",
    }


def test_hash_counter_matches_a_python_counter_across_batches() -> None:
    rng = random.Random(5)
    counter, reference = HashCounter(with_counts=True), dict[int, int]()
    for _ in range(6):
        keys = np.array(sorted({rng.getrandbits(64) for _ in range(3000)} | set(list(reference)[:500])), np.uint64)
        np.random.default_rng(rng.getrandbits(32)).shuffle(keys)
        counts = np.array([rng.randint(1, 3) for _ in keys], np.uint32)

        fresh = counter.add(keys, counts)

        assert fresh.tolist() == [int(k) not in reference for k in keys]
        for key, count in zip(keys.tolist(), counts.tolist()):
            reference[key] = reference.get(key, 0) + count
    assert counter.distinct() == len(reference)
    assert counter.at_least(2) == sum(c >= 2 for c in reference.values())
    assert all(np.all(np.diff(bucket.astype(np.float64)) >= 0) for bucket in counter.keys)


def test_export_writes_unquoted_csv_and_quotes_only_parts_that_need_it(s3: Any) -> None:
    plain = put(s3, "raw/plain/a.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,1700000000,click\n")
    comma = put(s3, "raw/comma/a.csv", 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,1700000000,"add, then buy"\n')

    export_interactions.main(job_args(source_type="s3_csv", source=plain))
    export_interactions.main(job_args(source_type="s3_csv", source=comma, run_id="run-2"))

    body = s3.get_object(Bucket=BUCKET, Key="exports/run-1/interactions/part-00000.csv")["Body"].read().decode()
    assert body == "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\nu1,i1,1700000000,click,\n"
    assert rows_at(s3, "exports/run-2/interactions/part-00000.csv")[1] == [
        "u1",
        "i1",
        "1700000000",
        "add, then buy",
        "",
    ]


def test_export_users_without_a_source_is_skipped_and_writes_no_manifest_part(s3: Any) -> None:
    result = export_users.main(job_args("users", source=""))

    assert result == {"dataset": "users", "runId": "run-1", "skipped": True}
    assert keys_under(s3, "exports/run-1/") == []


def test_export_interactions_without_a_source_fails_naming_the_argument(s3: Any) -> None:
    with pytest.raises(ExportArgumentError, match=r"argument --source is required"):
        export_interactions.main(job_args(source=""))
