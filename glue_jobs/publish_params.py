"""Glue Python shell job: merge the run's manifest parts, report rows per dataset to CloudWatch, check the data
minimums, write params/<group>.json."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from job_io import (
    UTC_ZONE,
    ExportArgumentError,
    client,
    export_mode,
    get_json,
    int_arg,
    log,
    main_from_argv,
    put_json,
    read_text,
    require,
    run_id_of,
    s3_client,
    state_key,
)

MIN_INTERACTIONS = 1000  # Personalize: >= 1000 interaction records per training / per import job
MIN_USERS_WITH_2 = 25  # Personalize: >= 25 users with >= 2 interactions each
# The Glue role may put metrics in this namespace only (template.yaml: cloudwatch:namespace condition).
METRICS_NAMESPACE = "autopersonalize"
ROW_METRICS = (("RowsExported", "rowsWritten"), ("RowsRejected", "rowsRejected"))  # metric, manifest count


class DataRequirementError(RuntimeError):
    """The exported data cannot train a Personalize model: names each rule and the shortfall."""


def read_parts(bucket: str, run_id: str) -> dict[str, dict[str, Any]]:
    """The manifest parts the export jobs wrote under exports/<run-id>/manifest/, by dataset."""
    listing = s3_client().list_objects_v2(Bucket=bucket, Prefix=f"exports/{run_id}/manifest/")
    parts = {}
    for obj in listing.get("Contents", []):
        if obj["Key"].endswith(".json"):
            part = get_json(bucket, obj["Key"])
            if "rowsWritten" not in part:  # written before the rows: a schema change stopped it, or it did not end
                raise DataRequirementError(
                    f"s3://{bucket}/{obj['Key']}: export_{part['dataset']} did not finish run {run_id} "
                    f"({(part.get('schemaChange') or {}).get('message') or 'no rows counted'}); nothing is published "
                    "from this run: run the workflow again"
                )
            parts[part["dataset"]] = part
    if "interactions" not in parts:
        raise DataRequirementError(
            f"s3://{bucket}/exports/{run_id}/manifest/interactions.json is missing: export_interactions did not "
            f"finish for run {run_id} (found parts: {sorted(parts) or 'none'}); run it with the same run id first"
        )
    return parts


def put_row_metrics(group: str, parts: dict[str, dict[str, Any]]) -> None:
    """RowsExported and RowsRejected of each exported dataset as CloudWatch metrics (dimensions DatasetGroup,
    Dataset): an alarm on RowsRejected sees a source that drifted from the schema without reading manifests."""
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": "DatasetGroup", "Value": group}, {"Name": "Dataset", "Value": dataset}],
            "Value": float(part[count]),
            "Unit": "Count",
        }
        for dataset, part in sorted(parts.items())
        for metric, count in ROW_METRICS
    ]
    client("cloudwatch").put_metric_data(Namespace=METRICS_NAMESPACE, MetricData=data)


def check_requirements(interactions: dict[str, Any], min_rows: int, min_users: int) -> list[str]:
    """Every Personalize minimum the interactions export misses, with the shortfall (empty when it can train)."""
    rows, users = interactions["rowsWritten"], interactions["usersWithAtLeast2Interactions"]
    problems = []
    if rows < min_rows:
        problems.append(
            f"Personalize needs >= {min_rows} interactions; this run exported {rows} ({min_rows - rows} short)"
        )
    if users < min_users:
        problems.append(
            f"Personalize needs >= {min_users} users with >= 2 interactions; this run has {users} "
            f"({min_users - users} short)"
        )
    return problems


def import_modes(parts: dict[str, dict[str, Any]], state: dict[str, Any], incremental: bool) -> dict[str, str]:
    """FULL for a dataset that never had a FULL import (or in full mode); INCREMENTAL after one."""
    done = state.get("fullImports", {})
    return {ds: "INCREMENTAL" if incremental and done.get(ds) else "FULL" for ds in parts}


def build_params(template: dict[str, Any], parts: dict[str, dict[str, Any]], modes: dict[str, str]) -> dict[str, Any]:
    """The template with this run's data locations, import modes and inline schemas (a self-contained params file).

    `datasets` is our list, or the ml_ops sample's object keyed by dataset type; the params keep their shape (Load
    Params converts ml_ops, and an ml_ops dataset's dataLocation, importMode and schema pass through as ours)."""
    params = json.loads(json.dumps(template))
    datasets = params.get("datasets", [])
    if isinstance(datasets, dict):  # ml_ops: {"Interactions": {...}, "Items": {...}}
        by_kind = {kind: _filled(f"datasets.{kind}", body, kind, parts, modes) for kind, body in datasets.items()}
        params["datasets"] = {kind: body for kind, body in by_kind.items() if body is not None}
    else:
        listed = [_filled(f"datasets[{i}]", entry, None, parts, modes) for i, entry in enumerate(datasets)]
        params["datasets"] = [entry for entry in listed if entry is not None]
    return params


