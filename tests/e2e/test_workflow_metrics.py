"""The workflow's CloudWatch metrics, read from the functions' output as CloudWatch reads it (embedded metric format):
gate decisions and training hours per solution, the run's outcome per dataset group."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest

from autopersonalize.local import offline_aws
from autopersonalize.local.stack import PARAMS_BY_HAND, OfflineStack, deploy_stack
from tests.e2e import workflow_support as ws

NDCG = "normalized_discounted_cumulative_gain_at_10"


def run_printing_metrics(make_params: Callable[[OfflineStack], dict[str, Any]]) -> dict[str, Any]:
    """One training run with metrics on (offline_aws() turns them off: no CloudWatch reads them there)."""
    with offline_aws(), mock.patch.dict(os.environ, {"POWERTOOLS_METRICS_DISABLED": "false"}):
        stack = deploy_stack(parameters=PARAMS_BY_HAND)
        return stack.wait(stack.put_params("demo", make_params(stack)), timeout=300)


def metrics(out: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Each metric's (dimensions, value) pairs, from the EMF lines among the output."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for line in out.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        [directive] = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "autopersonalize"
        dimensions = {key: document[key] for key in directive["Dimensions"][0]}
        for metric in directive["Metrics"]:
            found.setdefault(metric["Name"], []).extend((dimensions, v) for v in document[metric["Name"]])
    return found


def test_metrics_of_a_rejected_run_gate_per_solution_training_hours_and_outcome(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gate = [{"solution": "popular", "minimums": {NDCG: 0.99}}]
    execution = run_printing_metrics(lambda stack: ws.params(ws.upload_data(stack.bucket), metricsGate=gate))
    assert execution["status"] == "SUCCEEDED", ws.failure(execution)
    found = metrics(capsys.readouterr().out)
    group = {"DatasetGroup": "demo", "service": "autopersonalize"}
    personal, popular = {**group, "Solution": "personal"}, {**group, "Solution": "popular"}
    assert sorted(found["GatePassed"], key=str) == sorted([(personal, 1.0), (popular, 0.0)], key=str)
    assert sorted(found["GateRejected"], key=str) == sorted([(personal, 0.0), (popular, 1.0)], key=str)
    assert sorted(d["Solution"] for d, hours in found["TrainingHours"] if hours > 0) == ["personal", "popular"]
    assert found["RunsRejected"] == [(group, 1.0)]
    gate_metrics = {(d["Solution"], d["Metric"]) for d, _ in found["GateMetric"]}  # every metric the gate read
    assert {("personal", NDCG), ("popular", NDCG)} <= gate_metrics
    assert found["GateMinimum"] == [({**popular, "Metric": NDCG}, 0.99)]
    assert sorted((d["Dataset"], rows > 0) for d, rows in found["RowsImported"]) == [
        ("interactions", True),
        ("items", True),
    ]
    assert "RunsDeployed" not in found and "RunsFailed" not in found


def test_metrics_of_a_failed_run_count_one_failure_for_its_dataset_group(capsys: pytest.CaptureFixture[str]) -> None:
    execution = run_printing_metrics(lambda stack: {"datasetGroup": {"name": "demo"}})
    assert execution["status"] == "FAILED"
    found = metrics(capsys.readouterr().out)
    service = {"service": "autopersonalize"}
    assert found == {"RunsFailed": [({"DatasetGroup": "demo", **service}, 1.0)]}


def test_metrics_are_off_offline_unless_asked_for(capsys: pytest.CaptureFixture[str]) -> None:
    from workflow import metrics as workflow_metrics

    with offline_aws():  # POWERTOOLS_METRICS_DISABLED=true: the demo's output has no metric lines
        workflow_metrics.record("Run Failed", {"datasetGroup": "demo"})
    assert capsys.readouterr().out == ""
