"""publish_params and cleanup against emulated S3 and Glue: params, refusals, incremental watermark, retention."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import cleanup
import export_interactions
import export_items
import export_users
import pytest
from moto import mock_aws
from publish_params import DataRequirementError
from publish_params import main as publish

BUCKET = "autopersonalize-test"
ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
DEMO_TEMPLATE = str(ROOT / "params" / "demo.json")
MLOPS_TEMPLATE = str(ROOT / "params" / "mlops-sample.json")  # datasets keyed by type, not a list
OTTO = ROOT / "tests" / "fixtures" / "otto" / "train.jsonl"
T0 = 1_700_000_000
METRICS_NAMESPACE = "autopersonalize"  # the only namespace template.yaml lets the Glue role put metrics in


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():  # plain moto: these modules also run under Glue's own runtime (make glue-py39)
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def get_json(s3: Any, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def interactions_csv(users: int, per_user: int, start: int) -> str:
    """`users` x `per_user` distinct interactions, one second apart from `start`."""
    rows = [f"u{u},i{(u * 7 + k) % 50},{start + u * per_user + k},click" for u in range(users) for k in range(per_user)]
    return "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n" + "\n".join(rows) + "\n"


def export(
    s3: Any, run: str, body: str, datasets: tuple[str, ...] = ("interactions",), extra: dict[str, str] | None = None
) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"raw/{run}/interactions/data", Body=body.encode())
    s3.put_object(Bucket=BUCKET, Key=f"raw/{run}/users/u.csv", Body=b"USER_ID,SEGMENT\nu1,gold\nu2,basic\n")
    s3.put_object(Bucket=BUCKET, Key=f"raw/{run}/items/i.csv", Body=b"ITEM_ID,CATEGORY,CREATION_TIMESTAMP\ni1,a,1\n")
    jobs = {"interactions": export_interactions, "users": export_users, "items": export_items}
    for name in datasets:
        jobs[name].main(
            {
                "bucket": BUCKET,
                "run_id": run,
                "schema": str(SCHEMAS / f"{name}.avsc"),
                "source_type": "s3_csv",
                "source": f"s3://{BUCKET}/raw/{run}/{name}/",
                **(extra or {}),
            }
        )


def row_metrics(group: str) -> dict[tuple[str, str], float]:
    """{(dataset, metric): sum over the last hour} of the dataset group's metrics, as CloudWatch (moto) stored them."""
    cloudwatch, now = boto3.client("cloudwatch"), datetime.now(timezone.utc)
    sums = {}
    for metric in cloudwatch.list_metrics(Namespace=METRICS_NAMESPACE)["Metrics"]:
        dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        if dimensions.get("DatasetGroup") == group:
            points = cloudwatch.get_metric_statistics(
                Namespace=METRICS_NAMESPACE,
                MetricName=metric["MetricName"],
                Dimensions=metric["Dimensions"],
                StartTime=now - timedelta(hours=1),
                EndTime=now + timedelta(hours=1),
                Period=60,
                Statistics=["Sum"],
            )["Datapoints"]
            assert sorted(dimensions) == ["Dataset", "DatasetGroup"] and {p["Unit"] for p in points} == {"Count"}
            sums[(dimensions["Dataset"], metric["MetricName"])] = sum(p["Sum"] for p in points)
    return sums


def shop_template(tmp_path: Path) -> str:
    template = {
        "datasetGroup": {"name": "shop"},
        "datasets": [
            {
                "datasetType": "Interactions",
                "schemaFile": "../schemas/interactions.avsc",
                "dataLocation": "s3://BUCKET/exports/RUN/interactions/",
                "importMode": "FULL",
            }
        ],
        "solutions": [{"name": "popularity", "recipe": "aws-popularity-count"}],
    }
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(template))
    return str(path)


# ---------------------------------------------------------------- publish_params


