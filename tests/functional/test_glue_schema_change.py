"""Source schema changes (issue 16): each export records what its source held; against the last published run's,
a change is reported in the manifest, as an EventBridge event and on the notification topic, and the policy stops
the export (nothing is published) or lets it go on with a note."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import awswrangler as wr
import boto3
import export_interactions
import export_items
import pandas as pd
import pytest
import source_schema
from job_io import ExportArgumentError
from moto import mock_aws
from moto.sns.models import sns_backends
from publish_params import DataRequirementError
from publish_params import main as publish
from source_schema import SchemaChangeError

BUCKET = "autopersonalize-test"
ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
MAPPING = "USER_ID=user,ITEM_ID=item,TIMESTAMP=ts"


@pytest.fixture
def aws(tmp_path: Path) -> Iterator[dict[str, str]]:
    """S3, a topic, and an EventBridge rule that copies "Source Schema Changed" events into a queue to read."""
    with mock_aws():  # plain moto: these modules also run under Glue's own runtime (make glue-py39)
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        topic = boto3.client("sns").create_topic(Name="notifications")["TopicArn"]
        sqs = boto3.client("sqs")
        queue = sqs.create_queue(QueueName="events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = boto3.client("events")
        pattern = {"source": ["autopersonalize"], "detail-type": ["Source Schema Changed"]}
        events.put_rule(Name="schema-changes", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="schema-changes", Targets=[{"Id": "q", "Arn": queue_arn}])
        template = tmp_path / "shop.json"
        template.write_text(json.dumps({"datasetGroup": {"name": "shop"}, "datasets": []}))
        yield {"topic": topic, "queue": queue, "template": str(template)}


def rows(header: str, count: int = 40) -> str:
    """A CSV with `header`'s columns: user, item, time, then one extra number."""
    lines = [f"u{i % 8},i{i % 13},{1_700_000_000 + i},{i % 5}" for i in range(count)]
    return header + "\n" + "\n".join(lines) + "\n"


def run(aws: dict[str, str], run_id: str, body: str, **extra: str) -> dict[str, Any]:
    """export_interactions from a CSV with `body` into run `run_id` (publish_params is run by the caller)."""
    boto3.client("s3").put_object(Bucket=BUCKET, Key=f"raw/{run_id}/data.csv", Body=body.encode())
    return export_interactions.main(
        {
            "bucket": BUCKET,
            "run_id": run_id,
            "schema": str(SCHEMAS / "interactions.avsc"),
            "source_type": "s3_csv",
            "source": f"s3://{BUCKET}/raw/{run_id}/",
            "mapping": MAPPING,
            "event_type": "click",
            "dataset_group": "shop",
            "notification_topic": aws["topic"],
            **extra,
        }
    )


def publish_run(aws: dict[str, str], run_id: str) -> dict[str, Any]:
    args = {"bucket": BUCKET, "run_id": run_id, "params_template": aws["template"], "dataset_group": "shop"}
    return publish({**args, "min_interactions": "1", "min_users": "1"})


def part(run_id: str, dataset: str = "interactions") -> dict[str, Any]:
    key = f"exports/{run_id}/manifest/{dataset}.json"
    return json.loads(boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read())


def keys(prefix: str) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


def notifications(aws: dict[str, str]) -> list[tuple[str, str]]:
    topic = sns_backends["123456789012"]["us-east-1"].topics[aws["topic"]]
    return [(subject, message) for _, message, subject, *_ in topic.sent_notifications]


