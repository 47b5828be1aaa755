"""Glue Python shell job: delete exports/<run-id>/ older than --retention_days, never the latest successful run."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any

from job_io import UTC_ZONE, get_json, int_arg, log, main_from_argv, require, s3_client

DEFAULT_RETENTION_DAYS = 30


def list_runs(bucket: str) -> dict[str, datetime]:
    """Each run id under exports/ (the _state folder excluded) with the newest LastModified of its objects."""
    newest: dict[str, datetime] = {}
    for page in s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="exports/"):
        for obj in page.get("Contents", []):
            run = obj["Key"].split("/")[1]
            if run != "_state" and obj["Key"].count("/") >= 2:
                newest[run] = max(newest.get(run, obj["LastModified"]), obj["LastModified"])
    return newest


def protected_runs(bucket: str, runs: dict[str, datetime]) -> set[str]:
    """Runs never deleted: each dataset group's last successful run (its state file), and the newest published run."""
    keep = set()
    listing = s3_client().list_objects_v2(Bucket=bucket, Prefix="exports/_state/")
    for obj in listing.get("Contents", []):
        state = get_json(bucket, obj["Key"]) or {}
        if state.get("lastSuccessfulRunId"):
            keep.add(state["lastSuccessfulRunId"])
    for run in sorted(runs, key=runs.__getitem__, reverse=True):
        manifest = get_json(bucket, f"exports/{run}/manifest.json") or {}
        if manifest.get("decision") == "published":
            keep.add(run)
            break
    return keep


def delete_run(bucket: str, run: str) -> int:
    client, deleted = s3_client(), 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"exports/{run}/"):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


def main(args: dict[str, str]) -> dict[str, Any]:
    bucket = require(args, "bucket", "the bucket holding exports/<run-id>/")
    retention = int_arg(args, "retention_days", DEFAULT_RETENTION_DAYS, minimum=0)
    cutoff = datetime.now(UTC_ZONE) - timedelta(days=retention)
    runs = list_runs(bucket)
    keep = protected_runs(bucket, runs)
    expired = sorted(run for run, when in runs.items() if when < cutoff and run not in keep)
    objects = sum(delete_run(bucket, run) for run in expired)
    log.info(
        f"cleanup: deleted {len(expired)} run(s) older than {retention} day(s) ({objects} objects); kept {sorted(keep)}"
    )
    return {"deleted": expired, "objectsDeleted": objects, "protected": sorted(keep), "retentionDays": retention}


if __name__ == "__main__":
    main_from_argv(main, sys.argv[1:])
