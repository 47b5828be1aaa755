"""What a pipeline run produced, as one JSON-able document, read back from the emulated AWS with plain boto3."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlencode

import awswrangler as wr
import boto3
from botocore.response import StreamingBody

from autopersonalize.errors import PipelineError
from autopersonalize.local.stack import OfflineStack
from autopersonalize.pipeline import RunResult

SAMPLE_USERS = 3
TOP_N = 10
EXAMPLES_PER_REASON = 5
EXAMPLE_PARTS = 2  # examples come from the first rejected parts only, and from at most EXAMPLE_ROWS rows of them
EXAMPLE_ROWS = 20_000
COPY_CHUNK = 1 << 20


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
    versions = [
        v["solutionVersionArn"]
        for s in solutions
        for v in _paginate(p.list_solution_versions, "solutionVersions", solutionArn=s)
    ]
    return {
        "datasetGroup": [arn],
        "datasets": [d["datasetArn"] for d in _paginate(p.list_datasets, "datasets", datasetGroupArn=arn)],
        "solutions": solutions,
        "solutionVersions": versions,
        "campaigns": [
            c["campaignArn"] for s in solutions for c in _paginate(p.list_campaigns, "campaigns", solutionArn=s)
        ],
        "recommenders": [
            r["recommenderArn"] for r in _paginate(p.list_recommenders, "recommenders", datasetGroupArn=arn)
        ],
        "filters": [f["filterArn"] for f in _paginate(p.list_filters, "Filters", datasetGroupArn=arn)],
        "eventTrackers": [
            t["eventTrackerArn"] for t in _paginate(p.list_event_trackers, "eventTrackers", datasetGroupArn=arn)
        ],
        "batchSegmentJobs": [
            j["batchSegmentJobArn"]
            for v in versions
            for j in _paginate(p.list_batch_segment_jobs, "batchSegmentJobs", solutionVersionArn=v)
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


def import_jobs(imports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run's imports with what each job reports, read back with DescribeDatasetImportJob: its status and
    failureReason. Personalize reports no record counts for an import (the API reference's DescribeDatasetImportJob
    response and botocore's DatasetImportJob shape have none), so `rowsCounted` stays what it is: the data rows the
    workflow counted in the job's files before starting it, an estimate."""
    p = boto3.client("personalize")
    found = []
    for entry in imports:
        if not entry.get("jobArn"):  # a start refused for a quota: no job to ask
            found.append(dict(entry))
            continue
        job = p.describe_dataset_import_job(datasetImportJobArn=entry["jobArn"])["datasetImportJob"]
        found.append({**entry, **{k: job[k] for k in ("status", "failureReason") if k in job}})
    return found


def _sample_users(bucket: str) -> dict[str, list[str]]:
    """The users with the most exported interactions -> the items they interacted with, oldest first."""
    exported = wr.s3.list_objects(f"s3://{bucket}/exports/")
    parts = sorted(k for k in exported if "/interactions/part-" in k)
    if not parts:
        return {}
    history = wr.s3.read_csv(parts[-1], usecols=["USER_ID", "ITEM_ID"], dtype=str, engine="pyarrow")
    heavy = history["USER_ID"].value_counts().index[:SAMPLE_USERS].tolist()
    grouped = dict(tuple(history[history["USER_ID"].isin(heavy)].groupby("USER_ID")))
    return {user: grouped[user]["ITEM_ID"].tolist() for user in heavy}


def sample_recommendations(campaign_arns: list[str], bucket: str) -> list[dict[str, Any]]:
    """Top-10 of each campaign for a few users (or items), next to what they interacted with."""
    seen_by = _sample_users(bucket)
    heavy = list(seen_by)
    if not heavy:
        return []
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


def _recommender_status(result: dict[str, Any]) -> str | None:
    """DescribeRecommender's status of the recommender a run result names now (None: deleted, a rejected one)."""
    p = boto3.client("personalize")
    try:
        return str(p.describe_recommender(recommenderArn=result["recommenderArn"])["recommender"]["status"])
    except p.exceptions.ResourceNotFoundException:
        return None