def test_publish_writes_self_contained_params_and_the_merged_manifest(s3: Any) -> None:
    export(s3, "run-1", interactions_csv(users=60, per_user=20, start=T0), ("interactions", "users", "items"))

    result = publish({"bucket": BUCKET, "run_id": "run-1", "params_template": DEMO_TEMPLATE})

    assert result == {
        "published": True,
        "runId": "run-1",
        "params": f"s3://{BUCKET}/params/demo.json",
        "importModes": {"interactions": "FULL", "items": "FULL", "users": "FULL"},
    }
    params, template = get_json(s3, "params/demo.json"), json.loads(Path(DEMO_TEMPLATE).read_text())
    for entry in params["datasets"]:
        name = entry["datasetType"].lower()
        assert entry["dataLocation"] == f"s3://{BUCKET}/exports/run-1/{name}/"
        assert entry["schema"] == json.loads((SCHEMAS / f"{name}.avsc").read_text())
        assert "schemaFile" not in entry and entry["importMode"] == "FULL"
    assert {k: v for k, v in params.items() if k != "datasets"} == {
        k: v for k, v in template.items() if k != "datasets"
    }
    manifest = get_json(s3, "exports/run-1/manifest.json")
    assert (manifest["decision"], manifest["reasons"]) == ("published", [])
    counts = manifest["datasets"]["interactions"]
    assert (counts["rowsWritten"], counts["usersWithAtLeast2Interactions"], counts["distinctItems"]) == (1200, 60, 50)
    assert manifest["datasets"]["users"]["distinctUsers"] == 2
    state = get_json(s3, "exports/_state/demo.json")
    assert (state["lastSuccessfulRunId"], state["watermark"]) == ("run-1", T0 + 1199)
    assert state["fullImports"] == {"interactions": True, "items": True, "users": True}


def test_publish_fills_an_mlops_template_in_its_own_shape(s3: Any, tmp_path: Path) -> None:
    # GIVEN the ml_ops sample (datasets keyed by type) exported with its own inline schemas
    template = json.loads(Path(MLOPS_TEMPLATE).read_text())
    for kind, name, body in (
        ("Interactions", "interactions", ""),
        ("Items", "items", "ITEM_ID,GENRE,YEAR\ni1,a,1990\n"),
    ):
        schema = tmp_path / f"{name}.avsc"
        schema.write_text(json.dumps(template["datasets"][kind]["schema"]))
        csv = body or interactions_csv(users=60, per_user=20, start=T0)
        s3.put_object(Bucket=BUCKET, Key=f"raw/{name}/data.csv", Body=csv.encode())
        source = {"source_type": "s3_csv", "source": f"s3://{BUCKET}/raw/{name}/", "schema": str(schema)}
        {"interactions": export_interactions, "items": export_items}[name].main(
            {"bucket": BUCKET, "run_id": "run-1", **source}
        )

    # WHEN publish_params fills it
    result = publish({"bucket": BUCKET, "run_id": "run-1", "params_template": MLOPS_TEMPLATE})

    # THEN the params keep the ml_ops shape, each dataset with this run's location, import mode and schema
    assert result["params"] == f"s3://{BUCKET}/params/mlops-demo.json"
    params = get_json(s3, "params/mlops-demo.json")
    assert {k: v for k, v in params.items() if k != "datasets"} == {
        k: v for k, v in template.items() if k != "datasets"
    }
    for kind in ("Interactions", "Items"):
        assert params["datasets"][kind] == {
            **template["datasets"][kind],
            "dataLocation": f"s3://{BUCKET}/exports/run-1/{kind.lower()}/",
            "importMode": "FULL",
        }


def test_publish_names_the_mlops_dataset_the_run_did_not_export(s3: Any) -> None:
    export(s3, "run-1", interactions_csv(users=60, per_user=20, start=T0))

    with pytest.raises(DataRequirementError) as err:
        publish({"bucket": BUCKET, "run_id": "run-1", "params_template": MLOPS_TEMPLATE})

    assert str(err.value) == (
        "the params template lists dataset Items but this run exported no items (found: interactions): "
        "run export_items in the workflow or remove it from the template"
    )


def test_publish_refuses_too_little_data_naming_each_rule_and_shortfall(s3: Any, tmp_path: Path) -> None:
    otto = {
        "source_type": "s3_jsonl",
        "explode": "events",
        "mapping": "USER_ID=session,ITEM_ID=aid,TIMESTAMP=ts,EVENT_TYPE=type",
    }
    export(s3, "run-1", OTTO.read_text(), extra=otto)

    with pytest.raises(DataRequirementError) as err:
        publish({"bucket": BUCKET, "run_id": "run-1", "params_template": shop_template(tmp_path)})

    assert str(err.value) == (
        "run run-1 cannot train dataset group shop: Personalize needs >= 1000 interactions; this run exported 862 "
        "(138 short); Personalize needs >= 25 users with >= 2 interactions; this run has 20 (5 short)"
    )
    assert get_json(s3, "exports/run-1/manifest.json")["decision"] == "refused"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="params/")


