"""`autopersonalize report --html` on real runs: with no history it runs the demo first and draws that run (issue 15's
"renders the demo's history"), and on AWS (moto here) it reads the same record back from the state machine's
execution, its params snapshot and its export manifest as the local history keeps."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from autopersonalize import commands, history, pipeline, report
from autopersonalize.cli import main
from autopersonalize.local import offline_aws
from tests.browser import dump_dom

pytestmark = pytest.mark.slow


def test_report_with_no_history_runs_the_demo_and_draws_its_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
    path, page = tmp_path / "history.jsonl", tmp_path / "report.html"

    code = main(["report", "--html", str(page), "--history", str(path)])

    out, err = capsys.readouterr()
    assert code == 0
    assert f"No run history at {path} yet: running the demo first" in err
    assert out.endswith(f"Wrote {page}: 1 run from {path}\n")
    [record] = history.read(path).records
    assert (record["source"], record["outcome"], record["datasetGroup"]) == ("demo", "DEPLOYED", "demo")
    assert {s["solution"] for s in record["solutions"]} == {"user-personalization", "popularity", "similar-items"}
    assert record["rows"]["interactions"]["exported"] > 0
    dom = dump_dom(page, tmp_path / "profile")
    panels = re.search(r'id="chart-1".*?(?=<h2>)', dom, re.S)  # to the next section's heading
    assert panels is not None
    for solution in ("user-personalization", "popularity", "similar-items"):
        assert f">{solution}<" in panels.group(0)  # a panel per solution, titled by plotly in the SVG
    metrics = {m for s in record["solutions"] for m in s["metrics"]}
    assert panels.group(0).count('class="trace scatter') >= 3 * len(metrics)
    assert re.search(r'<pre id="errors"[^>]*></pre>', dom)


def test_report_aws_reads_the_run_back_from_the_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
    with offline_aws():
        commands.quiet_glue_output(verbose=False)
        result = pipeline.run(commands.demo_sources(commands.DEMO_SEED), commands.demo_params())
        local = history.record_of(result.execution, report.manifest(result.stack.bucket), source="aws")
        [from_aws] = history.from_aws(boto3.session.Session(), "ap", None, limit=10)
        code = main(["report", "--html", str(tmp_path / "aws.html"), "--aws"])
        missing = main(["report", "--html", str(tmp_path / "aws.html"), "--aws", "--prefix", "nope"])
    assert from_aws == json.loads(json.dumps(local, default=str))
    assert from_aws["rows"]["interactions"]["exported"] > 0 and from_aws["exportRun"]
    assert (code, missing) == (0, 2)
    out, err = capsys.readouterr()
    assert "Wrote " + str(tmp_path / "aws.html") + ": 1 run from the executions of ap-training" in out
    assert "error: no state machine nope-training here: is the stack deployed with Prefix=nope" in err
