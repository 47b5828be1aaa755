"""The whole demo pipeline offline through the CLI: `autopersonalize demo --json` and `run`'s user errors."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from autopersonalize import sample_data
from autopersonalize.cli import main


@pytest.fixture(scope="module")
def demo_document() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["demo", "--json"])
    assert code == 0
    return dict(json.loads(out.getvalue()))  # stdout holds the document and nothing else


def test_demo_json_document_reports_a_deployed_campaign(demo_document: dict[str, Any]) -> None:
    assert demo_document["outcome"] == "DEPLOYED"
    assert demo_document["executionStatus"] == "SUCCEEDED"


def test_demo_json_document_lists_every_resource_created(demo_document: dict[str, Any]) -> None:
    counts = {kind: len(arns) for kind, arns in demo_document["resources"].items()}
    assert counts == {
        "datasetGroup": 1,
        "datasets": 3,
        "solutions": 3,
        "solutionVersions": 3,
        "campaigns": 2,
        "filters": 2,
        "eventTrackers": 1,
        "batchSegmentJobs": 0,
        "recommenders": 0,
    }


def test_demo_json_document_lists_the_sns_notification_of_the_run(demo_document: dict[str, Any]) -> None:
    assert demo_document["notifications"] == ["autopersonalize demo: DEPLOYED"]


def test_demo_json_document_reports_the_glue_workflow_run(demo_document: dict[str, Any]) -> None:
    workflow = demo_document["glueWorkflow"]
    assert workflow["Status"] == "COMPLETED"
    assert workflow["Statistics"] == {"TotalActions": 5, "SucceededActions": 5, "FailedActions": 0}


def test_demo_json_document_counts_the_exported_rows(demo_document: dict[str, Any]) -> None:
    lake = sample_data.generate(seed=7)
    exported = demo_document["export"]["datasets"]
    assert exported["interactions"]["rowsWritten"] == len(lake.interactions)
    assert exported["items"]["rowsWritten"] == len(lake.items)
    assert exported["users"]["rowsWritten"] == len(lake.users)
    assert exported["interactions"]["rowsRejected"] == 0


def test_demo_json_document_personalized_model_beats_popularity(demo_document: dict[str, Any]) -> None:
    metrics = demo_document["metrics"]
    ndcg = "normalized_discounted_cumulative_gain_at_10"
    assert metrics["user-personalization"][ndcg] >= 2 * metrics["popularity"][ndcg]


def test_demo_json_document_has_ten_recommendations_per_sample(demo_document: dict[str, Any]) -> None:
    samples = demo_document["recommendations"]
    assert {s["campaign"] for s in samples} == {"ap-demo-user-personalization", "ap-demo-similar-items"}
    assert all(len(s["recommendations"]) == 10 for s in samples)


def test_demo_json_document_times_each_state(demo_document: dict[str, Any]) -> None:
    states = {t["state"] for t in demo_document["timings"]}
    assert {"Load Params", "Train Solutions", "Deploy Campaigns", "Release Lock"} <= states


def test_run_missing_file_is_one_clear_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["run", "--interactions", str(tmp_path / "nope.csv")])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"error: --interactions {tmp_path / 'nope.csv'}: no such file or folder"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("USER_ID=user,ITEM_ID=movieId,TIMESTAMP=timestamp", "--map USER_ID=user: no file has a column 'user' ("),
        ("ITEM_ID=movieId,TIMESTAMP=timestamp", "ratings.csv has no column for USER_ID; its columns are userId,"),
        ("USERID=userId", "--map: 'USERID' is not a field; the fields are EVENT_TYPE, EVENT_VALUE, ITEM_ID,"),
        ("USER_ID", "--map: 'USER_ID' is not FIELD=column"),
    ],
    ids=["missing-column", "unmapped-field", "unknown-field", "malformed"],
)
def test_run_bad_mapping_says_what_is_wrong(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mapping: str, message: str
) -> None:
    data = tmp_path / "ratings.csv"
    data.write_text("userId,movieId,timestamp\n1,2,3\n")
    code = main(["run", "--interactions", str(data), "--map", mapping])
    assert code == 2
    assert message in capsys.readouterr().err


MOVIELENS = Path(__file__).resolve().parents[3] / "shared" / "data" / "movielens-latest-small" / "ratings.csv"


def test_run_movielens_ratings_ends_deployed(capsys: pytest.CaptureFixture[str]) -> None:
    mapping = "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp"
    code = main(["run", "--interactions", str(MOVIELENS), "--map", mapping, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["outcome"] == "DEPLOYED"
    assert document["export"]["datasets"]["interactions"]["rowsWritten"] == 100836
    ndcg = "normalized_discounted_cumulative_gain_at_10"
    assert document["metrics"]["user-personalization"][ndcg] > 1.7 * document["metrics"]["popularity"][ndcg]


def test_run_data_that_cannot_train_says_which_rule_and_by_how_much(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "few.csv"
    rows = [f"u{i % 20},i{i % 50},{1700000000 + i}" for i in range(500)]
    data.write_text("user,item,ts\n" + "\n".join(rows) + "\n")
    code = main(["run", "--interactions", str(data), "--map", "USER_ID=user,ITEM_ID=item,TIMESTAMP=ts"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Personalize needs >= 1000 interactions; this run exported 500 (500 short)" in err
    assert "Traceback" not in err


def test_run_movielens_with_items_and_its_own_params_uses_the_params_schemas(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = MOVIELENS.parent
    params = Path(__file__).resolve().parents[2] / "params" / "movielens.json"
    # GENRES is only in the params' Items schema: the export fails on the mapping if it used the repo's items.avsc
    mapping = "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp,EVENT_VALUE=rating,GENRES=genres"
    files = ["--interactions", str(data / "ratings.csv"), "--items", str(data / "movies.csv")]
    code = main(["run", *files, "--map", mapping, "--params", str(params), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["outcome"] == "DEPLOYED"
    items = document["export"]["datasets"]["items"]
    assert (items["rowsWritten"], items["rowsRejected"]) == (9742, 0)
    assert {s["campaign"] for s in document["recommendations"]} == {
        "ap-movielens-user-personalization",
        "ap-movielens-similar-items",
    }