def served_recommenders(stack: OfflineStack, group: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Top-10 of each recommender the run left served, for a few users, as apps get them: through get_recommendations
    (the stack's handler, with its role's permissions) by <datasetGroup>/<recommender>; an itemId use case (more like
    X) is asked about the user's latest item on /related-items."""
    from autopersonalize.serve import function_environment, http_event, make_server

    served = [r for r in results if r.get("action") != "rejected"]
    seen_by = _sample_users(stack.bucket)
    if not served or not seen_by:
        return []
    server = make_server(0, environ=function_environment(stack.name("GetRecommendationsFunction")))
    samples = []
    try:
        for result, (user, seen) in itertools.product(served, seen_by.items()):
            related = "-x" in str(result.get("recipe"))  # the "... X" use cases answer about an item
            route, query = ("related-items", {"itemId": seen[-1], "userId": user}) if related else (
                "recommendations", {"userId": user})  # fmt: skip
            target = f"/campaigns/{group}/{result['recommender']}/{route}?{urlencode({**query, 'numResults': TOP_N})}"
            with contextlib.redirect_stderr(io.StringIO()):  # powertools' ColdStart metric line: not the run's output
                response = server.invoke(http_event("GET", target, {}))
            body = json.loads(response["body"])
            samples.append(
                {
                    "recommender": result["recommender"],
                    "route": route,
                    **query,
                    "status": response["statusCode"],
                    "source": body.get("source"),
                    "recentInteractions": seen[-5:],
                    "recommendations": [i["itemId"] for i in body.get("items") or []],
                }
            )
    finally:
        server.server_close()
    return samples


def segment_files(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each batch segment job of the run with the segments it wrote: every `<input>.out` file under its output prefix,
    read back from S3, one entry per input line (input, usersList, error)."""
    found = []
    for job in jobs:
        entry = {k: job.get(k) for k in ("job", "action", "batchSegmentJobArn", "output", "reason")}
        files = []
        if job.get("batchSegmentJobArn") and job.get("output"):
            bucket, prefix = _split_uri(str(job["output"]))
            pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for key in sorted(
                o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".out")
            ):
                lines = _body(bucket, key).read().decode("utf-8").splitlines()
                segments = [json.loads(line) for line in lines if line.strip()]
                files.append({"file": f"s3://{bucket}/{key}", "segments": [_segment(s) for s in segments]})
        found.append({**entry, "files": files})
    return found


def batch_serving(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each batch-served job of the run: the version get_recommendations answers from DynamoDB, and the users in it."""
    return [
        {
            "job": job["job"],
            "solutionVersionArn": job.get("solutionVersionArn"),
            "users": job["load"].get("loaded"),
            "failedLines": job["load"].get("failed"),
        }
        for job in jobs
        if isinstance(job.get("load"), dict)
    ]


def _segment(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "input": line.get("input"),
        "usersList": (line.get("output") or {}).get("usersList"),
        "error": line.get("error"),
    }


def collect(result: RunResult, assumptions: Sequence[str] = ()) -> dict[str, Any]:
    """The run as one document: outcome, what was assumed, ARNs, row counts, rejected rows, metrics, gate decision,
    user segments, recommendations, timings."""
    output = result.execution.get("output") or {}
    solutions = output.get("solutions") or []
    document: dict[str, Any] = {
        "outcome": output.get("outcome", "FAILED" if result.execution["status"] != "SUCCEEDED" else "UNKNOWN"),
        "executionStatus": result.execution["status"],
        "executionArn": result.execution["executionArn"],
        "wallSeconds": round(result.wall_seconds, 2),
        "glueWorkflow": {k: result.workflow_run.get(k) for k in ("WorkflowRunId", "Status", "Statistics")},
        "assumptions": list(assumptions),
        "export": manifest(result.stack.bucket),
        "imports": import_jobs(output.get("imports") or []),
        "metrics": {
            s["solution"]: {k: round(v, 4) for k, v in sorted(s.get("metrics", {}).items())} for s in solutions
        },
        "gate": [{k: s.get(k) for k in ("solution", "passed", "reasons", "notes", "checks")} for s in solutions],
        "campaigns": output.get("campaigns", []),
        "recommenders": [{**r, "status": _recommender_status(r)} for r in output.get("recommenders") or []],
        "segments": segment_files(output.get("batchSegments") or []),
        "batchServing": batch_serving(output.get("batchInference") or []),
        "timings": [{**t, "seconds": round(t["seconds"], 3)} for t in result.timings],
    }
    document["rejected"] = rejected(document["export"])
    interactions = (document["export"].get("datasets") or {}).get("interactions") or {}
    document["warnings"] = list((interactions.get("inflation") or {}).get("warnings") or [])
    document["baselines"] = {
        name: {k: round(v, 4) for k, v in values.items()}
        for name, values in (interactions.get("baselines") or {}).items()
        if isinstance(values, dict)
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
        document["servedRecommenders"] = served_recommenders(
            result.stack, result.dataset_group, output.get("recommenders") or []
        )
    document["notifications"] = [n["subject"] for n in result.stack.notifications()]
    return document


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _part_keys(location: str) -> Iterator[tuple[str, str]]:
    """(bucket, key) of each CSV part under an s3:// prefix, in part order."""
    bucket, prefix = _split_uri(location)
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = sorted(o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".csv"))
    return ((bucket, key) for key in keys)


def _body(bucket: str, key: str) -> StreamingBody:
    body: StreamingBody = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    return body


def rejected_examples(location: str) -> dict[str, list[dict[str, str]]]:
    """Up to EXAMPLES_PER_REASON rejected rows per reason (without REJECT_REASON), from the first EXAMPLE_ROWS rows
    of the first EXAMPLE_PARTS parts: bounded however many rows were rejected."""
    examples: dict[str, list[dict[str, str]]] = {}
    budget = EXAMPLE_ROWS
    for bucket, key in itertools.islice(_part_keys(location), EXAMPLE_PARTS):
        with io.TextIOWrapper(_body(bucket, key), encoding="utf-8", errors="replace", newline="") as text:
            for row in itertools.islice(csv.DictReader(text), budget):
                budget -= 1
                found = examples.setdefault(row.pop("REJECT_REASON", "") or "unknown", [])
                if len(found) < EXAMPLES_PER_REASON:
                    found.append(row)
    return examples


def rejected(export: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per dataset with rejected rows: their count, the count per reason, where they are, and a few examples."""
    found: dict[str, dict[str, Any]] = {}
    for dataset, numbers in (export.get("datasets") or {}).items():
        if not numbers.get("rowsRejected"):
            continue
        location = numbers.get("rejectedLocation")
        found[dataset] = {
            "rowsRejected": numbers["rowsRejected"],
            "rejectedByReason": numbers.get("rejectedByReason") or {},
            "rejectedLocation": location,
            "examples": rejected_examples(location) if location else {},
        }
    return found


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise PipelineError(f"--out {out_dir}: is a file, not a directory; give a directory (it is created if missing)")
    try:
        (out_dir / "rejected").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PipelineError(f"--out {out_dir}: cannot create it ({exc.strerror}); give another directory") from exc


def _copy_parts(location: str, target: Path) -> None:
    """All rejected parts under `location` as one CSV, streamed: the header line once, then every part's rows."""
    with target.open("wb") as out:
        for index, (bucket, key) in enumerate(_part_keys(location)):
            chunks = _body(bucket, key).iter_chunks(COPY_CHUNK)
            if index > 0:
                _skip_line(chunks, out)
            for chunk in chunks:
                out.write(chunk)


def _skip_line(chunks: Iterator[bytes], out: BinaryIO) -> None:
    """Consume `chunks` up to the end of their first line; write what follows it in that chunk."""
    for chunk in chunks:
        newline = chunk.find(b"\n")
        if newline >= 0:
            out.write(chunk[newline + 1 :])
            return


def write_out(result: RunResult, document: dict[str, Any], out_dir: Path) -> list[Path]:
    """report.json (the document), manifest.json (the export manifest as published), rejected/<dataset>.csv (every
    rejected row) and segments/<job>/<input>.out (each batch segment job's output, as Personalize wrote it) in out_dir,
    created if missing; returns the files written. Call inside the run's offline_aws()."""
    _prepare(out_dir)
    written = [out_dir / "report.json"]
    written[0].write_text(json.dumps(document, indent=2, default=str) + "\n")
    export = document.get("export") or {}
    if export.get("runId"):
        key = f"exports/{export['runId']}/manifest.json"
        written.append(out_dir / "manifest.json")
        written[-1].write_bytes(_body(result.stack.bucket, key).read())
    for job in document.get("segments") or []:
        for found in job["files"]:
            bucket, key = _split_uri(found["file"])
            written.append(out_dir / "segments" / str(job["job"]) / key.rsplit("/", 1)[-1])
            written[-1].parent.mkdir(parents=True, exist_ok=True)
            written[-1].write_bytes(_body(bucket, key).read())
    for dataset, numbers in (export.get("datasets") or {}).items():
        target = out_dir / "rejected" / f"{dataset}.csv"
        target.unlink(missing_ok=True)  # a previous run's rejects into the same directory would mislead
        if numbers.get("rejectedLocation"):
            _copy_parts(numbers["rejectedLocation"], target)
            written.append(target)
    return written
