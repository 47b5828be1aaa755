"""Publish: an SSM parameter per deployed campaign, filter and the event tracker; the params' retraining schedules."""

from __future__ import annotations

from typing import Any

from workflow import aws, experiments, naming, recommenders, run_params, schedules
from workflow.steps import Run


def _put(name: str, value: str, description: str) -> str:
    aws.client("ssm").put_parameter(Name=name, Value=value, Type="String", Overwrite=True, Description=description)
    return name


def publish(
    run: Run, campaigns: list[dict[str, Any]], serving: dict[str, Any], served: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Write the parameters get_recommendations reads (a campaign the gate skipped keeps its previous parameter);
    a full run then makes the retraining schedules those of its params (workflow.schedules), a retrain-only run
    leaves them as they are.

    `campaigns` and `serving` are the results of Deploy Campaigns and Ensure Filters And Tracker, `served` those of
    the Recommenders Map (a passed recommender's parameter names it, and the one it replaces is deleted)."""
    prefix, group = aws.env("PREFIX"), run.dataset_group
    written: list[str] = []
    for campaign in campaigns:
        if campaign.get("action") != "skipped" and campaign.get("campaignArn"):
            name = naming.campaign_parameter(prefix, group, campaign["campaign"])
            written.append(_put(name, campaign["campaignArn"], f"autopersonalize campaign {campaign['campaign']}"))
    for found in serving.get("filters") or []:
        name = naming.filter_parameter(prefix, group, found["name"])
        written.append(_put(name, found["filterArn"], f"autopersonalize filter {found['name']}"))
    tracker = serving.get("eventTracker")
    if tracker and tracker.get("trackingId"):
        name = naming.event_tracker_parameter(prefix, group)
        written.append(_put(name, tracker["trackingId"], "autopersonalize event tracker trackingId"))
    params = run_params.params_of(run)
    written += experiments.publish(group, params, campaigns)
    pointers, retired = recommenders.publish(params, served or [])
    written += pointers
    extra = {"retiredRecommenders": retired} if retired else {}
    if params.get("retrain"):
        return {"parameters": written, **extra}
    return {"parameters": written, **extra, "schedules": schedules.sync(run, params)}
