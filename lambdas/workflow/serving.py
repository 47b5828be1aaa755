"""Filters, the event tracker and (with experiments) the metric attribution: optional, describe-first, created when
absent; a changed filter is a conflict."""

from __future__ import annotations

from typing import Any

from workflow import attribution, aws, naming
from workflow.errors import ResourceConflictError
from workflow.resources import find, is_ready, pages, personalize, tag_args, unless_limited


def ensure_filter(params: dict[str, Any], group_arn: str, block: dict[str, Any]) -> dict[str, Any]:
    name = naming.filter_(aws.env("PREFIX"), params["datasetGroup"]["name"], block["name"])
    summary = find("list_filters", "Filters", name, datasetGroupArn=group_arn)
    if summary is None:
        created = unless_limited(
            lambda: personalize().create_filter(
                name=name, datasetGroupArn=group_arn, filterExpression=block["filterExpression"], **tag_args(params)
            )
        )
        return {"name": block["name"], "filterArn": created["filterArn"] if created else None, "ready": False}
    found = personalize().describe_filter(filterArn=summary["filterArn"])["filter"]
    if found.get("filterExpression") != block["filterExpression"]:
        raise ResourceConflictError(
            f"filter {name} exists with expression {found.get('filterExpression')!r}, but filters[{block['name']}] "
            f"has {block['filterExpression']!r}; filters cannot change: rename the filter in the params"
        )
    ready = is_ready(f"filter {name}", found["filterArn"], found["status"], found.get("failureReason"))
    return {"name": block["name"], "filterArn": found["filterArn"], "ready": ready}


def ensure_event_tracker(params: dict[str, Any], group_arn: str) -> dict[str, Any] | None:
    """The dataset group's one event tracker, when the params ask for it."""
    if not params.get("eventTracker"):
        return None
    name = naming.event_tracker(aws.env("PREFIX"), params["datasetGroup"]["name"])
    trackers = list(pages("list_event_trackers", "eventTrackers", datasetGroupArn=group_arn))
    other = next((t for t in trackers if t["name"] != name), None)
    if other is not None:
        raise ResourceConflictError(
            f"dataset group already has event tracker {other['name']} (Personalize allows one per dataset group); "
            "delete it or remove eventTracker from the params"
        )
    if not trackers:
        created = unless_limited(
            lambda: personalize().create_event_tracker(name=name, datasetGroupArn=group_arn, **tag_args(params))
        )
        if created is None:
            return {"eventTrackerArn": None, "trackingId": None, "ready": False}
        return {"eventTrackerArn": created["eventTrackerArn"], "trackingId": created["trackingId"], "ready": False}
    found = personalize().describe_event_tracker(eventTrackerArn=trackers[0]["eventTrackerArn"])["eventTracker"]
    ready = is_ready(f"event tracker {name}", found["eventTrackerArn"], found["status"], found.get("failureReason"))
    return {"eventTrackerArn": found["eventTrackerArn"], "trackingId": found.get("trackingId"), "ready": ready}


def ensure_filters_and_tracker(params: dict[str, Any], group_arn: str) -> dict[str, Any]:
    """Every filter and the event tracker of the params, and the metric attribution their experiments report
    through (workflow/attribution.py; a run without experiments never asks for it); `ready` once all are ACTIVE."""
    filters = [ensure_filter(params, group_arn, f) for f in params.get("filters") or []]
    tracker = ensure_event_tracker(params, group_arn)
    metrics = attribution.ensure_metric_attribution(params, group_arn)
    ready = all(f.pop("ready") for f in filters) and (tracker is None or tracker.pop("ready"))
    ready = (metrics is None or metrics.pop("ready")) and ready
    return {"ready": ready, "filters": filters, "eventTracker": tracker, "metricAttribution": metrics}
