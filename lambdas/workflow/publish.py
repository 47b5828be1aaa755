"""Publish: an SSM parameter per deployed campaign (its ARN), per filter (its ARN) and for the event tracker."""

from __future__ import annotations

from typing import Any

from workflow import aws, naming


def _put(name: str, value: str, description: str) -> str:
    aws.client("ssm").put_parameter(Name=name, Value=value, Type="String", Overwrite=True, Description=description)
    return name


def publish(group: str, campaigns: list[dict[str, Any]], serving: dict[str, Any]) -> dict[str, Any]:
    """Write the parameters get_recommendations reads; a campaign the gate skipped keeps its previous parameter.

    `group` is the params' datasetGroup.name; `campaigns` and `serving` are the results of Deploy Campaigns and
    Ensure Filters And Tracker."""
    prefix = aws.env("PREFIX")
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
    return {"parameters": written}
