"""CloudWatch metrics of the workflow's stage events, for alarms: gate decisions, training hours, run outcomes.

Written in the embedded metric format (powertools `single_metric`): one JSON line in the function's log that
CloudWatch turns into a metric, so no API call and no IAM permission. Namespace: POWERTOOLS_METRICS_NAMESPACE
(template Globals: autopersonalize); dimensions DatasetGroup (+ Solution) and powertools' `service`.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

RUN_OUTCOMES = {"DEPLOYED": "RunsDeployed", "REJECTED": "RunsRejected"}


def _put(name: str, unit: MetricUnit, value: float, dimensions: dict[str, Any]) -> None:
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return  # powertools' Metrics honours the switch, its single_metric does not (3.37.0): offline has no CloudWatch
    with single_metric(name=name, unit=unit, value=value) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(key, str(dimension))


def record(detail_type: str, detail: dict[str, Any]) -> None:
    """The metrics one stage event stands for (detail as events.emit sends it, datasetGroup included)."""
    group = {"DatasetGroup": detail.get("datasetGroup") or "unknown"}
    solution = {**group, "Solution": detail.get("solution")}
    if detail_type == "Gate Decision":
        _put("GatePassed", MetricUnit.Count, 1 if detail["passed"] else 0, solution)
        _put("GateRejected", MetricUnit.Count, 0 if detail["passed"] else 1, solution)
    elif detail_type == "Training Completed" and detail.get("trainingHours") is not None:
        _put("TrainingHours", MetricUnit.NoUnit, float(detail["trainingHours"]), solution)
    elif detail_type == "Run Succeeded" and detail.get("outcome") in RUN_OUTCOMES:
        _put(RUN_OUTCOMES[detail["outcome"]], MetricUnit.Count, 1, group)
    elif detail_type == "Run Failed":
        _put("RunsFailed", MetricUnit.Count, 1, group)
