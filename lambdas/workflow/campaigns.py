"""Campaigns: create, or update to the new version and wait for latestCampaignUpdate; skipped when the gate says no."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from workflow import aws, events, naming
from workflow.errors import ResourceConflictError, ResourceFailedError
from workflow.resources import FAILED, PENDING, find, personalize, tag_args, unless_limited

# campaignConfig flags Personalize treats as false when absent (syncWithLatestSolutionVersion: "The default is False").
CONFIG_DEFAULTS: dict[str, Any] = {"syncWithLatestSolutionVersion": False, "enableMetadataWithRecommendations": False}


def _solution_result(campaign: dict[str, Any], solutions: list[dict[str, Any]]) -> dict[str, Any]:
    found = next((s for s in solutions if s.get("solution") == campaign["solution"]), None)
    if found is None:
        raise ResourceConflictError(
            f"campaigns[{campaign['name']}]: solution {campaign['solution']!r} was not trained in this run; "
            "name a solution of the params' solutions list"
        )
    return found


def _target(campaign: dict[str, Any], solution: dict[str, Any]) -> str:
    """The version to serve: the new one, or <solution>/$LATEST with syncWithLatestSolutionVersion."""
    if (campaign.get("campaignConfig") or {}).get("syncWithLatestSolutionVersion"):
        return f"{solution['solutionArn']}/$LATEST"
    return str(solution["solutionVersionArn"])


def _serves(current: str | None, target: str, config: dict[str, Any]) -> bool:
    """Whether the campaign serves `target`; a synced campaign may report the version $LATEST resolved to."""
    if current == target:
        return True
    latest = target.endswith("/$LATEST") and bool(config.get("syncWithLatestSolutionVersion"))
    return latest and str(current).startswith(target.removesuffix("$LATEST"))


def same_setting(found: Any, wanted: Any) -> bool:
    """Whether the service's value matches what the params set: maps only on the params' keys, numbers by value."""
    if isinstance(wanted, dict):
        found = found if isinstance(found, dict) else {}
        return all(same_setting(found.get(k, CONFIG_DEFAULTS.get(k)), v) for k, v in wanted.items())
    if isinstance(wanted, bool) or isinstance(found, bool):
        return bool(found) == wanted
    try:
        return float(found) == float(wanted)
    except (TypeError, ValueError):
        return bool(found == wanted)


def _differs(found: dict[str, Any], campaign: dict[str, Any], target: str) -> bool:
    """Whether the campaign needs UpdateCampaign: another version, TPS, or a campaignConfig key the params set.

    DescribeCampaign answers campaignConfig with the defaults Personalize filled in (exploration defaults, false flags),
    so keys the params leave out are not compared (a change would otherwise be seen on every run).
    """
    latest = found.get("latestCampaignUpdate") or {}
    current = latest.get("solutionVersionArn") or found.get("solutionVersionArn")
    tps = latest.get("minProvisionedTPS") or found.get("minProvisionedTPS")
    config = latest.get("campaignConfig") or found.get("campaignConfig") or {}
    wanted = campaign.get("campaignConfig") or {}
    changed = tps != campaign.get("minProvisionedTPS", 1) or not same_setting(config, wanted)
    return changed or not _serves(current, target, config)


def _result(campaign: dict[str, Any], arn: str | None, action: str, ready: bool, target: str | None) -> dict[str, Any]:
    return {
        "campaign": campaign["name"],
        "campaignArn": arn,
        "action": action,
        "ready": ready,
        "solutionVersionArn": target,
    }


def deploy_campaign(
    params: dict[str, Any],
    campaign: dict[str, Any],
    solutions: list[dict[str, Any]],
    previous_action: str | None = None,
) -> dict[str, Any]:
    """Idempotent: create when absent, update when it serves something else, report ready once ACTIVE."""
    solution = _solution_result(campaign, solutions)
    name = naming.campaign(aws.env("PREFIX"), params["datasetGroup"]["name"], campaign["name"])
    if not solution.get("gate", {}).get("passed"):
        reason = "; ".join(solution.get("gate", {}).get("reasons") or ["the gate rejected it"])
        existing = find("list_campaigns", "campaigns", name)
        arn = existing["campaignArn"] if existing else None
        return {**_result(campaign, arn, "skipped", True, None), "reason": reason}
    target = _target(campaign, solution)
    config = {"campaignConfig": campaign["campaignConfig"]} if campaign.get("campaignConfig") else {}
    tps = campaign.get("minProvisionedTPS", 1)
    summary = find("list_campaigns", "campaigns", name)
    if summary is None:
        created = unless_limited(
            lambda: personalize().create_campaign(
                name=name, solutionVersionArn=target, minProvisionedTPS=tps, **config, **tag_args(params)
            )
        )
        return _result(campaign, created["campaignArn"] if created else None, "created", False, target)
    found = personalize().describe_campaign(campaignArn=summary["campaignArn"])["campaign"]
    arn, latest = found["campaignArn"], found.get("latestCampaignUpdate") or {}
    action = previous_action or "unchanged"
    if found["status"] in PENDING or latest.get("status") in PENDING:
        return _result(campaign, arn, action, False, target)
    if latest.get("status") in FAILED and latest.get("solutionVersionArn") == target:
        raise ResourceFailedError(arn, f"update {latest['status']}", latest.get("failureReason"))
    if found["status"] in FAILED and not _differs(found, campaign, target):
        raise ResourceFailedError(arn, found["status"], found.get("failureReason"))
    if _differs(found, campaign, target):
        try:
            personalize().update_campaign(campaignArn=arn, solutionVersionArn=target, minProvisionedTPS=tps, **config)
        except ClientError as exc:  # an update already running, or a quota: wait and look again
            if aws.error_code(exc) not in {"ResourceInUseException", "LimitExceededException"}:
                raise
        return _result(campaign, arn, "updated", False, target)
    if action in {"created", "updated"} and found["status"] == "ACTIVE":
        events.emit(
            "Campaign Deployed",
            params,
            {"campaign": campaign["name"], "campaignArn": arn, "solutionVersionArn": target, "action": action},
        )
    return _result(campaign, arn, action, found["status"] == "ACTIVE", target)
