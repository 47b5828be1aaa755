"""Metric attributions: Create/Describe/List/Update/Delete MetricAttribution and ListMetricAttributionMetrics.

Evidence: botocore's `personalize/2018-05-22` model (shapes, lengths, the 10-item lists: checked for every request
by `model.py`), and the developer guide's "Measuring recommendation impact with a metric attribution" pages
(awsdocs/amazon-personalize-developer-guide, doc_source/metric-attribution-requirements.md,
creating-metric-attribution.md, updating-metric-attribution.md, deleting-metric-attribution.md):
- "You can create at most one metric attribution per dataset group. Each metric attribution can have at most 10
  metrics" (requirements) -> ResourceAlreadyExistsException (in CreateMetricAttribution's error list), and an
  InvalidInputException when an update would pass 10;
- "Your Interactions dataset must have an EVENT_TYPE column" (requirements);
- "Available functions include SUM(DatasetType.COLUMN_NAME) and SAMPLECOUNT() ... You can apply SUM() functions to
  only numeric columns of Items and Interactions datasets. To apply a SUM() function to a column in an Items dataset,
  you must first import item metadata" (creating);
- the role "must have PutMetricData permissions for CloudWatch" and "When you grant permissions, Amazon Personalize
  places and validates a small amount of data in CloudWatch" (creating, requirements): checked while IAM is enforced,
  a role that cannot publish ends the create in CREATE FAILED with the reason (the guide names no error code);
- metrics are removed by `metricName` (updating), so names are unique within an attribution.
Not emulated: computing and publishing the metrics (CloudWatch every 15 minutes, S3 reports at import).
"""

from __future__ import annotations

import re
from typing import Any

from autopersonalize.emulator import auth
from autopersonalize.emulator.datasets import DatasetGroup, Schema, datasets_of, require_active
from autopersonalize.emulator.lifecycle import Lifecycle, WorkFailed, is_immediate, run_work
from autopersonalize.emulator.model import PersonalizeError, in_use, invalid
from autopersonalize.emulator.store import Resource, Store, describe, operation, paginate

MAX_METRICS = 10
NUMERIC = ("int", "long", "float", "double")
_SUM = re.compile(r"SUM\((Interactions|Items)\.([A-Za-z_][A-Za-z0-9_]*)\)")


class MetricAttribution(Resource):
    kind, arn_key = "metric-attribution", "metricAttributionArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        super().__init__(store, arn, name, params)
        self.metrics: list[dict[str, str]] = [dict(m) for m in params["metrics"]]
        self.phase: Lifecycle | None = None  # an update's UPDATE PENDING -> UPDATE IN_PROGRESS -> ACTIVE

    @property
    def status(self) -> str:
        if self.deleting:
            return "DELETE PENDING"
        return self.phase.current() if self.phase else self.lifecycle.current()

    def observe(self) -> None:
        if not self.deleting:
            (self.phase or self.lifecycle).observe(self.store.lock)

    def view(self) -> dict[str, Any]:
        view = {k: v for k, v in super().view().items() if k != "metrics"}
        if self.phase:
            view["lastUpdatedDateTime"] = max(view["lastUpdatedDateTime"], self.phase.updated)
        return view


def _check_expression(store: Store, group: DatasetGroup, metric: dict[str, str]) -> None:
    expression = metric["expression"].strip()
    if expression == "SAMPLECOUNT()":
        return
    match = _SUM.fullmatch(expression)
    if match is None:
        raise invalid(
            f"metrics: expression {metric['expression']!r} of metric {metric['metricName']!r} is not one of "
            "SAMPLECOUNT() and SUM(DatasetType.COLUMN_NAME) with DatasetType Interactions or Items."
        )
    kind, column = match.group(1).upper(), match.group(2)
    dataset = datasets_of(store, group.arn).get(kind)
    if kind == "ITEMS" and (dataset is None or dataset.data is None):
        raise invalid(f"metrics: {expression} needs item metadata: import the Items dataset first.")
    fields = {f.name: f.type for f in store.get(Schema, dataset.params["schemaArn"]).fields} if dataset else {}
    if fields.get(column) not in NUMERIC:
        found = fields.get(column, "no such column")
        raise invalid(
            f"metrics: {expression} needs a numeric column of the {match.group(1)} dataset; {column}: {found}."
        )


def _check_metrics(store: Store, group: DatasetGroup, metrics: list[dict[str, str]]) -> None:
    if len(metrics) > MAX_METRICS:
        raise invalid(
            f"metrics: a metric attribution can have at most {MAX_METRICS} metrics; it would have {len(metrics)}."
        )
    names = [m["metricName"] for m in metrics]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise invalid(f"metrics: metricName must be unique within a metric attribution; repeated: {repeated}.")
    for metric in metrics:
        _check_expression(store, group, metric)


