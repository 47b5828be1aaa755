"""Evaluate: read the new version's metrics and the deployed version's, and ask the gate (a pure function)."""

from __future__ import annotations

from typing import Any

from workflow import aws, events, gate, metrics, naming
from workflow.resources import ACTIVE, find, pages, personalize


def metrics_of(version_arn: str) -> dict[str, float] | None:
    """GetSolutionMetrics, or None when the version has none (UPDATE versions and automatic updates)."""
    found = personalize().get_solution_metrics(solutionVersionArn=version_arn).get("metrics") or {}
    return {k: float(v) for k, v in found.items()} or None


def _latest_full(solution_arn: str) -> str | None:
    """The newest ACTIVE FULL version of the solution (what an UPDATE version was built on)."""
    summaries = sorted(
        pages("list_solution_versions", "solutionVersions", solutionArn=solution_arn),
        key=lambda s: s["creationDateTime"],
        reverse=True,
    )
    for summary in summaries:
        if summary["status"] == ACTIVE and summary.get("trainingMode", "FULL") != "UPDATE":
            return str(summary["solutionVersionArn"])
    return None


def deployed_version(params: dict[str, Any], solution: str) -> str | None:
    """The version a campaign of this solution serves now (the first such campaign that exists)."""
    for campaign in params.get("campaigns") or []:
        if campaign.get("solution") != solution:
            continue
        name = naming.campaign(aws.env("PREFIX"), params["datasetGroup"]["name"], campaign["name"])
        summary = find("list_campaigns", "campaigns", name)
        if summary is not None:
            found = personalize().describe_campaign(campaignArn=summary["campaignArn"])["campaign"]
            arn = found.get("solutionVersionArn")
            if arn and not arn.endswith("/$LATEST"):
                return str(arn)
    return None


def evaluate(
    params: dict[str, Any],
    solution: dict[str, Any],
    solution_arn: str,
    version: dict[str, Any],
    baselines: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The gate's decision for this run's version of `solution`, with the numbers it used (`baselines`: what the
    interactions export computed, data_check.export_summary)."""
    new_arn = str(version["solutionVersionArn"])
    notes: list[str] = []
    read_from = new_arn
    if version.get("trainingMode") == "UPDATE":
        read_from = _latest_full(solution_arn) or new_arn
        notes.append(f"UPDATE versions have no offline metrics; the gate read the FULL version {read_from}")
    found = metrics_of(read_from)
    deployed_arn = deployed_version(params, solution["name"])
    deployed = metrics_of(deployed_arn) if deployed_arn else None
    if deployed_arn and deployed is None:
        notes.append(f"the deployed version {deployed_arn} has no offline metrics; drop checks are skipped")
    rule = gate.rule_for(
        solution["name"],
        params.get("metricsGate") or [],
        float(aws.env("GATE_MIN_NDCG_AT_10", "0")),
        float(aws.env("GATE_MAX_DROP", "0.1")),
    )
    by_name = {name: values for name, values in (baselines or {}).items() if isinstance(values, dict)}
    decision = gate.evaluate(rule, found, deployed, by_name or None)
    decision.notes = notes + decision.notes
    group = params.get("datasetGroup", {}).get("name")
    metrics.gate_metrics(group, solution["name"], new_arn, found or {}, rule.minimums, decision.passed)
    events.emit(
        "Gate Decision",
        params,
        {
            "solution": solution["name"],
            "solutionVersionArn": new_arn,
            "passed": decision.passed,
            "reasons": decision.reasons,
        },
    )
    return {
        "solution": solution["name"],
        "solutionArn": solution_arn,
        "solutionVersionArn": new_arn,
        "trainingMode": version.get("trainingMode"),
        "action": version.get("action"),
        "trainingHours": version.get("trainingHours"),
        "metrics": found or {},
        "deployedVersionArn": deployed_arn,
        "gate": decision.model_dump(by_alias=True),
        "baselines": by_name,
    }
