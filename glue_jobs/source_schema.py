"""Source schema changes (issue 16): what each export read, how it differs from the last published run's, and what
the stack's policy does about it.

Every export records its source's columns (name and type, in order; and the catalog table's version for catalog
sources) in its manifest part; publish_params keeps them in the state file (exports/_state/<group>.json) when a run
publishes, so the next run compares against the last run that fed Personalize, however many runs failed between.
The comparison happens before a single row is conformed. A change is reported in the manifest part, as an
EventBridge event (source "autopersonalize", detail-type "Source Schema Changed") and on the notification topic; the
policy (--schema_changes, stack parameter SourceSchemaChanges) then stops the export, so the workflow publishes
nothing, or lets it go on with a note that reaches the run's notification.

Types are what the source declares: parquet and Athena columns, the catalog's column types. CSV, JSON lines and
database sources arrive as text (personalize_export reads every value as the text a CSV holds), so for them only
the names and their order are compared; a crawler over CSV data gives a catalog table with types.

Boto3, the standard library and pandas only (both engines import it: Glue Python shell and Glue for Spark).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from job_io import ExportArgumentError, client, get_json, log, put_json, state_key

POLICIES = ("stop-if-mapped", "stop", "continue")
TEXT_SOURCES = ("s3_csv", "s3_jsonl", "postgresql", "mysql")  # values arrive as text: names and order only
EVENT_SOURCE = "autopersonalize"  # the workflow's own events (lambdas/workflow/events.py) use the same source
DETAIL_TYPE = "Source Schema Changed"
UNKNOWN = "unknown"  # a column with no value in the first chunk: its type cannot be told, so it never "changes"


class SchemaChangeError(RuntimeError):
    """The source's schema changed and the policy stops the export: the message holds the difference."""


def policy_of(args: dict[str, str]) -> str:
    policy = (args.get("schema_changes") or "stop-if-mapped").strip()
    if policy not in POLICIES:
        raise ExportArgumentError(
            f"--schema_changes {policy!r} is not one of {', '.join(POLICIES)} (stack parameter SourceSchemaChanges)"
        )
    return policy


# ---------------------------------------------------------------- describing a source


