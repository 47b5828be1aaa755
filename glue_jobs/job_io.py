"""The Glue jobs' I/O on boto3 and the standard library alone: Glue's arguments, S3 text and JSON, the log, clients.

cleanup and publish_params import only this module, so they run on Glue Python shell's preinstalled boto3
(`library-set: analytics`: boto3 1.21.21) without the export jobs' wheels: keep it to Python 3.9 syntax and to
calls boto3 1.21 has, and never import pandas, numpy, pyarrow or awswrangler here (tests/unit/test_wheelhouse.py).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from datetime import timezone
from pathlib import Path
from typing import Any

import boto3

log = logging.getLogger("glue_jobs")  # the jobs' output: stdout on Glue (CloudWatch), quiet in the demo

UTC_ZONE = timezone.utc  # Glue Python shell runs Python 3.9: no datetime.UTC there


class ExportArgumentError(ValueError):
    """A job argument is missing or malformed: the message names the argument and what to pass."""


# ---------------------------------------------------------------- arguments


def parse_glue_args(argv: list[str]) -> dict[str, str]:
    """Glue's `--key value` argv (also `--key=value`) to a dict; a flag without a value maps to ""."""
    args: dict[str, str] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("--"):
            i += 1
            continue
        key, eq, value = token[2:].partition("=")
        if not eq and i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            value, i = argv[i + 1], i + 1
        args[key] = value
        i += 1
    return args


def require(args: dict[str, str], key: str, hint: str) -> str:
    value = args.get(key, "").strip()
    if not value:
        raise ExportArgumentError(f"argument --{key} is required: {hint}")
    return value


def int_arg(args: dict[str, str], key: str, default: int, minimum: int = 1) -> int:
    raw = args.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ExportArgumentError(f"argument --{key}={raw!r} is not an integer") from None
    if value < minimum:
        raise ExportArgumentError(f"argument --{key}={raw!r} must be an integer >= {minimum}")
    return value


def run_id_of(args: dict[str, str]) -> str:
    """The run id shared by one workflow run's jobs: --run_id, else Glue's --WORKFLOW_RUN_ID (never --JOB_RUN_ID)."""
    run_id = args.get("run_id") or args.get("WORKFLOW_RUN_ID") or ""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}", run_id):
        found = f"{run_id!r}" if run_id else "neither"
        raise ExportArgumentError(
            f"the run id comes from --run_id or --WORKFLOW_RUN_ID (Glue sets it for jobs started by a workflow); "
            f"found {found}: pass --run_id <letters, digits, _ . -> when you start the job by hand"
        )
    return run_id


def export_mode(args: dict[str, str]) -> str:
    mode = args.get("mode") or "full"
    if mode not in ("full", "incremental"):
        raise ExportArgumentError(f"--mode {mode!r} is not full or incremental")
    return mode


DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
SOURCE_OPTIONS = ("delimiter", "encoding", "explode")


def source_options(args: dict[str, str]) -> dict[str, str]:
    """How to read a file source: --delimiter, --encoding, --explode, or the same keys in --source_options (the stack's
    one parameter per dataset: `delimiter=semicolon,encoding=latin-1,explode=events`; a separate argument wins)."""
    options: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in args.get("source_options", "").split(","))):
        key, eq, value = pair.partition("=")
        if not eq or key.strip() not in SOURCE_OPTIONS or not value.strip():
            raise ExportArgumentError(
                f"--source_options entry {pair!r} is not KEY=value with KEY one of {', '.join(SOURCE_OPTIONS)} "
                "(e.g. delimiter=semicolon,explode=events)"
            )
        options[key.strip()] = value.strip()
    options.update({key: args[key].strip() for key in SOURCE_OPTIONS if args.get(key, "").strip()})
    options["delimiter"] = delimiter_of(options.get("delimiter", "auto"))
    options["encoding"] = encoding_of(options.get("encoding", "utf-8"))
    return options


def delimiter_of(value: str) -> str:
    """One character, a name (comma, semicolon, tab, pipe), or auto (detected from the header line)."""
    if value == "auto" or len(value) == 1:
        return value
    if value.lower() in DELIMITERS:
        return DELIMITERS[value.lower()]
    if value == "\\t":
        return "\t"
    raise ExportArgumentError(
        f"delimiter {value!r} is not one character, auto, or one of {', '.join(DELIMITERS)} (e.g. delimiter=semicolon)"
    )


