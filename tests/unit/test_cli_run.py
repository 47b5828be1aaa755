"""`autopersonalize run`'s early failures, in a fresh process: each is one stderr line (or `validate`'s report), exit 2,
a JSON document with --json, and none imports the offline stack or exports anything first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.test_cli_errors import _cli_in_fresh_process

REPO = Path(__file__).resolve().parents[2]
MAP = "USER_ID=user,ITEM_ID=item,TIMESTAMP=ts"


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text("user,item,ts\nu1,i1,1700000000\n")
    return path


def params_file(tmp_path: Path, **changes: object) -> Path:
    document = json.loads((REPO / "params" / "demo.json").read_text())
    document["datasets"] = [d for d in document["datasets"] if d["datasetType"] == "Interactions"]
    document["datasets"][0]["schemaFile"] = str(REPO / "schemas" / "interactions.avsc")
    document["solutions"] = [s for s in document["solutions"] if s["recipe"] != "aws-similar-items"]
    document["campaigns"] = [c for c in document["campaigns"] if c["solution"] != "similar-items"]
    document["filters"] = []
    document.pop("$schema")
    document.update(changes)
    path = tmp_path / "params.json"
    path.write_text(json.dumps(document))
    return path


def test_run_json_prints_a_document_for_an_early_failure(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"

    result, imported = _cli_in_fresh_process("run", "--interactions", str(missing), "--json")

    assert result.returncode == 2
    assert result.stderr == f"error: --interactions {missing}: no such file or folder\n"
    document = json.loads("\n".join(result.stdout.splitlines()[:-1]))
    assert document == {"outcome": "ERROR", "error": f"--interactions {missing}: no such file or folder", "exitCode": 2}
    assert imported == []


def test_run_params_problems_are_reported_as_validate_reports_them_before_any_export(
    tmp_path: Path, events: Path
) -> None:
    bad = params_file(tmp_path, solutions=[{"name": "trend", "recipe": "aws-trending-now"}], campaigns=[])
    bad.write_text(bad.read_text().replace('"metricsGate": [', '"metricsGate": [], "unknownKey": ['))

    result, imported = _cli_in_fresh_process("run", "--interactions", str(events), "--map", MAP, "--params", str(bad))
    validated = _cli_in_fresh_process("validate", "--offline", str(bad))[0]

    assert result.returncode == 2
    assert result.stderr == f"error: {validated.stderr}"  # the very report `validate --offline` prints
    assert f"{bad}: " in result.stderr  # about the user's file, not an S3 copy
    assert 'solutions[0].recipe: "aws-trending-now" is not trained offline; use aws-popularity-count' in result.stderr
    assert "unknownKey" in result.stderr
    assert "Traceback" not in result.stderr
    assert imported == []  # nothing exported: the offline stack was never imported


def test_run_params_listing_a_dataset_without_a_file_names_the_option(tmp_path: Path, events: Path) -> None:
    params = params_file(tmp_path)
    document = json.loads(params.read_text())
    document["datasets"].append({"datasetType": "Items", "schemaFile": str(REPO / "schemas" / "items.avsc")})
    params.write_text(json.dumps(document))

    result, _ = _cli_in_fresh_process("run", "--interactions", str(events), "--map", MAP, "--params", str(params))

    assert result.returncode == 2
    assert "lists the Items dataset, but no items file was given; add --items FILE" in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--items-map", "ITEM_ID=sku"], "error: --items-map ITEM_ID=sku: no --items file was given to map"),
        (["--map", "USER_ID=customer"], "error: --map USER_ID=customer: no file has a column 'customer'"),
        (["--explode", "events"], "is CSV; --explode applies to JSON lines"),
        (["--encoding", "klingon"], "error: --encoding 'klingon': unknown encoding"),
    ],
    ids=["items-map-without-items", "unknown-column", "explode-csv", "bad-encoding"],
)
def test_run_bad_arguments_are_one_line_before_anything_heavy(events: Path, extra: list[str], message: str) -> None:
    result, imported = _cli_in_fresh_process("run", "--interactions", str(events), "--map", MAP, *extra)

    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert imported == []