def _interactions_with_event_type(store: Store, group: DatasetGroup) -> None:
    dataset = datasets_of(store, group.arn).get("INTERACTIONS")
    if dataset is None:
        raise invalid(f"Dataset group {group.arn} has no Interactions dataset; a metric attribution reports on it.")
    fields = {f.name for f in store.get(Schema, dataset.params["schemaArn"]).fields}
    if "EVENT_TYPE" not in fields:
        raise invalid(
            f"The Interactions dataset {dataset.arn} has no EVENT_TYPE column; a metric attribution needs one."
        )


def _publish_check(store: Store, attribution: MetricAttribution) -> None:
    """The role must let Personalize publish to CloudWatch (evaluated only while IAM is enforced)."""
    role = str(attribution.params["metricsOutputConfig"]["roleArn"])
    why = auth.role_may(store.account, role, attribution.arn, "cloudwatch:PutMetricData", "*")
    if why:
        raise WorkFailed(f"Amazon Personalize cannot publish the metrics to CloudWatch: {why}.")


@operation("CreateMetricAttribution")
def create_metric_attribution(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = store.get(DatasetGroup, p["datasetGroupArn"])
    require_active(group, "Dataset group")
    existing = [a.arn for a in store.all(MetricAttribution) if a.params["datasetGroupArn"] == group.arn]
    if existing:
        raise PersonalizeError(
            "ResourceAlreadyExistsException",
            f"Dataset group {group.arn} already has a metric attribution ({existing[0]}); only one is allowed per "
            "dataset group.",
        )
    _interactions_with_event_type(store, group)
    _check_metrics(store, group, p["metrics"])
    attribution = MetricAttribution(store, store.arn(f"metric-attribution/{p['name']}"), p["name"], p)
    store.add(attribution)
    run_work(attribution.lifecycle, lambda: _publish_check(store, attribution), store.lock)
    return {"metricAttributionArn": attribution.arn}


@operation("DescribeMetricAttribution")
def describe_metric_attribution(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"metricAttribution": describe(store, MetricAttribution, p["metricAttributionArn"]).view()}


@operation("ListMetricAttributions")
def list_metric_attributions(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = p.get("datasetGroupArn")
    keys = ("name", "metricAttributionArn", "status", "creationDateTime", "lastUpdatedDateTime", "failureReason")
    rows = (
        {k: v for k, v in a.view().items() if k in keys}
        for a in store.all(MetricAttribution)
        if group in (None, a.params["datasetGroupArn"])
    )
    return paginate(rows, p, "metricAttributions")


@operation("ListMetricAttributionMetrics")
def list_metric_attribution_metrics(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    if not p.get("metricAttributionArn"):
        raise invalid("metricAttributionArn: required to list a metric attribution's metrics.")
    attribution = store.get(MetricAttribution, p["metricAttributionArn"])
    rows = [{**m, "creationDateTime": -i} for i, m in enumerate(attribution.metrics)]  # keeps their order
    page = paginate(rows, p, "metrics")
    page["metrics"] = [{k: v for k, v in m.items() if k != "creationDateTime"} for m in page["metrics"]]
    return page


@operation("UpdateMetricAttribution")
def update_metric_attribution(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    if not p.get("metricAttributionArn"):
        raise invalid("metricAttributionArn: required to update a metric attribution.")
    attribution = store.get(MetricAttribution, p["metricAttributionArn"])
    if attribution.status != "ACTIVE":
        raise in_use(
            f"Metric attribution {attribution.arn} is {attribution.status}; it can be updated only when ACTIVE."
        )
    names = {m["metricName"] for m in attribution.metrics}
    unknown = sorted(set(p.get("removeMetrics") or []) - names)
    if unknown:
        raise invalid(f"removeMetrics: metric attribution {attribution.arn} has no metrics named {unknown}.")
    kept = [m for m in attribution.metrics if m["metricName"] not in set(p.get("removeMetrics") or [])]
    clash = sorted({m["metricName"] for m in p.get("addMetrics") or []} & {m["metricName"] for m in kept})
    if clash:
        raise PersonalizeError(
            "ResourceAlreadyExistsException", f"addMetrics: metric attribution {attribution.arn} already has {clash}."
        )
    metrics = kept + [dict(m) for m in p.get("addMetrics") or []]
    _check_metrics(store, store.get(DatasetGroup, attribution.params["datasetGroupArn"]), metrics)
    attribution.metrics = metrics
    if p.get("metricsOutputConfig"):
        attribution.params["metricsOutputConfig"] = p["metricsOutputConfig"]
    attribution.phase = Lifecycle("UPDATE")
    run_work(attribution.phase, lambda: _publish_check(store, attribution), store.lock)
    return {"metricAttributionArn": attribution.arn}


@operation("DeleteMetricAttribution")
def delete_metric_attribution(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    attribution = store.get(MetricAttribution, p["metricAttributionArn"])
    if attribution.status in ("CREATE PENDING", "CREATE IN_PROGRESS", "UPDATE PENDING", "UPDATE IN_PROGRESS"):
        raise in_use(f"Metric attribution {attribution.arn} is {attribution.status}; delete it once it settles.")
    if is_immediate():
        store.remove(attribution)
    else:
        attribution.deleting = True
    return {}
