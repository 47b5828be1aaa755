"""Publish: an SSM parameter per deployed campaign (its ARN), per filter (its ARN) and for the event tracker."""

from __future__ import annotations

from typing import Any

from workflow import aws, naming


def _put(name: str, value: str, description: str) -> str:
    aws.client("ssm").put_parameter(Name=name, Value=value, Type="String", Overwrite=True, Description=description)
    return name


def publish(state: dict[str, Any]) -> dict[str, Any]:
    """Write the parameters get_recommendations reads; a campaign the gate skipped keeps its previous parameter."""
    prefix, group = aws.env("PREFIX"), state["params"]["datasetGroup"]["name"]
    written: list[str] = []
    for campaign in state.get("campaigns") or []:
        if campaign.get("action") != "skipped" and campaign.get("campaignArn"):
            name = naming.campaign_parameter(prefix, group, campaign["campaign"])
            written.append(_put(name, campaign["campaignArn"], f"autopersonalize campaign {campaign['campaign']}"))
    serving = state.get("serving") or {}
    for found in serving.get("filters") or []:
        name = naming.filter_parameter(prefix, group, found["name"])
        written.append(_put(name, found["filterArn"], f"autopersonalize filter {found['name']}"))
    tracker = serving.get("eventTracker")
    if tracker and tracker.get("trackingId"):
        name = naming.event_tracker_parameter(prefix, group)
        written.append(_put(name, tracker["trackingId"], "autopersonalize event tracker trackingId"))
    return {"parameters": written}
