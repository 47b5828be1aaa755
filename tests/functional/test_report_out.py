"""The run report's rejected rows and `run --out DIR`: a small demo pipeline offline, its interactions with bad rows."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import personalize_export
import pytest

from autopersonalize import pipeline, report
from autopersonalize.commands import demo_params, demo_sources
from autopersonalize.errors import PipelineError
from autopersonalize.local import offline_aws

CHUNK_ROWS = 1000  # the export reads the lake in chunks of this many rows: the bad rows land in two rejected parts
ASSUMED = ["dataset group name 'demo'", "EVENT_TYPE 'interaction' for every interaction"]
BAD_ROWS: dict[int, dict[str, str | None]] = {  # position in the interactions table -> what is wrong with it
    10: {"customer_id": "", "product_id": 'p1,"quoted"'},
    11: {"customer_id": None, "product_id": "p2"},
    3500: {"event_time": "soon"},
}
REASONS = {"USER_ID:missing_required_value": 2, "TIMESTAMP:not_a_timestamp": 1}


def _sources_with_bad_rows() -> dict[str, pipeline.Source]:
    sources = demo_sources(7, n_users=300, per_category=10)
    frame = sources["interactions"].frame
    assert frame is not None  # the demo's tables are frames, not files
    frame = frame.copy()
    frame["event_time"] = frame["event_time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")  # text, so "soon" fits the column
    for position, values in BAD_ROWS.items():
        for column, value in values.items():
            frame.loc[position, column] = value
    sources["interactions"] = pipeline.Source(frame, sources["interactions"].mapping)
    return sources


@pytest.fixture(scope="module")
def run() -> Iterator[tuple[pipeline.RunResult, dict[str, Any]]]:
    with pytest.MonkeyPatch.context() as patch, offline_aws(progression="immediate"):
        patch.setattr(personalize_export, "DEFAULT_CHUNK_ROWS", CHUNK_ROWS)
        result = pipeline.run(_sources_with_bad_rows(), demo_params(), dataset_group="demo")
        yield result, report.collect(result, assumptions=ASSUMED)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_report_counts_rejected_rows_by_reason(run: tuple[pipeline.RunResult, dict[str, Any]]) -> None:
    _, document = run
    assert document["outcome"] == "DEPLOYED"
    assert set(document["rejected"]) == {"interactions"}
    found = document["rejected"]["interactions"]
    assert found["rowsRejected"] == 3
    assert found["rejectedByReason"] == REASONS


def test_report_gives_example_rows_of_each_reason(run: tuple[pipeline.RunResult, dict[str, Any]]) -> None:
    _, document = run
    examples = document["rejected"]["interactions"]["examples"]
    assert set(examples) == set(REASONS)
    assert [(e["USER_ID"], e["ITEM_ID"]) for e in examples["USER_ID:missing_required_value"]] == [
        ("", 'p1,"quoted"'),
        ("", "p2"),
    ]
    assert [e["TIMESTAMP"] for e in examples["TIMESTAMP:not_a_timestamp"]] == ["soon"]
    assert "REJECT_REASON" not in examples["TIMESTAMP:not_a_timestamp"][0]


def test_report_imports_show_what_each_job_reports_and_the_count_as_an_estimate(
    run: tuple[pipeline.RunResult, dict[str, Any]],
) -> None:
    _, document = run
    jobs = {i["datasetType"].lower(): i for i in document["imports"]}
    assert set(jobs) == set(document["export"]["datasets"])
    assert {dataset: (i["status"], i["action"]) for dataset, i in jobs.items()} == {
        dataset: ("ACTIVE", "started") for dataset in jobs
    }
    written = {dataset: numbers["rowsWritten"] for dataset, numbers in document["export"]["datasets"].items()}
    assert {dataset: i["rowsCounted"] for dataset, i in jobs.items()} == written
    assert not any("rows" in i for i in jobs.values())  # no unlabelled count beside the job's own report


def test_report_lists_the_assumptions_it_was_given(run: tuple[pipeline.RunResult, dict[str, Any]]) -> None:
    _, document = run
    assert document["assumptions"] == ASSUMED


def test_out_writes_report_manifest_and_every_rejected_row(
    run: tuple[pipeline.RunResult, dict[str, Any]], tmp_path: Path
) -> None:
    result, document = run
    out = tmp_path / "new" / "dir"
    written = report.write_out(result, document, out)
    assert written == [out / "report.json", out / "manifest.json", out / "rejected" / "interactions.csv"]
    assert json.loads((out / "report.json").read_text())["rejected"] == json.loads(json.dumps(document["rejected"]))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runId"] == document["export"]["runId"]
    assert manifest["datasets"]["interactions"]["rejectedByReason"] == REASONS
    rows = _csv_rows(out / "rejected" / "interactions.csv")
    assert [(r["USER_ID"], r["ITEM_ID"], r["REJECT_REASON"]) for r in rows[:2]] == [
        ("", 'p1,"quoted"', "USER_ID:missing_required_value"),
        ("", "p2", "USER_ID:missing_required_value"),
    ]
    assert [(r["TIMESTAMP"], r["REJECT_REASON"]) for r in rows[2:]] == [("soon", "TIMESTAMP:not_a_timestamp")]


def test_out_joins_the_rejected_parts_under_one_header(
    run: tuple[pipeline.RunResult, dict[str, Any]], tmp_path: Path
) -> None:
    result, document = run
    location = document["rejected"]["interactions"]["rejectedLocation"]
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    parts = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    assert len(parts) == 2  # the bad rows were in two chunks of the export
    report.write_out(result, document, tmp_path)
    lines = (tmp_path / "rejected" / "interactions.csv").read_text().splitlines()
    assert [line for line in lines if line.startswith("USER_ID,")] == [lines[0]]
    assert len(pd.read_csv(tmp_path / "rejected" / "interactions.csv", dtype=str)) == 3


def test_out_replaces_the_rejected_rows_of_an_earlier_run(
    run: tuple[pipeline.RunResult, dict[str, Any]], tmp_path: Path
) -> None:
    result, document = run
    (tmp_path / "rejected").mkdir()
    (tmp_path / "rejected" / "items.csv").write_text("ITEM_ID,REJECT_REASON\nold,ITEM_ID:stale\n")
    written = report.write_out(result, document, tmp_path)
    assert not (tmp_path / "rejected" / "items.csv").exists()  # this run rejected no items
    assert tmp_path / "rejected" / "items.csv" not in written


def test_out_refuses_a_path_that_is_a_file(run: tuple[pipeline.RunResult, dict[str, Any]], tmp_path: Path) -> None:
    result, document = run
    target = tmp_path / "report.txt"
    target.write_text("mine")
    with pytest.raises(PipelineError) as error:
        report.write_out(result, document, target)
    assert str(error.value) == (
        f"--out {target}: is a file, not a directory; give a directory (it is created if missing)"
    )
    assert target.read_text() == "mine"
