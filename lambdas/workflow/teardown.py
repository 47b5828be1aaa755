"""Teardown: delete one dataset group's resources in Personalize's order, one idempotent phase at a time."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from workflow import aws, batch_serving, experiments, naming, schedules
from workflow.polling import Poll, advance
from workflow.resources import PENDING, find, pages, personalize

DATASET_TYPES = ("Interactions", "Items", "Users")
BUSY = {"ResourceInUseException", "LimitExceededException"}


def group_arn(group: str) -> str | None:
    found = find("list_dataset_groups", "datasetGroups", naming.dataset_group(aws.env("PREFIX"), group))
    return str(found["datasetGroupArn"]) if found else None


def _delete(call: Callable[[], Any]) -> None:
    """Ask for a deletion; gone already is fine, busy means "look again after the wait"."""
    try:
        call()
    except ClientError as exc:
        if aws.error_code(exc) not in BUSY | {"ResourceNotFoundException"}:
            raise


def _exists(describe: Callable[[], Any]) -> bool:
    """Polling after a delete: ResourceNotFoundException means gone."""
    try:
        describe()
    except ClientError as exc:
        if aws.error_code(exc) == "ResourceNotFoundException":
            return False
        raise
    return True


def _sweep(
    items: list[dict[str, Any]], kind: str, delete: Callable[..., Any], describe: Callable[..., Any]
) -> list[str]:
    """Delete every listed resource not already deleting; the ARNs still there (done when empty)."""
    remaining = []
    for item in items:
        arn = str(item[f"{kind}Arn"])
        if not str(item.get("status", "")).startswith("DELETE"):
            _delete(partial(delete, **{f"{kind}Arn": arn}))
        if _exists(partial(describe, **{f"{kind}Arn": arn})):
            remaining.append(arn)
    return remaining


def _solutions(arn: str) -> list[dict[str, Any]]:
    return list(pages("list_solutions", "solutions", datasetGroupArn=arn))


def delete_campaigns(group: str) -> list[str]:
    """The retraining schedules first (a scheduled run must not start while teardown deletes), then what serves: the
    campaigns and a domain dataset group's recommenders (DeleteRecommender deactivates an ACTIVE one itself: no stop
    first; one still being created is refused as in use, and asked again after the wait). Personalize refuses to
    delete a dataset while a recommender of its group exists, so they go before the solutions and datasets."""
    schedules.delete_all(group)
    arn = group_arn(group)
    if arn is None:
        return []
    campaigns = [c for s in _solutions(arn) for c in pages("list_campaigns", "campaigns", solutionArn=s["solutionArn"])]
    recommenders = list(pages("list_recommenders", "recommenders", datasetGroupArn=arn))
    p = personalize()
    return _sweep(campaigns, "campaign", p.delete_campaign, p.describe_campaign) + _sweep(
        recommenders, "recommender", p.delete_recommender, p.describe_recommender
    )


def delete_event_tracker(group: str) -> list[str]:
    """The events' side of the dataset group: its event tracker, and the metric attribution experiments report
    through (deleting it stops the CloudWatch metrics, "Deleting a metric attribution"); both gone before the
    datasets and the dataset group."""
    arn = group_arn(group)
    if arn is None:
        return []
    p = personalize()
    trackers = list(pages("list_event_trackers", "eventTrackers", datasetGroupArn=arn))
    attributions = list(pages("list_metric_attributions", "metricAttributions", datasetGroupArn=arn))
    return _sweep(trackers, "eventTracker", p.delete_event_tracker, p.describe_event_tracker) + _sweep(
        attributions, "metricAttribution", p.delete_metric_attribution, p.describe_metric_attribution
    )


def delete_filters(group: str) -> list[str]:
    arn = group_arn(group)
    filters = list(pages("list_filters", "Filters", datasetGroupArn=arn)) if arn else []
    return _sweep(filters, "filter", personalize().delete_filter, personalize().describe_filter)


def delete_solutions(group: str) -> list[str]:
    """Stop trainings still running, then delete the solutions (Personalize refuses while a version trains)."""
    arn = group_arn(group)
    if arn is None:
        return []
    solutions = _solutions(arn)
    for solution in solutions:
        for version in pages("list_solution_versions", "solutionVersions", solutionArn=solution["solutionArn"]):
            if version["status"] in PENDING:
                stop = personalize().stop_solution_version_creation
                _delete(partial(stop, solutionVersionArn=version["solutionVersionArn"]))
    return _sweep(solutions, "solution", personalize().delete_solution, personalize().describe_solution)


def delete_datasets(group: str) -> list[str]:
    arn = group_arn(group)
    datasets = list(pages("list_datasets", "datasets", datasetGroupArn=arn)) if arn else []
    return _sweep(datasets, "dataset", personalize().delete_dataset, personalize().describe_dataset)


def delete_dataset_group(group: str) -> list[str]:
    arn = group_arn(group)
    if arn is None:
        return []
    found = personalize().describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    return _sweep([found], "datasetGroup", personalize().delete_dataset_group, personalize().describe_dataset_group)


def delete_schemas(group: str) -> list[str]:
    """The schemas autopersonalize created for this dataset group (by their deterministic names)."""
    names = {naming.schema(aws.env("PREFIX"), group, t) for t in DATASET_TYPES}
    schemas = [s for s in pages("list_schemas", "schemas") if s["name"] in names]
    return _sweep(schemas, "schema", personalize().delete_schema, personalize().describe_schema)


def delete_parameters(group: str) -> list[str]:
    """Every SSM parameter under /<prefix>/<group>/ (campaign, filter, event tracker, batch serving and experiment
    parameters); a batch serving pointer goes only once the DynamoDB items it names are deleted (at most ~60 s of it
    per call), an experiment's once its counted users are (~30 s)."""
    ssm = aws.client("ssm")
    path = naming.campaign_parameter(aws.env("PREFIX"), group, "x").rsplit("/campaigns/", 1)[0]
    found = [
        p
        for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=True)
        for p in page["Parameters"]
    ]
    batch, experiment = f"{path}/batch/", f"{path}/experiments/"
    left = [p["Name"] for p in found if p["Name"].startswith(batch) and not batch_serving.delete_served(p["Value"], 60)]
    left += [
        p["Name"]
        for p in found
        if p["Name"].startswith(experiment) and not experiments.delete_counted(json.loads(p["Value"]), 30)
    ]
    names = [p["Name"] for p in found if p["Name"] not in left]
    for start in range(0, len(names), 10):
        ssm.delete_parameters(Names=names[start : start + 10])
    return left


PHASES: dict[str, Callable[[str], list[str]]] = {
    "campaigns": delete_campaigns,
    "eventTracker": delete_event_tracker,
    "filters": delete_filters,
    "solutions": delete_solutions,
    "datasets": delete_datasets,
    "datasetGroup": delete_dataset_group,
    "schemas": delete_schemas,
    "parameters": delete_parameters,
}


def run_phase(phase: str, group: str, progress: dict[str, Any]) -> dict[str, Any]:
    """One pass of a phase: `done` once nothing of it is left, else the wait before looking again."""
    remaining = PHASES[phase](group)
    previous = (
        Poll.model_validate(progress["poll"]) if progress.get("phase") == phase and progress.get("poll") else None
    )
    result = {"phase": phase, "remaining": remaining, "ready": not remaining}
    done = advance(result, previous, None, f"deleting the {phase} of dataset group {group} ({len(remaining)} left)")
    return {**done, "done": done.pop("ready")}