def pandas_type(s: pd.Series) -> str:
    """One word per kind of column, the same for every source: string, integer, float, boolean, timestamp, ..."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    if not pd.api.types.is_object_dtype(dtype):
        return "string" if pd.api.types.is_string_dtype(dtype) else str(dtype)
    return _object_type(s.dropna().head(1000))


def _object_type(sample: pd.Series) -> str:
    """What the values of an object column are; a list column (parquet's list, a database array) is array<...>."""
    if len(sample) and isinstance(sample.iloc[0], (list, tuple, np.ndarray)):
        inner = pd.Series([v for row in sample for v in row][:1000], dtype=object)
        return f"array<{_object_type(inner)}>"
    inferred = pd.api.types.infer_dtype(sample, skipna=True)
    return {
        "string": "string",
        "integer": "integer",
        "floating": "float",
        "mixed-integer-float": "float",
        "decimal": "decimal",
        "boolean": "boolean",
        "datetime": "timestamp",
        "datetime64": "timestamp",
        "date": "date",
        "bytes": "binary",
        "empty": UNKNOWN,
    }.get(inferred, inferred)


def catalog_type(glue_type: str) -> str:
    """A Glue / Hive / Spark type name in the same words as pandas_type (array<...>, struct<...> and map<...> kept)."""
    name = glue_type.strip().lower()
    if name.startswith("array<") and name.endswith(">"):
        return f"array<{catalog_type(name[6:-1])}>"
    base = name.split("(", 1)[0]
    if base in ("tinyint", "smallint", "int", "integer", "bigint", "long", "short", "byte"):
        return "integer"
    if base in ("float", "double", "real"):
        return "float"
    if base in ("string", "varchar", "char"):
        return "string"
    if base in ("timestamp", "timestamp_ntz"):
        return "timestamp"
    return {"decimal": "decimal", "boolean": "boolean", "date": "date", "binary": "binary"}.get(base, name)


def frame_columns(df: pd.DataFrame) -> list[dict[str, str]]:
    return [{"name": str(name), "type": pandas_type(df[name])} for name in df.columns]


def catalog_schema(table: str) -> dict[str, Any]:
    """The catalog table's columns (partition keys last, as readers return them) and its version."""
    database, _, name = table.partition(".")
    found = client("glue").get_table(DatabaseName=database, Name=name)["Table"]
    declared = [*found.get("StorageDescriptor", {}).get("Columns", []), *found.get("PartitionKeys", [])]
    return {
        "columns": [{"name": c["Name"], "type": catalog_type(c.get("Type", ""))} for c in declared],
        "catalogVersion": found.get("VersionId"),
    }


def describe(args: dict[str, str], columns: list[dict[str, str]] | None, mapped: list[str]) -> dict[str, Any] | None:
    """What this run read: {sourceType, source, columns, typed[, catalogVersion]}; None when nothing was read (an
    empty source, or a database with no row past the watermark) and the source declares no schema either.
    JSON lines have no schema (each record carries its own keys, an optional one may be absent from a whole chunk):
    their columns are the mapped keys found, so both engines describe them alike and only a mapped key can change."""
    kind = args.get("source_type", "s3_parquet")
    described: dict[str, Any] = {"sourceType": kind, "source": args.get("source")}
    if kind == "catalog":
        described.update(catalog_schema(args["source"]))
    elif columns is None:
        return None
    elif kind == "s3_jsonl":
        found = {c["name"]: c for c in columns}
        described["columns"] = [found[name] for name in mapped if name in found]
    else:
        described["columns"] = columns
    described["typed"] = kind not in TEXT_SOURCES
    return described


# ---------------------------------------------------------------- comparing


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The difference between two descriptions: dropped, added, renamed (guessed: a dropped and an added column at
    the same position with the same type), retyped (only when both runs read typed sources); empty lists when equal."""
    before = {c["name"]: c["type"] for c in old["columns"]}
    after = {c["name"]: c["type"] for c in new["columns"]}
    dropped = [n for n in before if n not in after]
    added = [n for n in after if n not in before]
    renamed = []
    old_names, new_names = [c["name"] for c in old["columns"]], [c["name"] for c in new["columns"]]
    for name in list(dropped):
        at = old_names.index(name)
        if at < len(new_names) and new_names[at] in added and _same_type(before[name], after[new_names[at]]):
            renamed.append({"from": name, "to": new_names[at]})
            dropped.remove(name)
            added.remove(new_names[at])
    typed = bool(old.get("typed")) and bool(new.get("typed"))
    retyped = [
        {"column": n, "from": before[n], "to": after[n]}
        for n in before
        if n in after and typed and not _same_type(before[n], after[n])
    ]
    return {"dropped": dropped, "added": added, "renamed": renamed, "retyped": retyped}


def _same_type(a: str, b: str) -> bool:
    return a == b or UNKNOWN in (a, b)


def changed(diff: dict[str, Any]) -> bool:
    return any(diff[k] for k in ("dropped", "added", "renamed", "retyped"))


def affected(diff: dict[str, Any], mapped: list[str]) -> list[str]:
    """The columns this run's mapping reads that the change removed or retyped (a renamed column is removed under
    its old name: a mapping already updated to the new name is not affected)."""
    hit = set(diff["dropped"]) | {r["from"] for r in diff["renamed"]} | {r["column"] for r in diff["retyped"]}
    return [c for c in mapped if c in hit]


def lines(diff: dict[str, Any]) -> list[str]:
    out = [f"dropped: {c}" for c in diff["dropped"]]
    out += [f"renamed (guessed from position and type): {r['from']} -> {r['to']}" for r in diff["renamed"]]
    out += [f"retyped: {r['column']} {r['from']} -> {r['to']}" for r in diff["retyped"]]
    out += [f"added: {c}" for c in diff["added"]]
    return out


# ---------------------------------------------------------------- the check an export runs


def check(
    dataset: str, args: dict[str, str], bucket: str, run_id: str, mapped: list[str], read: dict[str, Any] | None
) -> dict[str, Any]:
    """Compare what this run read with the last published run's source; report a change (manifest part, event,
    notification) and stop when the policy says so. Returns the manifest part's `sourceSchema` and `schemaChange`."""
    policy = policy_of(args)
    recorded: dict[str, Any] = {"sourceSchema": read, "schemaChange": None}
    group = args.get("dataset_group", "").strip()
    if read is None or not group:
        return recorded
    state = get_json(bucket, state_key(group)) or {}
    last = (state.get("sourceSchemas") or {}).get(dataset)
    if not last or not last.get("columns"):
        return recorded  # the first published run of this dataset: nothing to compare with
    diff = compare(last, read)
    versions = (last.get("catalogVersion"), read.get("catalogVersion"))
    if not changed(diff):
        if versions[0] != versions[1] and versions[1] is not None:
            log.info(f"export_{dataset}: catalog table version {versions[0]} -> {versions[1]}, columns unchanged")
        return recorded
    hit = affected(diff, mapped)
    stop = policy == "stop" or (policy == "stop-if-mapped" and bool(hit))
    change = {
        "since": {"runId": state.get("lastSuccessfulRunId"), "catalogVersion": versions[0]},
        "catalogVersion": versions[1],
        **diff,
        "mappedColumnsAffected": hit,
        "policy": policy,
        "action": "stopped" if stop else "continued",
    }
    change["message"] = _message(dataset, read, change)
    recorded["schemaChange"] = change
    _report(dataset, args, bucket, run_id, group, recorded)
    if stop:
        raise SchemaChangeError(change["message"])
    log.warning(change["message"])
    return recorded


