"""Notify: one SNS message per run (outcome, metrics vs gate, ARNs, row counts, durations) and its EventBridge event."""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from workflow import aws, events, history, run_params
from workflow.steps import Run

RESUME_HINT = "Fix the cause, then drop the same params file again: finished imports and trainings are reused."


def _outcome(state: dict[str, Any]) -> str:
    gated = [*(state.get("solutions") or []), *(state.get("recommenders") or [])]
    rejected = any(not (s.get("gate") or {}).get("passed", True) for s in gated)
    return "REJECTED" if rejected else "DEPLOYED"


def summary(
    state: dict[str, Any], outcome: str, warnings: list[str], export: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the run did, as data (the execution's output, and the source of the message text); `export`: what the
    interactions export measured (data_check.export_summary), whose baselines are shown beside the models."""
    run = state.get("run") or {}
    return {
        "outcome": outcome,
        "datasetGroup": run.get("datasetGroup"),
        "params": f"s3://{run.get('bucket')}/{run.get('key')}" if run else None,
        "execution": run.get("executionId"),
        "durationSeconds": round(time.time() - run["startedAt"], 1) if run.get("startedAt") else None,
        "imports": [
            {k: i.get(k) for k in ("datasetType", "action", "status", "rowsCounted", "jobArn")}
            for i in state.get("imports") or []
        ],
        "solutions": [
            {
                "solution": s["solution"],
                "solutionArn": s.get("solutionArn"),
                "action": s.get("action"),
                "solutionVersionArn": s.get("solutionVersionArn"),
                "trainingMode": s.get("trainingMode"),
                "trainingHours": s.get("trainingHours"),
                "metrics": s.get("metrics"),
                **(s.get("gate") or {}),
            }
            for s in state.get("solutions") or []
        ],
        "campaigns": [
            {
                **{k: c.get(k) for k in ("campaign", "action", "campaignArn", "solutionVersionArn", "reason")},
                **({"experiment": c["experiment"]} if c.get("experiment") else {}),
            }
            for c in state.get("campaigns") or []
        ],
        "recommenders": [
            {
                **{k: r.get(k) for k in ("recommender", "recipe", "action", "recommenderArn", "servedArn")},
                "metrics": r.get("metrics"),
                **(r.get("gate") or {}),
            }
            for r in state.get("recommenders") or []
        ],
        "retiredRecommenders": (state.get("published") or {}).get("retiredRecommenders", []),
        "batchInference": state.get("batch") or [],
        "batchSegments": state.get("segments") or [],
        "parameters": (state.get("published") or {}).get("parameters", []),
        "schedules": (state.get("published") or {}).get("schedules", []),
        "warnings": list(warnings),
        "baselines": {k: v for k, v in ((export or {}).get("baselines") or {}).items() if isinstance(v, dict)},
    }


def _check_line(check: dict[str, Any]) -> str:
    value = "missing" if check.get("value") is None else f"{check['value']:.3f}"
    parts = [f"minimum {check['minimum']:.3f}"] if check.get("minimum") is not None else []
    if check.get("deployed") is not None:
        parts.append(f"deployed {check['deployed']:.3f}, allowed drop {check.get('maxDrop') or 0:.3f}")
    if check.get("minLift") is not None:
        baseline = "no baseline" if check.get("baseline") is None else f"better baseline {check['baseline']:.3f}"
        parts.append(f"at least {check['minLift']:g}x the {baseline}")
    verdict = "ok" if check.get("passed") else "FAILED"
    return f"      {check['metric']} {value} ({'; '.join(parts) or 'no limit'}): {verdict}"


def render(data: dict[str, Any]) -> str:
    """The message body people read in their mail."""
    lines = [
        f"autopersonalize: dataset group {data['datasetGroup']}: {data['outcome']}",
        f"Params: {data['params']}",
        f"Execution: {data['execution']}",
        f"Duration: {data['durationSeconds']} s",
        "",
        "Imports (Personalize reports each job's status, not its record counts):",
    ]
    for i in data["imports"]:
        counted = i.get("rowsCounted")
        rows = "rows not counted" if counted is None else f"~{counted} rows counted in its files (an estimate)"
        lines.append(
            f"  {i['datasetType']}: {i['action']}, {i.get('status') or 'status unknown'}, {rows}, {i['jobArn']}"
        )
    lines.append("Solutions:")
    for s in data["solutions"]:
        verdict = "PASSED" if s.get("passed") else "REJECTED: " + "; ".join(s.get("reasons") or [])
        lines.append(
            f"  {s['solution']}: {s['action']} {s['solutionVersionArn']}"
            f" (training hours {s.get('trainingHours')}); gate {verdict}"
        )
        lines += [_check_line(c) for c in s.get("checks") or []]
        lines += [f"      note: {n}" for n in s.get("notes") or []]
    if data.get("baselines"):
        lines.append("Baselines (estimated by the export on Personalize's split definition):")
        for name, values in data["baselines"].items():
            shown = ", ".join(f"{metric} {value:.3f}" for metric, value in values.items())
            lines.append(f"  {name}: {shown}")
    lines.append("Campaigns:")
    for c in data["campaigns"]:
        detail = (
            f"skipped ({c['reason']})"
            if c["action"] == "skipped"
            else f"{c['action']}, serves {c['solutionVersionArn']}"
        )
        arn = f"; {c['campaignArn']}" if c.get("campaignArn") else ""
        lines.append(f"  {c['campaign']}: {detail}{arn}")
        lines += _experiment_lines(c.get("experiment"))
    lines += _recommender_lines(data.get("recommenders") or [], data.get("retiredRecommenders") or [])
    lines += [
        f"Batch inference: {b['job']}: {b['action']} {b.get('batchInferenceJobArn')}{_served(b)}"
        for b in data["batchInference"]
    ]
    lines += [_segment_line(s) for s in data.get("batchSegments") or []]
    lines += ["SSM parameters:", *(f"  {p}" for p in data["parameters"])]
    schedules = data.get("schedules") or []
    lines += ["Retraining schedules:", *(f"  {x['schedule']}: {x['action']}" for x in schedules)] if schedules else []
    lines += ["Warnings:", *(f"  {w}" for w in data["warnings"])] if data["warnings"] else []
    return "\n".join(lines)


def _recommender_lines(found: list[dict[str, Any]], retired: list[str]) -> list[str]:
    """Each recommender: what the run did, what is served now, and the gate's numbers on a new one."""
    lines = ["Recommenders:"] if found else []
    for r in found:
        if r["action"] == "rejected":
            served = f"; still served: {r['servedArn']}" if r.get("servedArn") else "; none served"
            lines.append(f"  {r['recommender']}: new {r['recipe']} recommender REJECTED and deleted: "
                         f"{'; '.join(r.get('reasons') or [])}{served}")  # fmt: skip
        else:
            lines.append(f"  {r['recommender']}: {r['action']}, serves {r['recommenderArn']} ({r['recipe']})")
        lines += [_check_line(c) for c in r.get("checks") or []]
        lines += [f"      note: {n}" for n in r.get("notes") or []]
    lines += [f"  replaced and deleted: {arn}" for arn in retired]
    return lines


def _served(job: dict[str, Any]) -> str:
    """How much of a served job's output get_recommendations now answers from DynamoDB."""
    load = job.get("load") or {}
    if "loaded" not in load:
        return ""
    failed = f", {load['failed']} output line(s) with an error skipped" if load.get("failed") else ""
    return f"; serves {load['loaded']} users from DynamoDB{failed}"


def _segment_line(job: dict[str, Any]) -> str:
    if job.get("action") == "skipped":
        return f"User segments: {job['job']}: skipped ({job.get('reason')})"
    arn, output = job.get("batchSegmentJobArn"), job.get("output")
    return f"User segments: {job['job']}: {job['action']} {arn}, written to {output}"


def _send(group: str | None, outcome: str, body: str, data: dict[str, Any]) -> None:
    subject = f"autopersonalize {group or '?'}: {outcome}"[:100]
    attributes = {"outcome": {"DataType": "String", "StringValue": outcome}}
    if group:
        attributes["datasetGroup"] = {"DataType": "String", "StringValue": group}
    aws.client("sns").publish(
        TopicArn=aws.env("TOPIC_ARN"), Subject=subject, Message=body, MessageAttributes=attributes
    )


def notify(
    state: dict[str, Any], params: dict[str, Any], warnings: list[str], export: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The run ended Succeeded: DEPLOYED, or REJECTED when a gate said no (its campaigns were left alone).

    `state` holds what the run did (run, imports, solutions, campaigns, batch, segments, published); `params` and
    `warnings` are the run's validated params and their warnings (workflow.run_params)."""
    outcome = _outcome(state)
    data = summary(state, outcome, warnings, export)
    wanted = (params.get("notifications") or {}).get("onRejected" if outcome == "REJECTED" else "onSuccess")
    if wanted is not False:
        _send(data["datasetGroup"], outcome, render(data), data)
    events.emit("Run Succeeded", params, {"outcome": outcome, "execution": data["execution"]})
    return data


def _error(state: dict[str, Any]) -> tuple[str, str]:
    error = state.get("error") or {}
    name, cause = str(error.get("Error", "Unknown")), str(error.get("Cause", ""))
    try:
        payload = json.loads(cause)
    except ValueError:
        return name, cause
    return name, str(payload.get("errorMessage", cause)) if isinstance(payload, dict) else cause


def _group_of(state: dict[str, Any]) -> str | None:
    run = state.get("run") or {}
    if run.get("datasetGroup"):
        return str(run["datasetGroup"])
    key = str(((state.get("detail") or {}).get("object") or {}).get("key", ""))
    return key.rsplit("/", 1)[-1].removesuffix(".json") or None


def params_at_failure(state: dict[str, Any]) -> dict[str, Any] | None:
    """The run's params when Load Params got as far as keeping them, else None; a failure to read them must not stop
    the failure notice (it is logged by the caller's result instead)."""
    found = state.get("run")
    if not isinstance(found, dict) or not found.get("snapshot"):
        return None
    try:
        return run_params.params_of(Run.model_validate(found))
    except ClientError:
        return None


def notify_failure(state: dict[str, Any], execution_id: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """The run failed: say which step, the error (with Personalize's failureReason) and what to do."""
    name, message = _error(state)
    step = history.failing_state(execution_id) or "unknown step"
    group = _group_of(state)
    run = state.get("run") or {}
    body = "\n".join(
        [
            f"autopersonalize: dataset group {group}: FAILED",
            f"Failed step: {step}",
            f"Error: {name}",
            f"Reason: {message}",
            f"Params: s3://{run.get('bucket')}/{run.get('key')}" if run else "",
            f"Execution: {execution_id}",
            "",
            RESUME_HINT,
        ]
    )
    wanted = ((params or {}).get("notifications") or {}).get("onFailure")
    if wanted is not False:
        _send(group, "FAILED", body, {})
    events.emit(
        "Run Failed",
        params,
        {"datasetGroup": group, "step": step, "error": name, "reason": message, "execution": execution_id},
    )
    return {"outcome": "FAILED", "step": step, "error": name, "reason": message}


def _experiment_lines(experiment: dict[str, Any] | None) -> list[str]:
    """A campaign's experiment: its challenger campaign beside it (or why this run left it as it was)."""
    if not experiment:
        return []
    challenger = experiment["challenger"]
    if challenger["action"] == "skipped":
        return [
            f"    experiment {experiment['name']}: challenger {challenger['campaign']} skipped ({challenger['reason']})"
        ]
    return [
        f"    experiment {experiment['name']}: challenger {challenger['campaign']} {challenger['action']}, serves "
        f"{challenger['solutionVersionArn']}; {challenger['campaignArn']}"
    ]
