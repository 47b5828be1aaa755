"""CloudWatch metrics of the workflow, for alarms and the stack's dashboard: gate decisions and every metric the gate
read, training hours, rows imported, run outcomes.

Written in the embedded metric format (powertools `single_metric`): one JSON line in the function's log that
CloudWatch turns into a metric, so no API call and no IAM permission. Namespace: POWERTOOLS_METRICS_NAMESPACE
(template Globals: autopersonalize); dimensions DatasetGroup (+ Solution or Recommender, Metric or Dataset) and
powertools' `service`.

A recommender's gate metrics are the solutions' metrics under a Recommender dimension instead of Solution: a
recommender and a solution may share a name (in two dataset groups, or one group's params over time), and one
series per dimension set keeps a recommender's points out of a solution's line.

The solution version is a property of a gate metric's line (EMF metadata, searchable in CloudWatch Logs Insights),
not a dimension: each dimension combination is its own custom metric, billed per metric; a version dimension would
make one more set of metrics per retraining, each holding a single point, where one series per solution and metric
draws how the versions compare over time.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit, single_metric

RUN_OUTCOMES = {"DEPLOYED": "RunsDeployed", "REJECTED": "RunsRejected"}
# What the gate decides on, by the dimension that names it, and the property naming the model it read: a solution's
# trained version, or a recommender (which has no versions: each new model is a new recommender).
GATED = {"Solution": "solutionVersionArn", "Recommender": "recommenderArn"}
SOLUTION_OR_RECOMMENDER = tuple(("DatasetGroup", kind) for kind in GATED)
# Every metric this module emits and each dimension set it is emitted with (powertools adds `service`): template.yaml's
# dashboard may chart these only (tests/unit/test_dashboard.py); tests/unit/test_workflow_metrics_emitted.py checks
# each is emitted.
EMITTED: dict[str, tuple[tuple[str, ...], ...]] = {
    "GatePassed": SOLUTION_OR_RECOMMENDER,
    "GateRejected": SOLUTION_OR_RECOMMENDER,
    "GateMetric": tuple((*dims, "Metric") for dims in SOLUTION_OR_RECOMMENDER),
    "GateMinimum": tuple((*dims, "Metric") for dims in SOLUTION_OR_RECOMMENDER),
    "TrainingHours": (("DatasetGroup", "Solution"),),
    "RowsImported": (("DatasetGroup", "Dataset"),),
    "RunsDeployed": (("DatasetGroup",),),
    "RunsRejected": (("DatasetGroup",),),
    "RunsFailed": (("DatasetGroup",),),
}
GATE_PROPERTIES = (*GATED.values(), "passed")  # on each GateMetric and GateMinimum line, beside the dimensions


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
    name: str,
    model_arn: str,
    metrics: dict[str, float],
    minimums: dict[str, float],
    passed: bool,
    kind: Literal["Solution", "Recommender"] = "Solution",
) -> None:
    """Each offline metric the gate read for this run's model (GateMetric, one per Personalize metric name), and the
    minimum the gate held it to where it has one (GateMinimum): the dashboard draws both per solution and per
    recommender over time. `kind` names the dimension (GATED); `model_arn` is the solution version or recommender."""
    base = {"DatasetGroup": group or "unknown", kind: name}
    about = {GATED[kind]: model_arn, "passed": passed}
    for metric, value in sorted(metrics.items()):
        _put("GateMetric", MetricUnit.NoUnit, float(value), {**base, "Metric": metric}, about)
    for metric, minimum in sorted(minimums.items()):
        _put("GateMinimum", MetricUnit.NoUnit, float(minimum), {**base, "Metric": metric}, about)


def record(detail_type: str, detail: dict[str, Any]) -> None:
    """The metrics one stage event stands for (detail as events.emit sends it, datasetGroup included)."""
    group = {"DatasetGroup": detail.get("datasetGroup") or "unknown"}
    solution = {**group, "Solution": detail.get("solution")}
    if detail_type == "Gate Decision":
        gated = {**group, "Recommender": detail["recommender"]} if detail.get("recommender") else solution
        _put("GatePassed", MetricUnit.Count, 1 if detail["passed"] else 0, gated)
        _put("GateRejected", MetricUnit.Count, 0 if detail["passed"] else 1, gated)
    elif detail_type == "Import Completed" and detail.get("rowsCounted") is not None:
        dataset = {**group, "Dataset": str(detail.get("datasetType") or "unknown").lower()}
        _put("RowsImported", MetricUnit.Count, float(detail["rowsCounted"]), dataset)
    elif detail_type == "Training Completed" and detail.get("trainingHours") is not None:
        _put("TrainingHours", MetricUnit.NoUnit, float(detail["trainingHours"]), solution)
    elif detail_type == "Run Succeeded" and detail.get("outcome") in RUN_OUTCOMES:
        _put(RUN_OUTCOMES[detail["outcome"]], MetricUnit.Count, 1, group)
    elif detail_type == "Run Failed":
        _put("RunsFailed", MetricUnit.Count, 1, group)