def encoding_of(value: str) -> str:
    """A Python codec name; UTF-8 reads a leading byte order mark as one, not as part of the first value."""
    import codecs

    try:
        name = codecs.lookup(value).name
    except LookupError:
        raise ExportArgumentError(f"encoding {value!r} is unknown (e.g. utf-8, latin-1, cp1252, utf-16)") from None
    return "utf-8-sig" if name == "utf-8" else name


def detect_delimiter(header: str) -> str:
    """The delimiter of a CSV header line: whichever of , ; tab | occurs most often outside quotes (comma on a tie or
    when none does: a one-column file)."""
    counts = dict.fromkeys(DELIMITERS.values(), 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","


def main_from_argv(main: Callable[[dict[str, str]], dict[str, Any]], argv: list[str]) -> None:
    """The jobs' `__main__`: parse Glue's argv, run, log the summary as one JSON line (it lands in CloudWatch)."""
    if not log.handlers:  # on Glue: plain lines on stdout; a process that runs the scripts may configure it first
        log.addHandler(logging.StreamHandler(sys.stdout))
        log.setLevel(logging.INFO)
    log.info(json.dumps(main(parse_glue_args(argv)), default=str))


# ---------------------------------------------------------------- clients


def client(service: str) -> Any:
    """One boto3 client per service, process and credentials (making one costs ~10 ms, and a job makes dozens of
    calls; offline, jobs with different roles share a process)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_ACCESS_KEY_ID"))


@functools.cache
def _client(service: str, region: str | None, endpoint: str | None, access_key: str | None) -> Any:
    return boto3.client(service, region_name=region)


def s3_client() -> Any:
    return client("s3")


# ---------------------------------------------------------------- S3 text and JSON


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def read_text(location: str) -> str:
    """Read an `s3://` object or a local file as UTF-8 text."""
    if location.startswith("s3://"):
        bucket, key = split_s3(location)
        body: bytes = s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
        return body.decode("utf-8")
    return Path(location).read_text(encoding="utf-8")


def put_json(bucket: str, key: str, data: object) -> None:
    body = json.dumps(data, indent=2, sort_keys=False).encode()
    s3_client().put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def get_json(bucket: str, key: str) -> Any:
    """The parsed JSON object at s3://bucket/key, or None when there is none."""
    try:
        body = s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3_client().exceptions.NoSuchKey:
        return None
    return json.loads(body)


def state_key(dataset_group: str) -> str:
    return f"exports/_state/{dataset_group}.json"


# ---------------------------------------------------------------- which engine exports a dataset
# --engine python-shell (this job), spark (the dataset's Glue for Spark job), or auto: Spark when the source holds
# more than --spark_above_bytes (an S3 listing, or the catalog table's files); a query (Athena, a database) always
# runs here. The workflow's graph is the same whichever runs: with auto the Python shell job stays the graph's node
# and, for a large source, starts the Spark job with this run's id and waits for it (its manifest part is the
# export's).

ENGINES = ("python-shell", "spark", "auto")
DEFAULT_SPARK_ABOVE_BYTES = 20 * 2**30  # docs/glue.md, "Choosing the engine": where Spark's start-up pays off
QUERY_SOURCES = ("athena", "postgresql", "mysql")  # the Spark engine does not read these (spark_export.py)
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
        why = "a query source" if size is None else f"{size:,} bytes <= {threshold:,}"
        log.info(f"export_{dataset}: python-shell engine ({why})")
        return run(dataset, args)
    log.info(f"export_{dataset}: spark engine ({size:,} bytes > {threshold:,})")
    return run_on_spark(dataset, args)


def source_bytes(args: dict[str, str]) -> int | None:
    """The bytes under an S3 source, or under a catalog table's location; None for a query (Athena, a database): the
    query's engine does the work, and the job streams its result."""
    kind = args.get("source_type", "s3_parquet")
    source = args["source"].strip()
    if kind in QUERY_SOURCES:
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
