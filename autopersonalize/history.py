"""The run history `autopersonalize report` draws: one record per training run, from a local file or from AWS.

Offline, each `demo` and `run` appends its record to a JSON-lines file (one run per line, append-only, so a run never
rewrites what earlier runs wrote): --history PATH, else AUTOPERSONALIZE_HISTORY, else history.jsonl in the user's data
directory ($XDG_DATA_HOME/autopersonalize, by default ~/.local/share/autopersonalize). On AWS the same records are
read from the account with boto3: the training state machine's executions, the summary each one returned (what Notify
published: outcome, versions and recommenders, their metrics and gate checks, imports) and the export manifest of the
data it trained on. A recommender has no versions: its record is the recommender the run gated or served, drawn at the
run's start as a solution's version is.
boto3 only: it needs no offline stack.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autopersonalize import paths
from autopersonalize.errors import PipelineError

if TYPE_CHECKING:
    import boto3

ENV = "AUTOPERSONALIZE_HISTORY"
FORMAT = 1  # the record's shape; a reader skips records of another shape with a warning
REQUIRED = {"execution": str, "startedAt": str, "outcome": str}
MAX_CAUSE = 500  # characters of a failure's cause kept in a record


def default_path() -> Path:
    """AUTOPERSONALIZE_HISTORY, else history.jsonl in the user's data directory."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "autopersonalize" / "history.jsonl"


def record_of(
    execution: dict[str, Any], export: dict[str, Any], *, source: str, dataset_group: str | None = None
) -> dict[str, Any]:
    """One run as the report draws it, from what the execution returned (DescribeExecution, `output` parsed: the
    summary Notify wrote) and the export manifest of its data ({} when unknown)."""
    output = execution.get("output") or {}
    status = str(execution["status"])
    started, stopped = execution.get("startDate"), execution.get("stopDate")
    duration = output.get("durationSeconds")
    if duration is None and isinstance(started, datetime) and isinstance(stopped, datetime):
        duration = round((stopped - started).total_seconds(), 1)
    imported = {str(i.get("datasetType", "")).lower(): i.get("rowsCounted") for i in output.get("imports") or []}
    rows = {
        dataset: {"exported": numbers.get("rowsWritten"), "rejected": numbers.get("rowsRejected")}
        for dataset, numbers in sorted((export.get("datasets") or {}).items())
    }
    for dataset, counted in imported.items():
        rows.setdefault(dataset, {})["imported"] = counted
    record = {
        "format": FORMAT,
        "source": source,
        "datasetGroup": output.get("datasetGroup") or dataset_group,
        "execution": str(execution["executionArn"]),
        "startedAt": _iso(started),
        "status": status,
        "outcome": str(output.get("outcome") or "UNKNOWN") if status == "SUCCEEDED" else status,
        "durationSeconds": duration,
        "solutions": [_solution(s) for s in output.get("solutions") or []],
        "recommenders": [_recommender(r) for r in output.get("recommenders") or []],
        "rows": rows,
        "exportRun": export.get("runId"),
    }
    if status != "SUCCEEDED":
        record["error"] = execution.get("error")
        record["cause"] = str(execution.get("cause") or "")[:MAX_CAUSE] or None
    return record


def _iso(moment: Any) -> str:
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return datetime.now(UTC).isoformat()


def _gated(found: dict[str, Any]) -> dict[str, Any]:
    """The gate's part of a solution's or recommender's summary: the decision, its reasons, the metrics and checks."""
    checks = [
        {k: c.get(k) for k in ("metric", "value", "minimum", "deployed", "maxDrop", "passed")}
        for c in found.get("checks") or []
    ]
    return {
        "passed": found.get("passed"),
        "reasons": list(found.get("reasons") or []),
        "metrics": {k: float(v) for k, v in sorted((found.get("metrics") or {}).items())},
        "checks": checks,
    }


def _solution(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "solution": found.get("solution"),
        "solutionVersionArn": found.get("solutionVersionArn"),
        "trainingMode": found.get("trainingMode"),
        **_gated(found),
    }


def _recommender(found: dict[str, Any]) -> dict[str, Any]:
    """A recommender as the run left it: `action` created or candidate (a new model the gate passed), rejected (the
    gate refused it and it was deleted; `servedArn` still serves), or unchanged, updated or started (no new model:
    the served recommender's metrics, not gated)."""
    return {
        **{k: found.get(k) for k in ("recommender", "recipe", "action", "recommenderArn", "servedArn")},
        **_gated(found),
    }