def _filled(
    where: str, entry: Any, kind: str | None, parts: dict[str, dict[str, Any]], modes: dict[str, str]
) -> dict[str, Any] | None:
    """The template's dataset with this run's location, import mode and schema; None when there is nothing new."""
    if not isinstance(entry, dict):
        raise ExportArgumentError(
            f"--params_template: {where} is not an object; check the template with `autopersonalize validate`"
        )
    kind = kind if kind is not None else str(entry.get("datasetType", ""))
    name = kind.lower()
    part = parts.get(name)
    if part is None:
        raise DataRequirementError(
            f"the params template lists dataset {kind} but this run exported no {name} "
            f"(found: {', '.join(sorted(parts))}): run export_{name} in the workflow or remove it from the template"
        )
    if part["rowsWritten"] == 0:
        if modes[name] == "INCREMENTAL":
            return None  # nothing new to import for this dataset
        raise DataRequirementError(
            f"export_{name} wrote 0 rows (read {part['rowsRead']}, rejected "
            f"{part['rowsRejected']}: {part['rejectedByReason']}); fix the source or mapping"
        )
    entry.pop("schemaFile", None)
    entry.update(schema=part["schema"], dataLocation=part["location"], importMode=modes[name])
    return entry


def every_user_jobs(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The template's batch inference jobs without a jobInput: they run for every user (docs/serving.md)."""
    jobs = template.get("batchInferenceJobs") or []
    return [j for j in jobs if isinstance(j, dict) and not j.get("jobInput")]


def every_user_problems(template: dict[str, Any], interactions: dict[str, Any]) -> list[str]:
    """Why the run's list of every user cannot be given to the template's jobs without a jobInput (empty when it
    can, or when there are none)."""
    names = ", ".join(str(j.get("name")) for j in every_user_jobs(template))
    listed = interactions.get("batchUsers")
    if not names or (listed and listed.get("complete")):
        return []
    if not listed:
        return [
            f"batch inference jobs {names} have no jobInput, so they run for every user, but export_interactions "
            "wrote no users list (batchUsers in its manifest part): deploy the export jobs of this version"
        ]
    return [
        f"batch inference jobs {names} have no jobInput, so they run for every user, but this incremental export "
        f"knows only this run's users ({listed.get('users')}, at {listed.get('location')}): the state file has no "
        "list of the earlier runs' users (it was written before such lists were kept); run the workflow once with "
        "--mode full, or give those jobs a jobInput"
    ]


def with_every_user(params: dict[str, Any], interactions: dict[str, Any]) -> dict[str, Any]:
    """The params with this run's list of every user as the jobInput of each batch inference job without one."""
    for job in every_user_jobs(params):
        job["jobInput"] = interactions["batchUsers"]["location"]
    return params


def decide(interactions: dict[str, Any], incremental: bool, args: dict[str, str]) -> tuple[list[str], str]:
    """(refusals, skip reason): full runs must meet the training minimums; incremental ones need enough new rows."""
    rows, min_rows = interactions["rowsWritten"], int_arg(args, "min_interactions", MIN_INTERACTIONS)
    if not incremental:
        return check_requirements(interactions, min_rows, int_arg(args, "min_users", MIN_USERS_WITH_2)), ""
    if rows >= min_rows:
        return [], ""
    return [], (
        f"{rows} new interactions since the watermark; an INCREMENTAL import needs >= {min_rows} "
        f"({min_rows - rows} short)"
    )


def main(args: dict[str, str]) -> dict[str, Any]:
    bucket = require(args, "bucket", "the bucket holding exports/<run-id>/")
    run_id = run_id_of(args)
    template = json.loads(read_text(require(args, "params_template", "an S3 URI or path, e.g. params/demo.json")))
    group = args.get("dataset_group") or template.get("datasetGroup", {}).get("name", "")
    if not group:
        raise ExportArgumentError("pass --dataset_group, or give the template a datasetGroup.name")
    state = get_json(bucket, state_key(group)) or {}
    parts = read_parts(bucket, run_id)
    incremental = export_mode(args) == "incremental" and bool(state.get("fullImports", {}).get("interactions"))
    modes = import_modes(parts, state, incremental)
    problems, skip = decide(parts["interactions"], incremental, args)
    problems += every_user_problems(template, parts["interactions"])
    manifest = {
        "runId": run_id, "datasetGroup": group, "mode": "incremental" if incremental else "full",
        "decision": "refused" if problems else "skipped" if skip else "published",
        "reasons": problems or ([skip] if skip else []), "importModes": modes,
        "datasets": {name: {k: v for k, v in part.items() if k != "schema"} for name, part in parts.items()},
    }  # fmt: skip
    put_json(bucket, f"exports/{run_id}/manifest.json", manifest)
    put_row_metrics(group, parts)
    if problems:
        raise DataRequirementError(f"run {run_id} cannot train dataset group {group}: " + "; ".join(problems))
    if skip:
        log.info(f"publish_params: skipped, params/{group}.json not written: {skip}; they are exported again next run")
        return {"published": False, "runId": run_id, "reason": skip}
    params_key = f"params/{group}.json"
    put_json(bucket, params_key, with_every_user(build_params(template, parts, modes), parts["interactions"]))
    put_json(bucket, state_key(group), _next_state(state, run_id, parts, modes))
    return {"published": True, "runId": run_id, "params": f"s3://{bucket}/{params_key}", "importModes": modes}


def _next_state(state: dict[str, Any], run_id: str, parts: dict[str, Any], modes: dict[str, str]) -> dict[str, Any]:
    span = parts["interactions"].get("timeRange") or {}
    marks = [m for m in (state.get("watermark"), span.get("max")) if m is not None]
    return {
        "lastSuccessfulRunId": run_id,
        "watermark": max(marks) if marks else None,
        "fullImports": {**state.get("fullImports", {}), **{ds: True for ds in modes if parts[ds]["rowsWritten"]}},
        # every user Personalize holds once this run is imported: the next incremental export starts from it (an
        # incomplete list is not kept, so the lists stay incomplete until a full run)
        "batchUsers": _complete_list(parts["interactions"]),
        # what each source held when it last fed Personalize: the next export compares with it (source_schema.py)
        "sourceSchemas": {
            **state.get("sourceSchemas", {}),
            **{ds: part["sourceSchema"] for ds, part in parts.items() if part.get("sourceSchema")},
        },
        "updatedAt": datetime.now(UTC_ZONE).isoformat(),
    }


def _complete_list(interactions: dict[str, Any]) -> str | None:
    listed = interactions.get("batchUsers") or {}
    return str(listed["location"]) if listed.get("complete") else None


if __name__ == "__main__":
    main_from_argv(main, sys.argv[1:])
