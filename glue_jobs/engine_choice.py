"""Which engine exports a dataset: --engine python-shell (this job), spark (the dataset's Glue for Spark job), or auto
(Spark when the source holds more than --spark_above_bytes, measured from an S3 listing or the catalog table's files).

The workflow's graph is the same whichever engine runs: with auto the Python shell job stays the graph's node and,
for a large source, starts the Spark job with this run's id and waits for it (its manifest part is the export's).
boto3 only: it runs before any of the export's heavy imports are needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from job_io import ExportArgumentError, client, get_json, int_arg, log, require, run_id_of, split_s3

ENGINES = ("python-shell", "spark", "auto")
DEFAULT_SPARK_ABOVE_BYTES = 20 * 2**30  # docs/glue.md, "Choosing the engine": where Spark's start-up pays off
TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED")


class SparkRunError(RuntimeError):
    """The Spark job this export started did not succeed: its state and error message."""


Export = Callable[[str, dict[str, str]], dict[str, Any]]


def dispatch(dataset: str, args: dict[str, str], run: Export) -> dict[str, Any]:
    """Run the export here (`run`), or on the dataset's Spark job, by --engine."""
    engine = args.get("engine") or "python-shell"
    if engine not in ENGINES:
        raise ExportArgumentError(f"--engine {engine!r} is not one of {', '.join(ENGINES)}")
    if engine == "python-shell" or not args.get("source", "").strip():
        return run(dataset, args)
    threshold = 0 if engine == "spark" else int_arg(args, "spark_above_bytes", DEFAULT_SPARK_ABOVE_BYTES, minimum=0)
    size = source_bytes(args)
    if size is None or size <= threshold:
        why = "an Athena query" if size is None else f"{size:,} bytes <= {threshold:,}"
        log.info(f"export_{dataset}: python-shell engine ({why})")
        return run(dataset, args)
    log.info(f"export_{dataset}: spark engine ({size:,} bytes > {threshold:,})")
    return run_on_spark(dataset, args)


def source_bytes(args: dict[str, str]) -> int | None:
    """The bytes under an S3 source, or under a catalog table's location; None for Athena (Athena does the work)."""
    kind = args.get("source_type", "s3_parquet")
    source = args["source"].strip()
    if kind == "athena":
        return None
    if kind == "catalog":
        database, _, table = source.partition(".")
        found = client("glue").get_table(DatabaseName=database, Name=table)["Table"]
        source = found["StorageDescriptor"]["Location"]
    bucket, prefix = split_s3(source)
    pages = client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sum(int(o["Size"]) for page in pages for o in page.get("Contents", []))


def run_on_spark(dataset: str, args: dict[str, str]) -> dict[str, Any]:
    """Start the dataset's Spark job for this run, wait for it, and return its summary from its manifest part."""
    job = require(args, "spark_job", "the dataset's Glue for Spark job (the stack sets it when the engine is auto)")
    bucket, run_id = require(args, "bucket", "the data bucket"), run_id_of(args)
    overrides = {f"--{key}": args[key] for key in ("since", "mode", "chunk_rows") if args.get(key)}
    glue = client("glue")
    run = glue.start_job_run(JobName=job, Arguments={"--run_id": run_id, **overrides})["JobRunId"]
    poll = int_arg(args, "spark_poll_seconds", 30, minimum=0)
    while (state := glue.get_job_run(JobName=job, RunId=run)["JobRun"])["JobRunState"] not in TERMINAL:
        time.sleep(poll)
    if state["JobRunState"] != "SUCCEEDED":
        raise SparkRunError(
            f"export_{dataset}: Spark job {job} run {run} ended {state['JobRunState']}: "
            f"{state.get('ErrorMessage', 'no error message')}; see its log in CloudWatch (/aws-glue/jobs/error)"
        )
    part = get_json(bucket, f"exports/{run_id}/manifest/{dataset}.json") or {}
    keys = ("dataset", "runId", "location", "rowsRead", "rowsWritten", "rowsRejected", "duplicatesRemoved")
    return {"engine": "spark", "sparkJobRun": run, **{key: part.get(key) for key in keys}}
