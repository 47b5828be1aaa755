"""What a pipeline run produced, as one JSON-able document, read back from the emulated AWS with plain boto3."""

from __future__ import annotations

import json
from typing import Any

import awswrangler as wr
import boto3

from autopersonalize.pipeline import RunResult

SAMPLE_USERS = 3
TOP_N = 10


def _paginate(method: Any, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = method(**kwargs)
        items += page.get(key, [])
        if not page.get("nextToken"):
            return items
        kwargs["nextToken"] = page["nextToken"]


def resources(dataset_group_arn: str) -> dict[str, list[str]]:
    """ARNs of every Personalize resource of the dataset group, by kind."""
    p = boto3.client("personalize")
    arn = dataset_group_arn
    solutions = [s["solutionArn"] for s in _paginate(p.list_solutions, "solutions", datasetGroupArn=arn)]
    return {
        "datasetGroup": [arn],
        "datasets": [d["datasetArn"] for d in _paginate(p.list_datasets, "datasets", datasetGroupArn=arn)],
        "solutions": solutions,
        "solutionVersions": [
            v["solutionVersionArn"]
            for s in solutions
            for v in _paginate(p.list_solution_versions, "solutionVersions", solutionArn=s)
        ],
        "campaigns": [
            c["campaignArn"] for s in solutions for c in _paginate(p.list_campaigns, "campaigns", solutionArn=s)
        ],
        "filters": [f["filterArn"] for f in _paginate(p.list_filters, "Filters", datasetGroupArn=arn)],
        "eventTrackers": [
            t["eventTrackerArn"] for t in _paginate(p.list_event_trackers, "eventTrackers", datasetGroupArn=arn)
        ],
    }


def manifest(bucket: str) -> dict[str, Any]:
    """The newest export manifest (row counts per dataset), or {} when there is none."""
    s3 = boto3.client("s3")
    keys = [
        o
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="exports/").get("Contents", [])
        if o["Key"].endswith("/manifest.json")
    ]
    if not keys:
        return {}
    newest = max(keys, key=lambda o: o["LastModified"])["Key"]
    return dict(json.loads(s3.get_object(Bucket=bucket, Key=newest)["Body"].read()))


def sample_recommendations(campaign_arns: list[str], bucket: str) -> list[dict[str, Any]]:
    """Top-10 of each campaign for a few users (or items), next to what they interacted with."""
    exported = wr.s3.list_objects(f"s3://{bucket}/exports/")
    parts = sorted(k for k in exported if "/interactions/part-" in k)
    if not parts:
        return []
    history = wr.s3.read_csv(parts[-1], usecols=["USER_ID", "ITEM_ID"], dtype=str, engine="pyarrow")
    heavy = history["USER_ID"].value_counts().index[:SAMPLE_USERS].tolist()
    seen_by = {
        user: items["ITEM_ID"].tolist() for user, items in history[history["USER_ID"].isin(heavy)].groupby("USER_ID")
    }
    p, runtime = boto3.client("personalize"), boto3.client("personalize-runtime")
    samples: list[dict[str, Any]] = []
    for arn in campaign_arns:
        campaign = p.describe_campaign(campaignArn=arn)["campaign"]
        solution = p.describe_solution_version(solutionVersionArn=campaign["solutionVersionArn"])["solutionVersion"]
        related = "sims" in solution["recipeArn"] or "similar-items" in solution["recipeArn"]
        for user in heavy:
            seen = seen_by[user]
            query = {"itemId": seen[-1]} if related else {"userId": user}
            answer = runtime.get_recommendations(campaignArn=arn, numResults=TOP_N, **query)
            samples.append(
                {
                    "campaign": campaign["name"],
                    **query,
                    "recentInteractions": seen[-5:],
                    "recommendations": [i["itemId"] for i in answer["itemList"]],
                }
            )
    return samples


def collect(result: RunResult) -> dict[str, Any]:
    """The run as one document: outcome, ARNs, row counts, metrics, gate decision, recommendations, timings."""
    output = result.execution.get("output") or {}
    solutions = output.get("solutions") or []
    document: dict[str, Any] = {
        "outcome": output.get("outcome", "FAILED" if result.execution["status"] != "SUCCEEDED" else "UNKNOWN"),
        "executionStatus": result.execution["status"],
        "executionArn": result.execution["executionArn"],
        "wallSeconds": round(result.wall_seconds, 2),
        "glueWorkflow": {k: result.workflow_run.get(k) for k in ("WorkflowRunId", "Status", "Statistics")},
        "export": manifest(result.stack.bucket),
        "imports": output.get("imports", []),
        "metrics": {
            s["solution"]: {k: round(v, 4) for k, v in sorted(s.get("metrics", {}).items())} for s in solutions
        },
        "gate": [{k: s.get(k) for k in ("solution", "passed", "reasons", "notes", "checks")} for s in solutions],
        "campaigns": output.get("campaigns", []),
        "timings": [{**t, "seconds": round(t["seconds"], 3)} for t in result.timings],
    }
    if result.execution["status"] != "SUCCEEDED":
        document["error"] = result.execution.get("error")
        document["cause"] = result.execution.get("cause")
    p = boto3.client("personalize")
    groups = [g for g in p.list_dataset_groups()["datasetGroups"] if g["name"].endswith(f"-{result.dataset_group}")]
    if groups:
        found = resources(groups[0]["datasetGroupArn"])
        document["resources"] = found
        active = [a for a in found["campaigns"] if p.describe_campaign(campaignArn=a)["campaign"]["status"] == "ACTIVE"]
        document["recommendations"] = sample_recommendations(active, result.stack.bucket)
    document["notifications"] = [n["subject"] for n in result.stack.notifications()]
    return document