def append(path: Path, record: dict[str, Any]) -> None:
    """Add one record as a line of `path` (its folder created if missing)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
    except OSError as error:
        raise PipelineError(
            f"run history {path}: cannot add this run to it ({error.strerror}); give a writable file with --history "
            f"or {ENV}"
        ) from None


@dataclass
class History:
    """The records read from a history, oldest first, and a warning per line that was skipped."""

    records: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines: int = 0  # non-blank lines read, the skipped ones included


def read(path: Path) -> History:
    """The history at `path` ({} when it does not exist). A line that is not a run record is skipped, with a warning
    naming the file, the line and what was wrong."""
    found = History()
    if not path.exists():
        return found
    if path.is_dir():
        raise PipelineError(f"run history {path}: is a directory; give the history file (--history or {ENV})")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise PipelineError(f"run history {path}: cannot read it ({error.strerror})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found.lines += 1
        problem, record = _parse(line)
        if problem:
            found.warnings.append(
                f"run history {path} line {number}: {problem}; the line is skipped "
                "(autopersonalize report --clear-history empties the history)"
            )
        else:
            found.records.append(record)
    found.records.sort(key=lambda r: r["startedAt"])
    return found


def _parse(line: str) -> tuple[str, dict[str, Any]]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not JSON ({error.msg} at column {error.colno})", {}
    if not isinstance(record, dict):
        return "not a run record (a JSON object per line)", {}
    if record.get("format") != FORMAT:
        return f"a record of format {record.get('format')!r}, this version reads format {FORMAT}", {}
    for key, kind in REQUIRED.items():
        if not isinstance(record.get(key), kind):
            return f"not a run record (no {key})", {}
    return "", record


def clear(path: Path) -> bool:
    """Delete the history file; False when there was none."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise PipelineError(f"run history {path}: cannot delete it ({error.strerror})") from None
    return True


def read_aws(prefix: str, region: str | None, endpoint_url: str | None, limit: int) -> list[dict[str, Any]]:
    """from_aws() in the caller's AWS session (or `region`), or against `autopersonalize endpoint` (endpoint_url);
    what boto3 raises becomes one line that says what to check."""
    from autopersonalize.teardown import aws_errors, aws_session

    session = aws_session(endpoint_url, region)
    with aws_errors("report", "read the runs", endpoint_url):
        return from_aws(session, prefix, endpoint_url, limit)


def from_aws(session: boto3.session.Session, prefix: str, endpoint_url: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` finished executions of <prefix>-training as records, oldest first."""
    from autopersonalize.teardown import state_machine

    sfn = session.client("stepfunctions", endpoint_url=endpoint_url)
    s3 = session.client("s3", endpoint_url=endpoint_url)
    machine = state_machine(sfn, prefix, "training")
    summaries: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
        summaries += page["executions"]
        if len(summaries) >= limit:
            break
    records = []
    for summary in sorted(summaries, key=lambda e: e["startDate"], reverse=True)[:limit]:
        described = dict(sfn.describe_execution(executionArn=summary["executionArn"]))
        if described["status"] == "RUNNING":
            continue
        described["output"] = _json(described.get("output")) or {}
        where = _run_location(described)
        export = _export_manifest(s3, where) if where else {}
        records.append(record_of(described, export, source="aws", dataset_group=where[1] if where else None))
    records.sort(key=lambda r: r["startedAt"])
    return records


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        return None


def _run_location(execution: dict[str, Any]) -> tuple[str, str, str] | None:
    """(bucket, dataset group, run id) of the run's params snapshot (workflow.run_params.snapshot_key), from the
    params file that started it (the S3 event's bucket and params/<group>.json), or None for other starts."""
    paths.import_lambdas()
    from workflow import naming

    output = execution.get("output") or {}
    bucket, group = None, output.get("datasetGroup")
    started_by = str(output.get("params") or "")
    if started_by.startswith("s3://"):
        bucket = started_by.removeprefix("s3://").partition("/")[0]
    detail = (_json(execution.get("input")) or {}).get("detail") or {}
    bucket = bucket or (detail.get("bucket") or {}).get("name")
    key = str((detail.get("object") or {}).get("key") or "")
    if group is None and key.startswith("params/") and key.endswith(".json"):
        group = key.removeprefix("params/").removesuffix(".json")
    if not bucket or not group:
        return None
    return str(bucket), str(group), naming.run_id(str(execution.get("name") or ""))


def _export_manifest(s3: Any, where: tuple[str, str, str]) -> dict[str, Any]:
    """The export manifest of the data the run trained on: its params snapshot names the data locations
    (s3://bucket/exports/<export run>/<dataset>/), the export wrote exports/<export run>/manifest.json. {} when
    either is not there (a run that failed in Load Params, data not exported by the stack)."""
    paths.import_lambdas()
    from botocore.exceptions import ClientError
    from workflow import run_params

    bucket, group, run_id = where
    try:
        snapshot = json.loads(s3.get_object(Bucket=bucket, Key=run_params.snapshot_key(group, run_id))["Body"].read())
    except ClientError:
        return {}
    for location in _locations(snapshot.get("params") or {}):
        data_bucket, _, key = location.removeprefix("s3://").partition("/")
        parts = key.split("/")
        if len(parts) >= 2 and parts[0] == "exports":
            try:
                body = s3.get_object(Bucket=data_bucket, Key=f"exports/{parts[1]}/manifest.json")["Body"].read()
            except ClientError:
                continue
            return dict(json.loads(body))
    return {}


def _locations(params: dict[str, Any]) -> Iterable[str]:
    return (str(d.get("dataLocation")) for d in params.get("datasets") or [] if d.get("dataLocation"))
