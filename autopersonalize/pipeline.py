"""The whole pipeline offline: data lake -> Glue workflow -> params -> training state machine -> campaign -> answers.

Used by `autopersonalize demo` and `autopersonalize run`. It deploys template.yaml into offline AWS, writes the source
tables to the emulated data lake, runs the Glue workflow (whose publish_params upload starts the state machine through
the EventBridge rule, as on AWS), waits for the execution and collects what a user wants to see.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import awswrangler as wr
import boto3
import pandas as pd

from autopersonalize.errors import PipelineError
from autopersonalize.local.stack import REPO, OfflineStack, deploy_stack
from autopersonalize.local.template import Template

LAKE = "lake"
DATASETS = ("interactions", "items", "users")
DEFAULT_EVENT_TYPE = "interaction"


@dataclass(frozen=True)
class Source:
    """One source table for the export jobs: a DataFrame to put in the lake, or a file the user gave."""

    frame: pd.DataFrame
    mapping: str = ""


@dataclass
class RunResult:
    """What one pipeline run produced: the stack, the export, the execution and its timings."""

    stack: OfflineStack
    dataset_group: str
    workflow_run: dict[str, Any]
    execution: dict[str, Any]
    timings: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0


def stack_parameters(bucket: str, sources: dict[str, Source], dataset_group: str) -> dict[str, str]:
    """Template parameters that point the Glue exports at the lake tables written by `write_lake`."""
    parameters = {"DatasetGroupName": dataset_group, "ParamsTemplateKey": "templates/params.json"}
    for dataset in DATASETS:
        key = dataset.capitalize()
        if dataset in sources:
            parameters[f"{key}Source"] = f"s3://{bucket}/{LAKE}/{dataset}/"
            parameters[f"{key}SourceType"] = "s3_parquet"
            parameters[f"{key}Mapping"] = sources[dataset].mapping
        else:
            parameters[f"{key}Source"] = "none"  # the stack's Rules refuse an empty source; none skips the export
    interactions = sources["interactions"]
    if "EVENT_TYPE=" not in interactions.mapping and "EVENT_TYPE" not in interactions.frame.columns:
        parameters["InteractionsEventType"] = DEFAULT_EVENT_TYPE  # the schema's EVENT_TYPE is required
    return parameters


def write_lake(bucket: str, sources: dict[str, Source], params_template: dict[str, Any]) -> None:
    """The source tables as parquet under lake/, the Avro schemas under schemas/ (the params' inline ones first),
    the params template."""
    for dataset, source in sources.items():
        wr.s3.to_parquet(source.frame, f"s3://{bucket}/{LAKE}/{dataset}/", dataset=True, mode="overwrite")
    s3 = boto3.client("s3")
    schemas = {path.name: path.read_text() for path in (REPO / "schemas").glob("*.avsc")}
    for entry in params_template.get("datasets", []):  # the params' own schemas win: the exports must conform to them
        if "schema" in entry:
            schemas[f"{str(entry['datasetType']).lower()}.avsc"] = json.dumps(entry["schema"], indent=2)
    for name, text in schemas.items():
        s3.put_object(Bucket=bucket, Key=f"schemas/{name}", Body=text.encode())
    s3.put_object(Bucket=bucket, Key="templates/params.json", Body=json.dumps(params_template, indent=2).encode())


def state_timings(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seconds spent in each state (summed over Map iterations and polling loops), in first-entered order."""
    entered: dict[str, list[Any]] = {}
    totals: dict[str, dict[str, Any]] = {}
    for event in events:
        if details := event.get("stateEnteredEventDetails"):
            entered.setdefault(details["name"], []).append(event["timestamp"])
            totals.setdefault(details["name"], {"state": details["name"], "seconds": 0.0, "count": 0})
        elif (details := event.get("stateExitedEventDetails")) and entered.get(details["name"]):
            start = entered[details["name"]].pop()
            totals[details["name"]]["seconds"] += (event["timestamp"] - start).total_seconds()
            totals[details["name"]]["count"] += 1
    return list(totals.values())


def run(
    sources: dict[str, Source],
    params_template: dict[str, Any],
    *,
    dataset_group: str = "demo",
    timeout: float = 900.0,
) -> RunResult:
    """Run the pipeline inside the caller's offline_aws(); returns when the training execution has ended."""
    started = time.monotonic()
    bucket = Template.read(REPO / "template.yaml").names["DataBucket"]  # the sources' S3 paths are stack parameters
    stack = deploy_stack(parameters=stack_parameters(bucket, sources, dataset_group))
    write_lake(stack.bucket, sources, params_template)
    workflow_run = stack.run_glue_workflow()
    executions = stack.executions("TrainingStateMachine")
    if not executions:
        raise PipelineError(f"The Glue workflow published no params file: {glue_failure(stack)}")
    execution = stack.wait(executions[0], timeout=timeout)
    return RunResult(
        stack=stack,
        dataset_group=dataset_group,
        workflow_run=workflow_run,
        execution=execution,
        timings=state_timings(stack.history(executions[0])),
        wall_seconds=time.monotonic() - started,
    )


def glue_failure(stack: OfflineStack) -> str:
    """The first failed Glue job of the export and its message, or why nothing was published."""
    glue = boto3.client("glue")
    for logical_id, resource in stack.template.resources.items():
        if resource["Type"] != "AWS::Glue::Job":
            continue
        for job_run in glue.get_job_runs(JobName=stack.name(logical_id))["JobRuns"]:
            if job_run["JobRunState"] == "FAILED":
                return f"Glue job {stack.name(logical_id)} failed: {job_run.get('ErrorMessage', '(no message)')}"
    return "every Glue job succeeded but publish_params skipped (see its output above)"


def load_params_template(path: Path) -> dict[str, Any]:
    """A params file with each `schemaFile` read (relative to the file) and put inline, so the exports and the
    published params use the very schema the user gave."""
    if not path.exists():
        raise PipelineError(f"{path}: params file not found")
    try:
        params = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise PipelineError(f"{path}: not JSON ({exc})") from exc
    for index, entry in enumerate(params.get("datasets", []) if isinstance(params, dict) else []):
        if "schemaFile" in entry:
            schema_path = path.parent / entry.pop("schemaFile")
            if not schema_path.exists():
                raise PipelineError(f"{path}: datasets[{index}].schemaFile: {schema_path} not found")
            entry["schema"] = json.loads(schema_path.read_text())
    return dict(params)


def read_table(path: Path, mapping: str = "") -> Source:
    """A user's CSV, parquet or JSON-lines file as a lake table; errors name the file."""
    if not path.exists():
        raise PipelineError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".jsonl", ".json"):
            frame = pd.read_json(path, lines=True)
        else:
            frame = pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise PipelineError(f"{path}: cannot read as {suffix or 'CSV'}: {exc}") from exc
    if frame.empty:
        raise PipelineError(f"{path}: the file has no rows")
    return Source(frame=frame, mapping=mapping)
