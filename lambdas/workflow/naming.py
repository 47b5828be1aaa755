"""Deterministic Personalize resource names: one pure function per resource kind, from a prefix and the dataset group.

Personalize names are unique per account and region (not per dataset group), so every name carries the stack prefix
and the dataset group. Names longer than Personalize's 63 characters are shortened deterministically: cut, then a
short hash of the full name, so two long names never collide.
"""

from __future__ import annotations

import hashlib
import re

MAX_NAME = 63
NAME_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")


def _fit(name: str) -> str:
    """Return `name` when it fits 63 characters, else a cut of it plus 8 hex digits of its hash."""
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9].rstrip('-_')}-{digest}"


def _join(*parts: str) -> str:
    return _fit("-".join(p for p in parts if p))


def dataset_group(prefix: str, group: str) -> str:
    return _join(prefix, group)


def schema(prefix: str, group: str, dataset_type: str) -> str:
    return _join(prefix, group, dataset_type.lower())


def dataset(prefix: str, group: str, dataset_type: str) -> str:
    return _join(prefix, group, dataset_type.lower())


def import_job(prefix: str, group: str, dataset_type: str, run_id: str) -> str:
    return _join(prefix, group, dataset_type.lower(), run_id)


def solution(prefix: str, group: str, solution_name: str) -> str:
    return _join(prefix, group, solution_name)


def solution_version(prefix: str, group: str, solution_name: str, run_id: str) -> str:
    return _join(prefix, group, solution_name, run_id)


def campaign(prefix: str, group: str, campaign_name: str) -> str:
    return _join(prefix, group, campaign_name)


def recommender(prefix: str, group: str, recommender_name: str, run_id: str) -> str:
    """A recommender of one run: a new configuration trains a candidate beside the served one (workflow.recommenders),
    so each carries the run that created it."""
    return _join(prefix, group, recommender_name, run_id)


def filter_(prefix: str, group: str, filter_name: str) -> str:
    return _join(prefix, group, filter_name)


def event_tracker(prefix: str, group: str) -> str:
    return _join(prefix, group, "events")


def metric_attribution(prefix: str, group: str) -> str:
    """The dataset group's one metric attribution (Personalize allows one per dataset group)."""
    return _join(prefix, group, "attribution")


def attribution_metric(event_type: str) -> str:
    """A metric attribution's metric counting one event type, as it shows in CloudWatch: `<eventType>_COUNT` (case kept:
    event types are compared as written) of the event type's letters, digits, `-` and `_` (the API's MetricName allows
    256 characters); an event type with other characters, or a long one, also gets 8 hex digits of its hash, so two
    event types never share a metric."""
    safe = re.sub(r"[^A-Za-z0-9_\-]", "_", event_type)[:200]
    if safe != event_type:
        safe = f"{safe}_{hashlib.sha256(event_type.encode()).hexdigest()[:8]}"
    return f"{safe}_COUNT"


def batch_inference_job(prefix: str, group: str, job_name: str, run_id: str) -> str:
    return _join(prefix, group, job_name, run_id)


def batch_segment_job(prefix: str, group: str, job_name: str, version_id: str) -> str:
    return _join(prefix, group, job_name, version_id)


def retrain_schedule(group: str, solution_name: str, mode: str) -> str:
    """An EventBridge Scheduler schedule in the stack's own schedule group (so no prefix): 1-64 of [0-9a-zA-Z-_.]."""
    return _join(group, solution_name, mode)


def run_id(execution_name: str) -> str:
    """The run id carried by import jobs and solution versions: the execution name, made name-safe and short."""
    safe = re.sub(r"[^a-zA-Z0-9\-_]", "-", execution_name).strip("-_") or "run"
    return safe[-24:].lstrip("-_") or "run"


def campaign_parameter(prefix: str, group: str, campaign_name: str) -> str:
    """SSM parameter holding the ARN of a deployed campaign (read by get_recommendations)."""
    return f"/{prefix}/{group}/campaigns/{campaign_name}"


def recommender_parameter(prefix: str, group: str, recommender_name: str) -> str:
    """SSM parameter holding the ARN of the recommender served under this name (switched only after its gate)."""
    return f"/{prefix}/{group}/recommenders/{recommender_name}"


def filter_parameter(prefix: str, group: str, filter_name: str) -> str:
    """SSM parameter holding the ARN of a filter (get_recommendations resolves filters by name)."""
    return f"/{prefix}/{group}/filters/{filter_name}"


def event_tracker_parameter(prefix: str, group: str) -> str:
    """SSM parameter holding the event tracker's trackingId (for personalize-events PutEvents)."""
    return f"/{prefix}/{group}/event-tracker"


def batch_serving_parameter(prefix: str, group: str, job_name: str) -> str:
    """SSM parameter naming the version a batch-served job answers from (switched once its output is loaded)."""
    return f"/{prefix}/{group}/batch/{job_name}"


def challenger_campaign(campaign_name: str, experiment_name: str) -> str:
    """The params-level name of an experiment's challenger campaign (the Personalize name comes from `campaign`)."""
    return f"{campaign_name}-{experiment_name}"


def experiment_parameter(prefix: str, group: str, campaign_name: str) -> str:
    """SSM parameter holding the experiment on a campaign (JSON: both variants' ARNs, the share; serving reads it)."""
    return f"/{prefix}/{group}/experiments/{campaign_name}"


def experiment_schedule(group: str, campaign_name: str) -> str:
    """The EventBridge Scheduler schedule of the automatic check of the experiment on a campaign (one per campaign),
    in the stack's schedule group."""
    return _join(group, campaign_name, "experiment")
