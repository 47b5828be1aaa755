"""Experiments in a run: a campaign with an experiment keeps serving what it serves, and this run's version of the
challenger's solution is deployed beside it as the challenger campaign; Publish then writes the experiment's SSM
parameter (both variants' ARNs and the share), which get_recommendations splits users by.

A champion that does not exist yet is created as any campaign is (from its own solution), so a first run deploys both
variants: with another solution as challenger that is an A/B test at once; with the campaign's own solution it is an
A/A test until the next run trains a new version.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from workflow import aws, batch_serving, campaigns, naming, schedules
from workflow.resources import PENDING, find, personalize


def experiment_for(params: dict[str, Any], campaign_name: str) -> dict[str, Any] | None:
    return next((e for e in params.get("experiments") or [] if e["campaign"] == campaign_name), None)


def challenger_block(campaign: dict[str, Any], experiment: dict[str, Any]) -> dict[str, Any]:
    """The challenger as a campaign of the params: the champion's settings, its own name and solution."""
    solution = (experiment.get("challenger") or {}).get("solution") or campaign["solution"]
    name = naming.challenger_campaign(campaign["name"], experiment["name"])
    return {**campaign, "name": name, "solution": solution}


def _held(campaign: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """The champion left as it is: ready once no create or update of it is pending."""
    found = personalize().describe_campaign(campaignArn=summary["campaignArn"])["campaign"]
    latest = found.get("latestCampaignUpdate") or {}
    ready = found["status"] == "ACTIVE" and latest.get("status") not in PENDING
    version = latest.get("solutionVersionArn") or found.get("solutionVersionArn")
    return {
        "campaign": campaign["name"],
        "campaignArn": found["campaignArn"],
        "action": "unchanged",
        "ready": ready,
        "solutionVersionArn": version,
    }


def deploy(
    params: dict[str, Any], campaign: dict[str, Any], solutions: list[dict[str, Any]], previous: dict[str, Any]
) -> dict[str, Any]:
    """Deploy Campaign for a campaign: as campaigns.deploy_campaign without an experiment; with one, the champion is
    created when absent (never updated) and the challenger created or updated to this run's version."""
    experiment = experiment_for(params, campaign["name"])
    if experiment is None:
        return campaigns.deploy_campaign(params, campaign, solutions, previous.get("action"))
    name = naming.campaign(aws.env("PREFIX"), params["datasetGroup"]["name"], campaign["name"])
    summary = find("list_campaigns", "campaigns", name)
    if summary is None or previous.get("action") == "created":
        champion = campaigns.deploy_campaign(params, campaign, solutions, previous.get("action"))
    else:
        champion = _held(campaign, summary)
    before = (previous.get("experiment") or {}).get("challenger") or {}
    block = challenger_block(campaign, experiment)
    if any(s.get("solution") == block["solution"] for s in solutions):
        challenger = campaigns.deploy_campaign(params, block, solutions, before.get("action"))
    else:  # a retrain-only run of the champion's solution: the challenger keeps what it serves
        reason = f"solution {block['solution']!r} was not trained in this run"
        challenger = {"campaign": block["name"], "campaignArn": None, "action": "skipped", "ready": True}
        challenger.update(solutionVersionArn=None, reason=reason)
    ready = bool(champion["ready"] and challenger["ready"])
    return {**champion, "ready": ready, "experiment": {"name": experiment["name"], "challenger": challenger}}


def _round(version_arn: str) -> str:
    """An experiment's round: the challenger version's id (a new challenger version starts a new count)."""
    return version_arn.rsplit("/", 1)[-1]


def config(params: dict[str, Any], deployed: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any] | None:
    """The SSM parameter's document for a deployed campaign with an experiment; None when its challenger was
    skipped by the gate (the parameter then stays as it is)."""
    challenger = (deployed.get("experiment") or {}).get("challenger") or {}
    if challenger.get("action") == "skipped" or not challenger.get("campaignArn"):
        return None
    experiment = experiment_for(params, deployed["campaign"])
    if experiment is None:
        return None
    version = str(challenger["solutionVersionArn"])
    round_ = _round(version)
    same = bool(existing and existing.get("round") == round_)
    started = existing.get("startedAt") if existing and same else None
    earlier = list((existing or {}).get("earlierRounds") or [])  # their items stay counted until teardown
    if existing and not same:
        earlier.append(existing["round"])
    return {
        "name": experiment["name"],
        "datasetGroup": params["datasetGroup"]["name"],
        "campaign": deployed["campaign"],
        "round": round_,
        "earlierRounds": earlier,
        "startedAt": started or datetime.now(UTC).isoformat(timespec="seconds"),
        "trafficShare": experiment.get("trafficShare", 0.5),
        "conversionEventType": experiment["conversionEventType"],
        "minimumDetectableEffect": experiment.get("minimumDetectableEffect", 0.1),
        "alpha": experiment.get("alpha", 0.05),
        "power": experiment.get("power", 0.8),
        "autoPromote": experiment.get("autoPromote"),
        "champion": {"campaignArn": deployed["campaignArn"], "solutionVersionArn": deployed["solutionVersionArn"]},
        "challenger": {
            "campaign": challenger["campaign"],
            "campaignArn": challenger["campaignArn"],
            "solutionVersionArn": version,
        },
    }


def read(name: str) -> dict[str, Any] | None:
    """An experiment parameter's document, or None when there is none."""
    try:
        value = aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as exc:
        if aws.error_code(exc) == "ParameterNotFound":
            return None
        raise
    return dict(json.loads(value))


def publish(run_group: str, params: dict[str, Any], deployed: list[dict[str, Any]]) -> list[str]:
    """Write (or keep) the experiment parameter of each deployed campaign that has an experiment, and make its
    automatic check's schedule what autoPromote says; a campaign of this run without an experiment loses both (its
    experiment was removed from the params: serving stops splitting)."""
    prefix, ssm, written = aws.env("PREFIX"), aws.client("ssm"), []
    for result in deployed:
        name = naming.experiment_parameter(prefix, run_group, result["campaign"])
        existing = read(name)
        experiment = experiment_for(params, result["campaign"])
        if experiment is None:
            if existing is not None:
                ssm.delete_parameter(Name=name)
                schedules.delete(naming.experiment_schedule(run_group, result["campaign"]))
            continue
        document = config(params, result, existing)
        if document is not None:
            value = json.dumps(document, separators=(",", ":"))
            ssm.put_parameter(
                Name=name, Value=value, Type="String", Overwrite=True, Description="autopersonalize experiment"
            )
            written.append(name)
            _schedule_check(document)
    return written


def _schedule_check(document: dict[str, Any]) -> None:
    """The experiment's autoPromote check as an EventBridge Scheduler schedule invoking Check Experiment (Lambda's
    templated target, "Using templated targets in EventBridge Scheduler"), as the stack's scheduler role; deleted
    when the experiment has no autoPromote."""
    name = naming.experiment_schedule(document["datasetGroup"], document["campaign"])
    check = document.get("autoPromote")
    if not check:
        schedules.delete(name)
        return
    event = {"experiment": {"datasetGroup": document["datasetGroup"], "campaign": document["campaign"]}}
    what = f"check of experiment {document['datasetGroup']}/{document['name']}"
    expression, timezone = check.get("check", "rate(1 day)"), check.get("timezone", "UTC")
    schedules.put(
        name, schedules.arguments(expression, timezone, aws.env("CHECK_EXPERIMENT_FUNCTION_ARN"), event, what)
    )


def partition(document: dict[str, Any], round_: str | None = None) -> str:
    """The experiments table's partition of a round (serving/experiments.py writes it; a test checks they agree)."""
    return f"{document['datasetGroup']}#{document['name']}#{round_ or document['round']}"


def delete_counted(document: dict[str, Any], budget_seconds: float) -> bool:
    """Teardown and promotion: delete every round's items for at most `budget_seconds`; True when all are gone."""
    started = time.monotonic()
    for round_ in [*(document.get("earlierRounds") or []), document["round"]]:
        while batch_serving.delete_page(partition(document, round_), "EXPERIMENTS_TABLE"):
            if time.monotonic() - started > budget_seconds:
                return False
    return True