def events(aws: dict[str, str]) -> list[dict[str, Any]]:
    got = boto3.client("sqs").receive_message(QueueUrl=aws["queue"], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_first_run_records_the_source_and_publishing_keeps_it_for_the_next(aws: dict[str, str]) -> None:
    run(aws, "run-1", rows("user,item,ts,note"))
    publish_run(aws, "run-1")

    recorded = part("run-1")["sourceSchema"]
    assert recorded["columns"] == [{"name": n, "type": "string"} for n in ("user", "item", "ts", "note")]
    assert (recorded["sourceType"], recorded["typed"], part("run-1")["schemaChange"]) == ("s3_csv", False, None)
    state = json.loads(boto3.client("s3").get_object(Bucket=BUCKET, Key="exports/_state/shop.json")["Body"].read())
    assert state["sourceSchemas"]["interactions"] == recorded
    assert notifications(aws) == [] and events(aws) == []


def test_a_renamed_mapped_column_stops_before_any_row_with_the_diff_everywhere(aws: dict[str, str]) -> None:
    # GIVEN a published run that read `user` WHEN the source renames it to `customer` (mapping unchanged)
    run(aws, "run-1", rows("user,item,ts,note"))
    publish_run(aws, "run-1")
    with pytest.raises(SchemaChangeError) as stopped:
        run(aws, "run-2", rows("customer,item,ts,note"))

    # THEN the export stops: no part written, the change in the manifest part, the notification and the event
    message = str(stopped.value)
    assert "renamed (guessed from position and type): user -> customer" in message
    assert "the mapping reads user" in message and "nothing is published" in message
    assert keys("exports/run-2/interactions/") == [] and keys("exports/run-2/rejected/") == []
    change = part("run-2")["schemaChange"]
    assert change["renamed"] == [{"from": "user", "to": "customer"}]
    assert (change["mappedColumnsAffected"], change["action"], change["since"]["runId"]) == (
        ["user"],
        "stopped",
        "run-1",
    )
    [(subject, body)] = notifications(aws)
    assert subject == "autopersonalize shop: interactions source schema changed, export stopped" and body == message
    [event] = events(aws)
    assert (event["source"], event["detail-type"]) == ("autopersonalize", "Source Schema Changed")
    assert event["detail"]["schemaChange"]["renamed"] == [{"from": "user", "to": "customer"}]
    # AND publish_params, even run by hand for that run, publishes nothing; the state still holds run-1's source
    with pytest.raises(DataRequirementError, match="did not finish run run-2"):
        publish_run(aws, "run-2")
    assert keys("params/") == ["params/shop.json"]  # run-1's


def test_a_retried_job_run_does_not_notify_the_same_change_twice(aws: dict[str, str]) -> None:
    run(aws, "run-1", rows("user,item,ts,note"))
    publish_run(aws, "run-1")
    for _ in range(2):  # Glue retries a failed export once (MaxRetries: 1)
        with pytest.raises(SchemaChangeError):
            run(aws, "run-2", rows("customer,item,ts,note"))

    assert len(notifications(aws)) == 1 and len(events(aws)) == 1


def test_an_unmapped_column_change_goes_on_with_a_note(aws: dict[str, str]) -> None:
    run(aws, "run-1", rows("user,item,ts,note"))
    publish_run(aws, "run-1")

    summary = run(aws, "run-2", rows("user,item,ts,comment"))

    assert summary["rowsWritten"] == 40
    change = part("run-2")["schemaChange"]
    assert (change["renamed"], change["mappedColumnsAffected"], change["action"]) == (
        [{"from": "note", "to": "comment"}],
        [],
        "continued",
    )
    [(subject, body)] = notifications(aws)
    assert subject.endswith("export continued") and "Went on (no mapped column is affected" in body
    publish_run(aws, "run-2")  # a continued run publishes, and its source becomes the one to compare with
    state = json.loads(boto3.client("s3").get_object(Bucket=BUCKET, Key="exports/_state/shop.json")["Body"].read())
    assert [c["name"] for c in state["sourceSchemas"]["interactions"]["columns"]][-1] == "comment"


def test_a_mapping_that_follows_the_rename_goes_on(aws: dict[str, str]) -> None:
    run(aws, "run-1", rows("user,item,ts,note"))
    publish_run(aws, "run-1")

    summary = run(aws, "run-2", rows("customer,item,ts,note"), mapping="USER_ID=customer,ITEM_ID=item,TIMESTAMP=ts")

    assert summary["rowsWritten"] == 40 and part("run-2")["schemaChange"]["action"] == "continued"


def test_policy_stop_stops_on_any_change_and_continue_never(aws: dict[str, str]) -> None:
    valued = f"{MAPPING},EVENT_VALUE=note"
    run(aws, "run-1", rows("user,item,ts,note"), mapping=valued)
    publish_run(aws, "run-1")

    with pytest.raises(SchemaChangeError, match="policy stop: any change stops"):
        run(aws, "run-2", rows("user,item,ts,note,comment"), schema_changes="stop", mapping=valued)
    # continue goes on even when a mapped (nullable) column is gone: EVENT_VALUE is then empty, as the note says
    summary = run(aws, "run-3", rows("user,item,ts,comment"), schema_changes="continue", mapping=valued)
    change = part("run-3")["schemaChange"]
    assert (summary["rowsWritten"], change["mappedColumnsAffected"], change["action"]) == (40, ["note"], "continued")
    assert "Went on (policy continue, though the mapping reads note)" in change["message"]
    with pytest.raises(ExportArgumentError, match="--schema_changes 'sometimes' is not one of stop-if-mapped"):
        run(aws, "run-4", rows("user,item,ts,note"), schema_changes="sometimes")


def test_a_retyped_parquet_column_that_is_mapped_stops(aws: dict[str, str]) -> None:
    # GIVEN parquet (typed) events whose time was an integer WHEN it arrives as text THEN the export stops
    def parquet(run_id: str, ts: list[Any]) -> None:
        frame = pd.DataFrame({"user": [f"u{i % 5}" for i in range(20)], "item": [f"i{i}" for i in range(20)], "ts": ts})
        wr.s3.to_parquet(frame, f"s3://{BUCKET}/lake/{run_id}/part.parquet")

    base = {"source_type": "s3_parquet"}
    parquet("run-1", [1_700_000_000 + i for i in range(20)])
    run(aws, "run-1", "", **base, source=f"s3://{BUCKET}/lake/run-1/")
    publish_run(aws, "run-1")
    parquet("run-2", [str(1_700_000_000 + i) for i in range(20)])

    with pytest.raises(SchemaChangeError, match="retyped: ts integer -> string"):
        run(aws, "run-2", "", **base, source=f"s3://{BUCKET}/lake/run-2/")
    assert part("run-2")["schemaChange"]["retyped"] == [{"column": "ts", "from": "integer", "to": "string"}]


def test_a_catalog_source_compares_the_tables_columns_and_records_its_version(aws: dict[str, str]) -> None:
    wr.catalog.create_database("lake")

    def items(columns: dict[str, list[Any]]) -> None:
        wr.s3.to_parquet(
            pd.DataFrame(columns),
            f"s3://{BUCKET}/lake/items/",
            dataset=True,
            mode="overwrite",
            database="lake",
            table="items",
        )

    def export(run_id: str) -> None:
        export_items.main(
            {
                "bucket": BUCKET,
                "run_id": run_id,
                "schema": str(SCHEMAS / "items.avsc"),
                "source_type": "catalog",
                "source": "lake.items",
                "mapping": "ITEM_ID=sku,CATEGORY=category,CREATION_TIMESTAMP=created",
                "dataset_group": "shop",
                "notification_topic": aws["topic"],
            }
        )

    items({"sku": ["i1", "i2"], "category": ["a", "b"], "price": [1.0, 2.0], "created": [1, 2]})
    run(aws, "run-1", rows("user,item,ts,note"))
    export("run-1")
    publish_run(aws, "run-1")
    first = part("run-1", "items")["sourceSchema"]
    assert first["columns"][2] == {"name": "price", "type": "float"} and first["typed"] is True

    items(
        {"sku": ["i1", "i2"], "category": ["a", "b"], "price": [1.0, 2.0], "created": [1, 2]}
    )  # rewritten: a new table version
    run(aws, "run-2", rows("user,item,ts,note"))
    export("run-2")
    second = part("run-2", "items")
    assert second["schemaChange"] is None and second["sourceSchema"]["catalogVersion"] != first["catalogVersion"]

    items(
        {"sku": ["i1", "i2"], "category": [1, 2], "price": [1.0, 2.0], "created": [1, 2]}
    )  # the mapped category becomes a number
    with pytest.raises(SchemaChangeError, match="retyped: category string -> integer"):
        export("run-3")


def test_compare_names_each_kind_of_change_and_never_retypes_text_sources() -> None:
    def described(columns: list[tuple[str, str]], typed: bool = True) -> dict[str, Any]:
        return {"columns": [{"name": n, "type": t} for n, t in columns], "typed": typed}

    old = described([("a", "string"), ("b", "integer"), ("c", "float"), ("d", "string")])
    new = described([("a", "integer"), ("x", "integer"), ("c", "float"), ("e", "boolean")])
    assert source_schema.compare(old, new) == {
        "dropped": ["d"],  # e is another type at d's position: not a rename
        "added": ["e"],
        "renamed": [{"from": "b", "to": "x"}],
        "retyped": [{"column": "a", "from": "string", "to": "integer"}],
    }
    text = source_schema.compare(described([("a", "string")], typed=False), described([("a", "integer")]))
    assert not source_schema.changed(text)
    unknown = source_schema.compare(described([("a", "unknown")]), described([("a", "integer")]))
    assert not source_schema.changed(unknown)  # a column empty in the first chunk has no type to compare


def test_both_engines_name_types_alike() -> None:
    # the Python shell job sees pandas columns, the Spark job Spark's types, a catalog source Glue's: one vocabulary
    frame = pd.DataFrame({"tags": [["a", "b"], None], "n": [1, 2], "when": pd.to_datetime(["2024-01-01", None])})
    assert [c["type"] for c in source_schema.frame_columns(frame)] == ["array<string>", "integer", "timestamp"]
    spark = ["array<string>", "bigint", "timestamp"]
    assert [source_schema.catalog_type(t) for t in spark] == ["array<string>", "integer", "timestamp"]
    assert (
        source_schema.catalog_type("decimal(10,2)") == "decimal"
        and source_schema.catalog_type("VARCHAR(20)") == "string"
    )