def test_publish_puts_rows_exported_and_rejected_per_dataset_in_cloudwatch(s3: Any) -> None:
    broken = "u1,i1,yesterday,click\nu2,i2,,click\n"  # TIMESTAMP not a timestamp; TIMESTAMP missing
    export(s3, "run-1", interactions_csv(users=60, per_user=20, start=T0) + broken, ("interactions", "users", "items"))

    publish({"bucket": BUCKET, "run_id": "run-1", "params_template": DEMO_TEMPLATE})

    assert row_metrics("demo") == {
        ("interactions", "RowsExported"): 1200.0,
        ("interactions", "RowsRejected"): 2.0,
        ("items", "RowsExported"): 1.0,
        ("items", "RowsRejected"): 0.0,
        ("users", "RowsExported"): 2.0,
        ("users", "RowsRejected"): 0.0,
    }


def test_publish_puts_the_row_metrics_of_a_refused_run_too(s3: Any, tmp_path: Path) -> None:
    # GIVEN a source that drifted: most rows lose their timestamp WHEN the run is refused THEN the alarm still sees it
    rows = interactions_csv(users=10, per_user=10, start=T0).splitlines()
    drifted = "\n".join(rows[:51] + [",".join([*r.split(",")[:2], "", "click"]) for r in rows[51:]]) + "\n"
    export(s3, "run-1", drifted)

    with pytest.raises(DataRequirementError, match=r"this run exported 50 \(950 short\)"):
        publish({"bucket": BUCKET, "run_id": "run-1", "params_template": shop_template(tmp_path)})

    assert row_metrics("shop") == {("interactions", "RowsExported"): 50.0, ("interactions", "RowsRejected"): 50.0}


def test_publish_refuses_when_too_few_users_have_two_interactions(s3: Any, tmp_path: Path) -> None:
    export(s3, "run-1", interactions_csv(users=10, per_user=150, start=T0))

    with pytest.raises(DataRequirementError, match=r"this run has 10 \(15 short\)$"):
        publish({"bucket": BUCKET, "run_id": "run-1", "params_template": shop_template(tmp_path)})


def test_publish_fails_when_the_template_lists_a_dataset_the_run_did_not_export(s3: Any) -> None:
    export(s3, "run-1", interactions_csv(users=60, per_user=20, start=T0), ("interactions", "users"))

    with pytest.raises(DataRequirementError) as err:
        publish({"bucket": BUCKET, "run_id": "run-1", "params_template": DEMO_TEMPLATE})

    assert str(err.value) == (
        "the params template lists dataset Items but this run exported no items (found: "
        "interactions, users): run export_items in the workflow or remove it from the template"
    )


def test_publish_fails_when_the_interactions_export_did_not_run(s3: Any) -> None:
    with pytest.raises(DataRequirementError) as err:
        publish({"bucket": BUCKET, "run_id": "run-9", "params_template": DEMO_TEMPLATE})

    assert str(err.value) == (
        f"s3://{BUCKET}/exports/run-9/manifest/interactions.json is missing: export_interactions did not finish for "
        "run run-9 (found parts: none); run it with the same run id first"
    )


def test_publish_rejects_an_unknown_mode(s3: Any) -> None:
    export(s3, "run-1", interactions_csv(users=60, per_user=20, start=T0))

    with pytest.raises(ValueError, match=r"^--mode 'Incremental' is not full or incremental$"):
        publish({"bucket": BUCKET, "run_id": "run-1", "params_template": DEMO_TEMPLATE, "mode": "Incremental"})


