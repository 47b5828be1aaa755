"""What a dataLocation holds: its fingerprint (the "same data" of a resume), row counts and minimum-data checks."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from workflow import aws
from workflow.errors import InsufficientDataError

COUNT_LIMIT_BYTES = 64 * 1024 * 1024  # count rows only when the data is this small (big data: Personalize checks)
MIN_INTERACTIONS = 1000
MIN_USERS = 25


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def outside_the_stack(document: dict[str, Any], bucket: str) -> list[str]:
    """The params' S3 locations the stack's roles cannot use: Load Params and Personalize's role may read only the
    stack's data bucket, and Personalize may write only its batch/ prefix (template.yaml, least privilege); and a
    batch inference job's input the params do not name (only publish_params fills in every user's list)."""
    wanted = [(f"datasets[{i}].dataLocation", d["dataLocation"], "") for i, d in enumerate(document["datasets"])]
    for key in ("batchInferenceJobs", "batchSegmentJobs"):
        for i, job in enumerate(document.get(key) or []):
            wanted += [(f"{key}[{i}].jobInput", job["jobInput"], "")] if job.get("jobInput") else []
            wanted += [(f"{key}[{i}].jobOutput", job["jobOutput"], "batch/")]
    problems = [
        f"batchInferenceJobs[{i}].jobInput: missing; a job without one answers every user, whose list the Glue "
        "workflow's publish_params fills in (exports/<run-id>/batch-users/users.jsonl) when it publishes the params: "
        'params started otherwise must name the users file (JSON lines of {"userId": ...}) in jobInput'
        for i, job in enumerate(document.get("batchInferenceJobs") or [])
        if not job.get("jobInput")
    ]
    for where, location, prefix in wanted:
        if not location.startswith(f"s3://{bucket}/{prefix}"):
            problems.append(
                f"{where}: {location} is outside s3://{bucket}/{prefix}, the only place the stack lets "
                f"{'Personalize write' if prefix else 'the workflow and Personalize read'}: put it there"
            )
    return problems


def objects(location: str) -> list[dict[str, Any]]:
    """The CSV objects a dataLocation names: one file, or every non-empty object under a prefix ending in /."""
    bucket, key = split_s3(location)
    s3 = aws.client("s3")
    found: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        for item in page.get("Contents", []):
            if item["Size"] > 0 and (location.endswith("/") or item["Key"] == key):
                found.append(
                    {"bucket": bucket, "key": item["Key"], "etag": item["ETag"].strip('"'), "size": item["Size"]}
                )
    if not found:
        raise InsufficientDataError(
            f"{location}: no data found there; run the export (Glue workflow) first, or fix datasets[].dataLocation"
        )
    return sorted(found, key=lambda o: o["key"])


def fingerprint(location: str, import_mode: str, files: list[dict[str, Any]]) -> str:
    """Same location, mode and object ETags -> same fingerprint: the data an import job was made from."""
    text = "\n".join([location, import_mode, *(f"{o['key']} {o['etag']} {o['size']}" for o in files)])
    return hashlib.sha256(text.encode()).hexdigest()


def _body(o: dict[str, Any]) -> Any:
    return aws.client("s3").get_object(Bucket=o["bucket"], Key=o["key"])["Body"]


def _data_rows(raw: bytes) -> int:
    """Non-empty rows after the header; a file without quotes has one row per line (10x faster than parsing)."""
    if b'"' not in raw:
        return max(sum(1 for line in raw.splitlines() if line) - 1, 0)
    reader = csv.reader(io.StringIO(raw.decode("utf-8", errors="replace")))
    next(reader, None)
    return sum(1 for line in reader if line)


def check_minimums(location: str, files: list[dict[str, Any]]) -> None:
    """Interactions must meet Personalize's minimums; reading stops as soon as they are met."""
    rows, repeat_users, users, has_users = 0, 0, Counter[str](), True
    for o in files:  # streamed: the minimums are usually met within the first rows
        reader = csv.reader(io.TextIOWrapper(_body(o), encoding="utf-8", errors="replace", newline=""))
        header = next(reader, [])
        column = header.index("USER_ID") if "USER_ID" in header else None
        has_users = has_users and column is not None
        while chunk := [line for line in itertools.islice(reader, 20_000) if line]:
            rows += len(chunk)
            if column is not None:  # Counter counts in C; "" marks a row too short to have a user
                users.update(line[column] if column < len(line) else "" for line in chunk)
            repeat_users = sum(1 for user, n in users.items() if n >= 2 and user)
            if rows >= MIN_INTERACTIONS and (not has_users or repeat_users >= MIN_USERS):
                return
    problems = []
    if rows < MIN_INTERACTIONS:
        problems.append(f"{rows} interaction rows (Personalize needs at least {MIN_INTERACTIONS})")
    if has_users and repeat_users < MIN_USERS:
        problems.append(f"{repeat_users} users with 2 or more interactions (Personalize needs at least {MIN_USERS})")
    raise InsufficientDataError(
        f"{location}: too little data to train: {'; '.join(problems)}. Export a longer history (or more users) "
        "and drop the params again; nothing was imported"
    )


def countable(files: list[dict[str, Any]]) -> bool:
    """Small enough to read here (big data: Personalize itself counts and checks)."""
    return sum(o["size"] for o in files) <= COUNT_LIMIT_BYTES


def count_and_check(dataset_type: str, location: str, files: list[dict[str, Any]]) -> int | None:
    """The dataset's row count (None when too big to count here); Interactions must meet Personalize's minimums."""
    if not countable(files):
        return None
    if dataset_type == "Interactions":
        check_minimums(location, files)
    return sum(_data_rows(_body(o).read()) for o in files)


def export_summary(document: dict[str, Any]) -> dict[str, Any]:
    """What the export measured, read from the manifest parts beside the data (exports/<run-id>/manifest/*.json): the
    interactions' inflation, same-second policy and baselines, and `schemaChanges`, the note of each dataset
    whose source changed and went on (glue_jobs/source_schema.py). {} when the data did not come from this stack's
    export or its manifest has none of these."""
    summary: dict[str, Any] = {}
    for dataset in document["datasets"]:
        part = _manifest_part(dataset["dataLocation"])
        if part is None:
            continue
        if dataset["datasetType"] == "Interactions":
            summary.update({k: part[k] for k in ("inflation", "sameSecondDuplicates", "baselines") if k in part})
        if (part.get("schemaChange") or {}).get("message"):
            summary.setdefault("schemaChanges", []).append(part["schemaChange"]["message"])
    return summary


def _manifest_part(location: str) -> dict[str, Any] | None:
    """The export's manifest part of the data at `location` (s3://bucket/exports/<run-id>/<dataset>/), or None."""
    bucket, key = split_s3(location)
    run = re.fullmatch(r"(exports/[^/]+)/([a-z]+)/", key)
    if run is None:
        return None
    try:
        body = aws.client("s3").get_object(Bucket=bucket, Key=f"{run.group(1)}/manifest/{run.group(2)}.json")
    except ClientError as exc:
        if aws.error_code(exc) in {"NoSuchKey", "404"}:
            return None
        raise
    part: dict[str, Any] = json.loads(body["Body"].read())
    return part
