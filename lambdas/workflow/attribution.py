"""The dataset group's metric attribution, when the params have experiments: one SAMPLECOUNT() metric per conversion
event type, so Personalize reports each variant's conversions per `eventAttributionSource` (serving/outcomes.py sends
the variant's campaign name) to CloudWatch.

Personalize allows one metric attribution per dataset group ("Guidelines and requirements for a metric attribution");
it is found by listing, created when absent, updated (addMetrics / removeMetrics) when the event types changed, and
waited for until ACTIVE like the filters and the event tracker beside it. No S3 output: the CloudWatch metrics are
what the PutEvents of POST /events produce (S3 reports cover bulk imports only).
"""

from __future__ import annotations

from typing import Any

from workflow import aws, naming
from workflow.errors import ResourceConflictError, ResourceFailedError
from workflow.resources import PENDING, pages, personalize, unless_limited


def wanted_metrics(params: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The metrics the experiments need, by metric name: one count per distinct conversionEventType."""
    types = sorted({e["conversionEventType"] for e in params.get("experiments") or []})
    metrics = [
        {"eventType": t, "expression": "SAMPLECOUNT()", "metricName": naming.attribution_metric(t)} for t in types
    ]
    return {m["metricName"]: m for m in metrics}


def _found(group_arn: str, name: str, group: str) -> dict[str, Any] | None:
    found = list(pages("list_metric_attributions", "metricAttributions", datasetGroupArn=group_arn))
    other = next((a for a in found if a["name"] != name), None)
    if other is not None:
        raise ResourceConflictError(
            f"dataset group {group} already has metric attribution {other['name']} ({other['metricAttributionArn']}), "
            f"and Personalize allows one per dataset group; the experiments need {name}: delete the other one "
            "(aws personalize delete-metric-attribution) or remove experiments from the params"
        )
    return found[0] if found else None


def _failed(arn: str, status: str, reason: str | None, name: str) -> ResourceFailedError:
    what = (
        f"{reason or 'no failureReason'} (metric attribution {name}: the stack's Personalize role needs "
        f"cloudwatch:PutMetricData; fix the role, delete the attribution with aws personalize "
        f"delete-metric-attribution --metric-attribution-arn {arn}, then drop the params file again)"
    )
    return ResourceFailedError(arn, status, what)


def ensure_metric_attribution(params: dict[str, Any], group_arn: str) -> dict[str, Any] | None:
    """Create or update the metric attribution the experiments need (None without experiments); `ready` once ACTIVE
    with exactly the wanted metrics."""
    wanted = wanted_metrics(params)
    if not wanted:
        return None
    group = params["datasetGroup"]["name"]
    name = naming.metric_attribution(aws.env("PREFIX"), group)
    summary = _found(group_arn, name, group)
    if summary is None:
        output = {"roleArn": aws.env("PERSONALIZE_ROLE_ARN")}
        created = unless_limited(
            lambda: personalize().create_metric_attribution(
                name=name, datasetGroupArn=group_arn, metrics=list(wanted.values()), metricsOutputConfig=output
            )
        )
        return {"metricAttributionArn": created["metricAttributionArn"] if created else None, "ready": False}
    arn = str(summary["metricAttributionArn"])
    found = personalize().describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]
    status = str(found["status"])
    if status.endswith("FAILED") or status.startswith("DELETE"):
        raise _failed(arn, status, found.get("failureReason"), name)
    if status in PENDING:
        return {"metricAttributionArn": arn, "ready": False}
    current = {m["metricName"] for m in pages("list_metric_attribution_metrics", "metrics", metricAttributionArn=arn)}
    add = [metric for metric_name, metric in wanted.items() if metric_name not in current]
    remove = sorted(current - set(wanted))
    if add or remove:
        changes: dict[str, Any] = {"addMetrics": add} if add else {}
        changes.update({"removeMetrics": remove} if remove else {})
        personalize().update_metric_attribution(metricAttributionArn=arn, **changes)
        return {"metricAttributionArn": arn, "ready": False}
    return {"metricAttributionArn": arn, "ready": True}
