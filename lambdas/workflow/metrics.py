"""CloudWatch metrics of the workflow, for alarms and the stack's dashboard: gate decisions and every metric the gate
read, training hours, rows imported, run outcomes.

Written in the embedded metric format (powertools `single_metric`): one JSON line in the function's log that
CloudWatch turns into a metric, so no API call and no IAM permission. Namespace: POWERTOOLS_METRICS_NAMESPACE
(template Globals: autopersonalize); dimensions DatasetGroup (+ Solution, Metric or Dataset) and powertools' `service`.

The solution version is a property of a gate metric's line (EMF metadata, searchable in CloudWatch Logs Insights),
not a dimension: each dimension combination is its own custom metric, billed per metric; a version dimension would
make one more set of metrics per retraining, each holding a single point, where one series per solution and metric
draws how the versions compare over time.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

RUN_OUTCOMES = {"DEPLOYED": "RunsDeployed", "REJECTED": "RunsRejected"}
# Every metric this module emits and its dimensions (powertools adds `service`): template.yaml's dashboard may chart
# these only (tests/unit/test_dashboard.py); tests/unit/test_workflow_metrics_emitted.py checks each is emitted.
EMITTED: dict[str, tuple[str, ...]] = {
    "GatePassed": ("DatasetGroup", "Solution"),
    "GateRejected": ("DatasetGroup", "Solution"),
    "GateMetric": ("DatasetGroup", "Solution", "Metric"),
    "GateMinimum": ("DatasetGroup", "Solution", "Metric"),
    "TrainingHours": ("DatasetGroup", "Solution"),
    "RowsImported": ("DatasetGroup", "Dataset"),
    "RunsDeployed": ("DatasetGroup",),
    "RunsRejected": ("DatasetGroup",),
    "RunsFailed": ("DatasetGroup",),
}
GATE_PROPERTIES = ("solutionVersionArn", "passed")  # on each GateMetric and GateMinimum line, beside the dimensions


def _put(
    name: str, unit: MetricUnit, value: float, dimensions: dict[str, Any], metadata: dict[str, Any] | None = None
) -> None:
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return  # powertools' Metrics honours the switch, its single_metric does not (3.37.0): offline has no CloudWatch
    with single_metric(name=name, unit=unit, value=value) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(key, str(dimension))
        for key, item in (metadata or {}).items():
            metric.add_metadata(key, item)


def gate_metrics(
    group: str | None,
    solution: str,
    version_arn: str,
    metrics: dict[str, float],
    minimums: dict[str, float],
    passed: bool,
) -> None:
    """Each offline metric the gate read for this run's version (GateMetric, one per Personalize metric name), and the
    minimum the gate held it to where it has one (GateMinimum): the dashboard draws both per solution over time."""
    base = {"DatasetGroup": group or "unknown", "Solution": solution}
    about = dict(zip(GATE_PROPERTIES, (version_arn, passed), strict=True))
    for name, value in sorted(metrics.items()):
        _put("GateMetric", MetricUnit.NoUnit, float(value), {**base, "Metric": name}, about)
    for name, minimum in sorted(minimums.items()):
        _put("GateMinimum", MetricUnit.NoUnit, float(minimum), {**base, "Metric": name}, about)


def record(detail_type: str, detail: dict[str, Any]) -> None:
    """The metrics one stage event stands for (detail as events.emit sends it, datasetGroup included)."""
    group = {"DatasetGroup": detail.get("datasetGroup") or "unknown"}
    solution = {**group, "Solution": detail.get("solution") or detail.get("recommender")}  # a recommender's gate too
    if detail_type == "Gate Decision":
        _put("GatePassed", MetricUnit.Count, 1 if detail["passed"] else 0, solution)
        _put("GateRejected", MetricUnit.Count, 0 if detail["passed"] else 1, solution)
    elif detail_type == "Import Completed" and detail.get("rowsCounted") is not None:
        dataset = {**group, "Dataset": str(detail.get("datasetType") or "unknown").lower()}
        _put("RowsImported", MetricUnit.Count, float(detail["rowsCounted"]), dataset)
    elif detail_type == "Training Completed" and detail.get("trainingHours") is not None:
        _put("TrainingHours", MetricUnit.NoUnit, float(detail["trainingHours"]), solution)
    elif detail_type == "Run Succeeded" and detail.get("outcome") in RUN_OUTCOMES:
        _put(RUN_OUTCOMES[detail["outcome"]], MetricUnit.Count, 1, group)
    elif detail_type == "Run Failed":
        _put("RunsFailed", MetricUnit.Count, 1, group)