def _message(dataset: str, read: dict[str, Any], change: dict[str, Any]) -> str:
    source = f"{read['sourceType']} {read['source']}"
    head = f"export_{dataset}: the source's schema changed since run {change['since']['runId']} ({source}): "
    head += "; ".join(lines(change))
    if change["action"] == "continued":
        hit = change["mappedColumnsAffected"]
        why = f"policy continue, though the mapping reads {', '.join(hit)}" if hit else "no mapped column is affected"
        return f"{head}. Went on ({why})."
    hit = change["mappedColumnsAffected"]
    why = f"the mapping reads {', '.join(hit)}" if hit else "policy stop: any change stops"
    return (
        f"{head}. Stopped before conforming a row ({why}): nothing is published from "
        "this run. If the change is intended, point the mapping at the new columns (stack parameter "
        f"{dataset.capitalize()}Mapping, job argument --mapping) or set SourceSchemaChanges to continue for one "
        "run; then run the workflow again."
    )


def _report(dataset: str, args: dict[str, str], bucket: str, run_id: str, group: str, recorded: dict[str, Any]) -> None:
    """The manifest part (at once: a stopped export writes no other), the event and the notification; a retried job
    run that finds the same change already reported does not notify twice."""
    key = f"exports/{run_id}/manifest/{dataset}.json"
    change = recorded["schemaChange"]
    previous = get_json(bucket, key) or {}
    put_json(bucket, key, {"dataset": dataset, "runId": run_id, "status": change["action"], **recorded})
    if (previous.get("schemaChange") or {}).get("message") == change["message"]:
        return
    detail = {"datasetGroup": group, "dataset": dataset, "runId": run_id, **recorded}
    entry = {"Source": EVENT_SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail, default=str)}
    response = client("events").put_events(Entries=[{**entry, "EventBusName": "default"}])
    if response.get("FailedEntryCount"):
        log.warning(f"export_{dataset}: the {DETAIL_TYPE} event was not delivered: {response.get('Entries')}")
    topic = args.get("notification_topic", "").strip()
    if topic:
        subject = f"autopersonalize {group}: {dataset} source schema changed, export {change['action']}"[:100]
        client("sns").publish(TopicArn=topic, Subject=subject, Message=change["message"])