def test_incremental_runs_export_only_rows_newer_than_the_watermark(s3: Any, tmp_path: Path) -> None:
    template, inc = shop_template(tmp_path), {"mode": "incremental", "dataset_group": "shop"}
    first = interactions_csv(users=60, per_user=20, start=T0)  # T0 .. T0+1199
    second = first + interactions_csv(users=55, per_user=20, start=T0 + 5000).split("\n", 1)[1]  # 1100 newer
    third = second + interactions_csv(users=25, per_user=20, start=T0 + 9000).split("\n", 1)[1]  # 500 newer

    export(s3, "run-1", first, extra=inc)
    assert publish({"bucket": BUCKET, "run_id": "run-1", "params_template": template, **inc})["importModes"] == {
        "interactions": "FULL"
    }
    export(s3, "run-2", second, extra=inc)
    assert publish({"bucket": BUCKET, "run_id": "run-2", "params_template": template, **inc})["importModes"] == {
        "interactions": "INCREMENTAL"
    }
    export(s3, "run-3", third, extra=inc)
    skipped = publish({"bucket": BUCKET, "run_id": "run-3", "params_template": template, **inc})

    part2 = get_json(s3, "exports/run-2/manifest/interactions.json")
    assert (part2["rowsRead"], part2["rowsBeforeSince"], part2["rowsWritten"]) == (2300, 1200, 1100)
    assert part2["since"] == {
        "value": T0 + 1199,
        "iso": "2023-11-14T22:33:19Z",
        "from": f"s3://{BUCKET}/exports/_state/shop.json",
    }
    assert skipped == {
        "published": False,
        "runId": "run-3",
        "reason": "500 new interactions since the watermark; an INCREMENTAL import needs >= 1000 (500 short)",
    }
    params = get_json(s3, "params/shop.json")["datasets"][0]
    assert (params["dataLocation"], params["importMode"]) == (
        f"s3://{BUCKET}/exports/run-2/interactions/",
        "INCREMENTAL",
    )
    state = get_json(s3, "exports/_state/shop.json")
    assert (state["lastSuccessfulRunId"], state["watermark"]) == ("run-2", T0 + 5000 + 1099)


def every_user_template(tmp_path: Path, job_input: str | None = None) -> str:
    """shop's template with a served batch inference job: without `job_input` it runs for every user."""
    template = json.loads(Path(shop_template(tmp_path)).read_text())
    job = {"name": "nightly", "solution": "popularity", "jobOutput": f"s3://{BUCKET}/batch/nightly/", "serving": {}}
    template["batchInferenceJobs"] = [job if job_input is None else {**job, "jobInput": job_input}]
    path = tmp_path / "every-user.json"
    path.write_text(json.dumps(template))
    return str(path)


def users_list(s3: Any, location: str) -> list[str]:
    key = location.removeprefix(f"s3://{BUCKET}/")
    return [json.loads(line)["userId"] for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().splitlines()]


def test_a_job_without_job_input_gets_every_user_of_every_published_run(s3: Any, tmp_path: Path) -> None:
    template, inc = every_user_template(tmp_path), {"mode": "incremental", "dataset_group": "shop"}
    first = interactions_csv(users=60, per_user=20, start=T0).replace("u7,", "007,")  # an ID that looks like 7
    second = first + interactions_csv(users=55, per_user=20, start=T0 + 5000).split("\n", 1)[1].replace("u1,", "n1,")
    old_users = {f"u{u}" for u in range(60)} - {"u7"} | {"007"}

    export(s3, "run-1", first, extra=inc)
    publish({"bucket": BUCKET, "run_id": "run-1", "params_template": template, **inc})
    job = get_json(s3, "params/shop.json")["batchInferenceJobs"][0]
    assert job["jobInput"] == f"s3://{BUCKET}/exports/run-1/batch-users/users.jsonl"
    assert sorted(users_list(s3, job["jobInput"])) == sorted(old_users)  # distinct: 20 rows per user, one line

    export(s3, "run-2", second, extra=inc)  # only the rows newer than run-1's watermark
    publish({"bucket": BUCKET, "run_id": "run-2", "params_template": template, **inc})
    job = get_json(s3, "params/shop.json")["batchInferenceJobs"][0]
    listed = get_json(s3, "exports/run-2/manifest/interactions.json")["batchUsers"]
    assert job["jobInput"] == listed["location"] == f"s3://{BUCKET}/exports/run-2/batch-users/users.jsonl"
    users = users_list(s3, job["jobInput"])
    assert sorted(users) == sorted(old_users | {"n1", "u7"})  # run-1's users, then run-2's two new ones
    assert users[:60] == users_list(s3, f"s3://{BUCKET}/exports/run-1/batch-users/users.jsonl")
    assert (listed["users"], listed["carried"], listed["complete"]) == (62, 60, True)
    assert get_json(s3, "exports/_state/shop.json")["batchUsers"] == job["jobInput"]


