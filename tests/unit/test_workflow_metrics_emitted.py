"""workflow.metrics.EMITTED is what the workflow really writes (the dashboard may chart only those): every metric in it
comes out of record() or gate_metrics() in the embedded metric format, with exactly its dimensions (+ service), and
the gate metrics carry the version as a property, not a dimension; a recommender's gate metrics have a Recommender
dimension where a solution's have Solution, so the two never share a series."""

from __future__ import annotations

import json
from typing import Any

import pytest
from workflow import metrics

EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("Gate Decision", {"datasetGroup": "demo", "solution": "personal", "passed": False}),
    ("Gate Decision", {"datasetGroup": "vod", "recommender": "top-picks", "recommenderArn": "arn", "passed": True}),
    ("Import Completed", {"datasetGroup": "demo", "datasetType": "Interactions", "rowsCounted": 1200}),
    ("Training Completed", {"datasetGroup": "demo", "solution": "personal", "trainingHours": 0.5}),
    ("Run Succeeded", {"datasetGroup": "demo", "outcome": "DEPLOYED"}),
    ("Run Succeeded", {"datasetGroup": "demo", "outcome": "REJECTED"}),
    ("Run Failed", {"datasetGroup": "demo"}),
]
VERSION = "arn:aws:personalize:us-east-1:123456789012:solution/ap-demo-personal/abc12345"
RECOMMENDER = "arn:aws:personalize:us-east-1:123456789012:recommender/ap-vod-top-picks-r1"


def on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Metrics on, with the service template.yaml's Globals name (offline_aws() turns them off)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "autopersonalize")


def emf_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def emitted(lines: list[dict[str, Any]]) -> dict[str, set[tuple[str, ...]]]:
    found: dict[str, set[tuple[str, ...]]] = {}
    for line in lines:
        [directive] = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "autopersonalize"
        for metric in directive["Metrics"]:
            found.setdefault(metric["Name"], set()).add(tuple(sorted(directive["Dimensions"][0])))
    return found


def test_every_metric_of_emitted_is_written_with_its_dimensions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch)
    for detail_type, detail in EVENTS:
        metrics.record(detail_type, detail)
    metrics.gate_metrics("demo", "personal", VERSION, {"coverage": 0.4, "ndcg": 0.2}, {"ndcg": 0.1}, True)
    metrics.gate_metrics("vod", "top-picks", RECOMMENDER, {"coverage": 0.5}, {"coverage": 0.1}, True, "Recommender")
    found = emitted(emf_lines(capsys.readouterr().out))
    expected = {name: {tuple(sorted((*d, "service"))) for d in dims} for name, dims in metrics.EMITTED.items()}
    assert found == expected


def test_gate_metrics_one_line_per_metric_and_minimum_with_the_version_as_a_property(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch)
    metrics.gate_metrics("demo", "personal", VERSION, {"coverage": 0.4, "ndcg": 0.2}, {"ndcg": 0.1}, False)
    lines = emf_lines(capsys.readouterr().out)
    names = [line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for line in lines]
    values = {(name, line["Metric"]): line[name] for name, line in zip(names, lines, strict=True)}
    assert values == {("GateMetric", "coverage"): [0.4], ("GateMetric", "ndcg"): [0.2], ("GateMinimum", "ndcg"): [0.1]}
    assert {line["solutionVersionArn"] for line in lines} == {VERSION}
    assert {line["passed"] for line in lines} == {False}


def test_an_import_without_a_row_count_writes_no_rows_metric(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch)
    metrics.record("Import Completed", {"datasetGroup": "demo", "datasetType": "Items", "rowsCounted": None})
    assert emf_lines(capsys.readouterr().out) == []


def test_a_recommenders_gate_metrics_name_it_by_a_recommender_dimension_and_its_arn(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch)
    metrics.gate_metrics("vod", "top-picks", RECOMMENDER, {"coverage": 0.5}, {"coverage": 0.6}, False, "Recommender")
    metrics.record("Gate Decision", {"datasetGroup": "vod", "recommender": "top-picks", "passed": False})
    lines = emf_lines(capsys.readouterr().out)
    assert [line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for line in lines] == [
        "GateMetric",
        "GateMinimum",
        "GatePassed",
        "GateRejected",
    ]
    assert all(line["Recommender"] == "top-picks" and "Solution" not in line for line in lines)
    gate_lines = lines[:2]
    assert [(line["recommenderArn"], line["passed"]) for line in gate_lines] == [(RECOMMENDER, False)] * 2
    assert all("solutionVersionArn" not in line for line in gate_lines)
    assert (lines[2]["GatePassed"], lines[3]["GateRejected"]) == ([0.0], [1.0])
