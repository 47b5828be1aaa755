"""The run history behind `autopersonalize report --html`: a record per run from what the execution returned and the
export manifest, appended to a JSON-lines file the user can move or clear, read back with each bad line named; and
the command's refusals before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autopersonalize import history
from autopersonalize.cli import main
from tests.history_fixture import NDCG, executions, recommender_records, records


def test_record_of_a_run_keeps_outcome_duration_versions_checks_and_rows() -> None:
    first, rejected, failed = records()[0], records()[2], records()[3]
    assert (first["outcome"], first["durationSeconds"], first["datasetGroup"]) == ("DEPLOYED", 95.0, "demo")
    assert first["rows"] == {
        "interactions": {"exported": 20_000, "rejected": 0, "imported": 20_000},
        "items": {"exported": 400, "rejected": 0},
    }
    personal = rejected["solutions"][0]
    assert (rejected["outcome"], personal["passed"], personal["solutionVersionArn"][-8:]) == (
        "REJECTED",
        False,
        "v0000002",
    )
    assert personal["checks"][0] | {"value": 0.12} == {
        "metric": NDCG,
        "value": 0.12,
        "minimum": 0.15,
        "deployed": None,
        "maxDrop": None,
        "passed": False,
    }
    assert (failed["outcome"], failed["error"], failed["solutions"]) == ("FAILED", "ResourceFailedError", [])


def test_history_appends_a_line_per_run_and_reads_them_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "history.jsonl"  # its folder is created
    for record in reversed(records()):
        history.append(path, record)
    found = history.read(path)
    assert len(path.read_text().splitlines()) == 5
    assert [r["execution"][-5:] for r in found.records] == [f"run-{day}" for day in range(5)]
    assert (found.warnings, found.lines) == ([], 5)


def test_a_bad_line_is_skipped_with_the_file_and_line_named(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    good = json.dumps(records()[0])
    path.write_text(f'{good}\n{{not json\n\n[1, 2]\n{json.dumps({"format": 99})}\n{good[:-1]}, "format": 1}}\n')
    found = history.read(path)
    assert len(found.records) == 2
    assert [w.split(": ", 1)[0] for w in found.warnings] == [f"run history {path} line {n}" for n in (2, 4, 5)]
    assert "not JSON (Expecting property name enclosed in double quotes at column 2)" in found.warnings[0]
    assert "a record of format 99, this version reads format 1" in found.warnings[2]


def test_clear_deletes_the_history(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    history.append(path, records()[0])
    assert history.clear(path) is True
    assert (path.exists(), history.clear(path)) == (False, False)


def test_history_location_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOPERSONALIZE_HISTORY", str(tmp_path / "mine.jsonl"))
    assert history.default_path() == tmp_path / "mine.jsonl"
    monkeypatch.delenv("AUTOPERSONALIZE_HISTORY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert history.default_path() == tmp_path / "data" / "autopersonalize" / "history.jsonl"


def test_report_html_writes_the_page_of_the_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "history.jsonl"
    for record in records():
        history.append(path, record)
    with path.open("a") as handle:
        handle.write("garbage\n")
    code = main(["report", "--html", str(tmp_path / "report.html"), "--history", str(path)])
    out, err = capsys.readouterr()
    assert code == 0
    assert out == f"Wrote {tmp_path / 'report.html'}: 5 runs from {path}\n"
    assert f"warning: run history {path} line 6: not JSON" in err
    page = (tmp_path / "report.html").read_text()
    assert "5 runs from" in page and page.count('class="plotly-graph-div"') == 3
    assert "line 6: not JSON" in page  # the skipped line is said on the page too


@pytest.mark.parametrize(
    ("html", "content", "expected"),
    [
        (".", None, "--html {tmp}: is a directory; give the file to write"),
        ("missing/report.html", None, "--html {tmp}/missing/report.html: the folder {tmp}/missing does not exist"),
        ("report.html", "garbage\n{}\n", "run history {tmp}/history.jsonl: none of its 2 lines is a run record"),
    ],
)
def test_report_refuses_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], html: str, content: str | None, expected: str
) -> None:
    path = tmp_path / "history.jsonl"
    if content is not None:
        path.write_text(content)
    target = tmp_path / html if html != "." else tmp_path
    code = main(["report", "--html", str(target), "--history", str(path)])
    assert code == 2
    assert capsys.readouterr().err.startswith("error: " + expected.format(tmp=tmp_path))


def test_report_without_html_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == 2
    assert capsys.readouterr().err == (
        "error: give --html FILE, the page to write (or --clear-history to empty the history)\n"
    )


def test_report_clear_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "history.jsonl"
    history.append(path, history.record_of(*executions()[0], source="run"))
    assert main(["report", "--clear-history", "--history", str(path)]) == 0
    assert main(["report", "--clear-history", "--history", str(path)]) == 0
    assert capsys.readouterr().out == f"Cleared the run history {path}\nNo run history at {path}: nothing to clear\n"


def test_record_of_a_recommenders_run_keeps_each_recommender_its_action_metrics_and_checks() -> None:
    first, _, rejected = recommender_records()
    assert [(r["recommender"], r["action"], r["passed"]) for r in first["recommenders"]] == [
        ("top-picks", "created", True),
        ("more-like-x", "created", True),
        ("most-popular", "created", True),
    ]
    top = rejected["recommenders"][0]
    assert (rejected["outcome"], top["action"], top["passed"]) == ("REJECTED", "rejected", False)
    assert "solution" not in top and rejected["solutions"] == []  # recommenders are not drawn as solutions
    assert top["recommenderArn"].endswith("top-picks-run-7") and top["servedArn"].endswith("top-picks-run-5")
    assert top["checks"] == [
        {"metric": NDCG, "value": 0.17, "minimum": 0.99, "deployed": None, "maxDrop": None, "passed": False}
    ]
    assert top["metrics"] == {"coverage": 0.27, NDCG: 0.17}
    assert records()[0]["recommenders"] == []  # a solutions-only run