def test_the_users_list_keeps_each_id_as_written(s3: Any) -> None:
    odd = ["007", " spaced ", 'a,"quoted"', "line\nbreak", "ünï"]  # the parts quote the ones holding , " or \n
    rows = [[f"u{u}", f"i{k}", str(T0 + u * 20 + k), "click"] for u in range(60) for k in range(20)]
    rows += [[user, "i1", str(T0 + 5000 + n), "click"] for n, user in enumerate(odd)]
    body = io.StringIO()
    csv.writer(body, lineterminator="\n").writerows([["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"], *rows])
    export(s3, "run-1", body.getvalue())

    listed = get_json(s3, "exports/run-1/manifest/interactions.json")["batchUsers"]

    assert sorted(users_list(s3, listed["location"])) == sorted([f"u{u}" for u in range(60)] + odd)
    assert (listed["users"], listed["carried"], listed["carriedFrom"], listed["complete"]) == (65, 0, None, True)


def test_a_job_with_job_input_keeps_its_own_users_file(s3: Any, tmp_path: Path) -> None:
    given = f"s3://{BUCKET}/batch/input/vip.jsonl"
    export(s3, "run-1", interactions_csv(users=60, per_user=20, start=T0))
    publish({"bucket": BUCKET, "run_id": "run-1", "params_template": every_user_template(tmp_path, given)})
    assert get_json(s3, "params/shop.json")["batchInferenceJobs"][0]["jobInput"] == given


def test_an_incremental_run_without_the_earlier_users_list_refuses_every_user_jobs(s3: Any, tmp_path: Path) -> None:
    template, inc = every_user_template(tmp_path), {"mode": "incremental", "dataset_group": "shop"}
    first = interactions_csv(users=60, per_user=20, start=T0)
    export(s3, "run-1", first, extra=inc)
    publish({"bucket": BUCKET, "run_id": "run-1", "params_template": template, **inc})
    state = get_json(s3, "exports/_state/shop.json")
    del state["batchUsers"]  # a state written before the lists were kept
    s3.put_object(Bucket=BUCKET, Key="exports/_state/shop.json", Body=json.dumps(state).encode())
    export(s3, "run-2", first + interactions_csv(users=55, per_user=20, start=T0 + 5000).split("\n", 1)[1], extra=inc)

    with pytest.raises(DataRequirementError, match="run the workflow once with --mode full") as refused:
        publish({"bucket": BUCKET, "run_id": "run-2", "params_template": template, **inc})
    assert "batch inference jobs nightly have no jobInput" in str(refused.value)
    assert get_json(s3, "exports/run-2/manifest.json")["decision"] == "refused"
    assert get_json(s3, "params/shop.json")["batchInferenceJobs"][0]["jobInput"].startswith(
        f"s3://{BUCKET}/exports/run-1/"
    )


# ---------------------------------------------------------------- cleanup


def put_run(s3: Any, run: str, decision: str | None) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"exports/{run}/interactions/part-00000.csv", Body=b"USER_ID\n")
    if decision:
        s3.put_object(Bucket=BUCKET, Key=f"exports/{run}/manifest.json", Body=json.dumps({"decision": decision}))


def runs_left(s3: Any) -> set[str]:
    return {o["Key"].split("/")[1] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/").get("Contents", [])}


def test_cleanup_deletes_expired_runs_but_never_the_latest_successful_one(s3: Any) -> None:
    put_run(s3, "good", "published")
    put_run(s3, "refused", "refused")
    put_run(s3, "unfinished", None)
    s3.put_object(Bucket=BUCKET, Key="exports/_state/shop.json", Body=json.dumps({"lastSuccessfulRunId": "good"}))

    result = cleanup.main({"bucket": BUCKET, "retention_days": "0"})

    assert result["deleted"] == ["refused", "unfinished"] and result["protected"] == ["good"]
    assert runs_left(s3) == {"good", "_state"}


def test_cleanup_keeps_runs_within_the_retention(s3: Any) -> None:
    put_run(s3, "recent", "refused")

    assert cleanup.main({"bucket": BUCKET, "retention_days": "1"})["deleted"] == []
    assert runs_left(s3) == {"recent"}


def test_cleanup_rejects_a_negative_retention(s3: Any) -> None:
    with pytest.raises(ValueError, match=r"argument --retention_days='-1' must be an integer >= 0"):
        cleanup.main({"bucket": BUCKET, "retention_days": "-1"})
