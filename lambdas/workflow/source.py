"""Load Params: read the params object the S3 event names, validate it, keep it for the run, fix its identity."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from workflow import aws, data_check, naming, retrain, run_params
from workflow.data_check import split_s3
from workflow.errors import InvalidParamsError
from workflow.params import load_params
from workflow.polling import Poll
from workflow.steps import Run

EVENT_HELP = (
    'expected the EventBridge "Object Created" event of s3://<bucket>/params/<name>.json (detail.bucket.name and '
    'detail.object.key), or {"bucket": ..., "key": ...}; start a run by uploading the params file'
)


def _object(event: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    """(bucket, key, version id, etag) from an S3 Object Created event or a hand-made {"bucket", "key"} input."""
    found = event.get("detail")
    detail: dict[str, Any] = found if isinstance(found, dict) else event
    bucket = detail.get("bucket")
    found = detail.get("object")
    obj: dict[str, Any] = found if isinstance(found, dict) else detail
    name = bucket.get("name") if isinstance(bucket, dict) else bucket
    key = obj.get("key")
    if not isinstance(name, str) or not isinstance(key, str):
        raise InvalidParamsError("execution input", [EVENT_HELP])
    return name, key, obj.get("version-id") or obj.get("versionId"), obj.get("etag")


def read_s3(location: str) -> str:
    """A schemaFile's text from S3 (FileNotFoundError when absent, as load_params expects)."""
    bucket, key = split_s3(location)
    try:
        return str(aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
    except ClientError as exc:
        if aws.error_code(exc) in {"NoSuchKey", "404", "NoSuchBucket"}:
            raise FileNotFoundError(location) from exc
        raise


def load_run(event: dict[str, Any], execution_id: str, execution_name: str) -> tuple[dict[str, Any], list[str]]:
    """The run's initial state (its identity, the names the Map states iterate over, the lock) and the params'
    warnings; the validated params go to S3 (workflow.run_params). InvalidParamsError lists every problem."""
    if isinstance(event.get("retrain"), dict):  # a retraining schedule's event (workflow.schedules)
        return retrain.load_run(event, execution_id, execution_name)
    bucket, key, version, etag = _object(event)
    source = f"s3://{bucket}/{key}"
    extra = {"VersionId": version} if version else {}
    try:
        text = aws.client("s3").get_object(Bucket=bucket, Key=key, **extra)["Body"].read().decode("utf-8")
    except ClientError as exc:
        raise InvalidParamsError(source, [f"cannot read it: {aws.error_message(exc) or aws.error_code(exc)}"]) from exc
    params = load_params(text, source, read_s3, prefix=aws.env("PREFIX"))
    document = params.resolved_dict()
    outside = data_check.outside_the_stack(document, aws.env("BUCKET"))
    if outside:
        raise InvalidParamsError(source, outside)
    for dataset in document["datasets"]:  # missing or too little data fails here, before any resource is created
        files = data_check.objects(dataset["dataLocation"])
        if dataset["datasetType"] == "Interactions" and data_check.countable(files):
            data_check.check_minimums(dataset["dataLocation"], files)
    run_id = naming.run_id(execution_name)
    group = params.dataset_group.name
    export = data_check.export_summary(document)
    warnings = [*params.warnings, *export.get("inflation", {}).get("warnings", []), *export.get("schemaChanges", [])]
    snapshot, snapshot_etag = run_params.save(
        aws.env("BUCKET"), run_params.snapshot_key(group, run_id), document, warnings, export
    )
    run = Run(
        run_id=run_id,
        execution_id=execution_id,
        dataset_group=group,
        bucket=bucket,
        key=key,
        version_id=version,
        etag=etag,
        started_at=time.time(),
        snapshot=snapshot,
        snapshot_etag=snapshot_etag,
    )
    state = {
        "run": run.model_dump(by_alias=True),
        "names": run_params.names(document),
        "polling": document["polling"],
        "lock": {"acquired": False, "poll": Poll().model_dump(by_alias=True)},
    }
    return state, warnings
