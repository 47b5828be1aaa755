"""The run's validated params, kept in S3: Load Params writes them once, each later step reads them back.

Step Functions fails a run whose state (or a task's input or result) passes 256 KB, so the state carries only the
reference (`run.snapshot`, `run.snapshotEtag`) and the names the Map states iterate over, never the document: a run's
state stays the same size whatever the params' schemas, tags, filters or solution configs weigh.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from botocore.exceptions import ClientError

from workflow import aws
from workflow.data_check import split_s3
from workflow.errors import InvalidParamsError
from workflow.steps import Run

PREFIX = "runs/"  # under the stack's bucket, outside params/ (a new object there would start a run)
# what the Map states iterate over
LISTS = ("datasets", "solutions", "campaigns", "recommenders", "batchInferenceJobs", "batchSegmentJobs")
KEYS = {"datasets": "datasetType"}  # each list's identifying key (the others use "name")


def snapshot_key(dataset_group: str, run_id: str) -> str:
    return f"{PREFIX}{dataset_group}/{run_id}/params.json"


def save(
    bucket: str, key: str, document: dict[str, Any], warnings: list[str], export: dict[str, Any] | None = None
) -> tuple[str, str]:
    """Write the validated params (schemaFiles resolved), their warnings and what the export measured (inflation,
    baselines: data_check.export_summary); (s3 URI, ETag) for the run."""
    snapshot = {"params": document, "warnings": warnings, "export": export or {}}
    body = json.dumps(snapshot, separators=(",", ":")).encode("utf-8")
    response = aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"s3://{bucket}/{key}", str(response["ETag"])


@functools.lru_cache(maxsize=8)  # a warm Lambda reads each run's params once; the ETag pins their content
def _read(uri: str, etag: str) -> dict[str, Any]:
    bucket, key = split_s3(uri)
    try:
        body = aws.client("s3").get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read()
    except ClientError as exc:
        if aws.error_code(exc) != "PreconditionFailed":
            raise
        raise InvalidParamsError(
            uri, [f"changed after Load Params wrote it (ETag {etag}); drop the params file again to start a new run"]
        ) from None
    return dict(json.loads(body))


def snapshot(uri: str, etag: str) -> dict[str, Any]:
    """{"params": ..., "warnings": [...], "export": {...}} of this run; the ETag pins the object Load Params wrote."""
    return copy.deepcopy(_read(uri, etag))


def params_of(run: Run) -> dict[str, Any]:
    """The run's validated params (camelCase, as params/*.json, every schemaFile resolved)."""
    return dict(snapshot(run.snapshot, run.snapshot_etag)["params"])


def names(document: dict[str, Any]) -> dict[str, list[str]]:
    """The names (dataset types) of each list the Map states iterate over, in params order."""
    return {key: [str(entry[KEYS.get(key, "name")]) for entry in document.get(key) or []] for key in LISTS}


def entry(params: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    """The block of `params[key]` that a Map item names (KeyError if the params have none: the ASL and
    Load Params disagree, a bug)."""
    field = KEYS.get(key, "name")
    found = next((e for e in params.get(key) or [] if e.get(field) == name), None)
    if found is None:
        raise KeyError(f"params {key} has no entry with {field} {name!r}")
    return dict(found)
