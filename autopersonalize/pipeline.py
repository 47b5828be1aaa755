"""The whole pipeline offline: data lake -> Glue workflow -> params -> training state machine -> campaign -> answers.

Used by `autopersonalize demo` and `autopersonalize run`. It deploys template.yaml into offline AWS, writes the source
tables to the emulated data lake, runs the Glue workflow (whose publish_params upload starts the state machine through
the EventBridge rule, as on AWS), waits for the execution and collects what a user wants to see.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import awswrangler as wr
import boto3
import pandas as pd

from autopersonalize import segment_inputs
from autopersonalize.errors import PipelineError
from autopersonalize.local.stack import REPO, OfflineStack, deploy_stack
from autopersonalize.local.template import Template
from autopersonalize.userdata import DEFAULT_EVENT_TYPE, UserFile, has_event_type

LAKE = "lake"
DATASETS = ("interactions", "items", "users")


@dataclass(frozen=True)
class Source:
    """One source table of the export jobs: rows to put in the lake as parquet (the demo's generated tables), or a
    user's files, uploaded to the lake as they are (the export reads them as on AWS, with the same rules)."""

    frame: pd.DataFrame | None = None
    mapping: str = ""
    files: UserFile | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.files.columns if self.files is not None else tuple(map(str, self.frame.columns))  # type: ignore[union-attr]


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
        source = sources.get(dataset)
        if source is None:
            parameters[f"{key}Source"] = "none"  # the stack's Rules refuse an empty source; none skips the export
            continue
        parameters[f"{key}Source"] = f"s3://{bucket}/{LAKE}/{dataset}/"
        parameters[f"{key}SourceType"] = source.files.source_type if source.files else "s3_parquet"
        parameters[f"{key}SourceOptions"] = source.files.source_options if source.files else ""
        parameters[f"{key}Mapping"] = source.mapping
    if not fills_event_type(sources["interactions"]):
        parameters["InteractionsEventType"] = DEFAULT_EVENT_TYPE  # the schema's EVENT_TYPE is required
    return parameters


def fills_event_type(interactions: Source) -> bool:
    """Whether the interactions have an EVENT_TYPE column (named so or mapped); else the run fills in a constant."""
    return has_event_type(interactions.mapping, interactions.columns)


def write_lake(
    bucket: str,
    sources: dict[str, Source],
    params_template: dict[str, Any],
    schemas: dict[str, str] | None = None,
    job_inputs: dict[str, bytes] | None = None,
) -> None:
    """The source tables under lake/ (a user's files byte for byte, generated tables as parquet), the Avro schemas
    under schemas/ (`schemas` when given: dataset -> JSON text; else the params' inline ones, then the repository's),
    the batch segment jobs' inputs (`job_inputs`: key -> body), the params template."""
    s3 = boto3.client("s3")
    for key, body in (job_inputs or {}).items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    for dataset, source in sources.items():
        if source.files is None:
            wr.s3.to_parquet(source.frame, f"s3://{bucket}/{LAKE}/{dataset}/", dataset=True, mode="overwrite")
            continue
        for path, name in source.files.relative_names():  # multipart, streamed from disk: memory stays flat
            s3.upload_file(str(path), bucket, f"{LAKE}/{dataset}/{name}")
    if schemas is None:
        schemas = {path.stem: path.read_text() for path in (REPO / "schemas").glob("*.avsc")}
        for entry in params_template.get("datasets", []):  # the params' own schemas win: the exports conform to them
            if "schema" in entry:
                schemas[str(entry["datasetType"]).lower()] = json.dumps(entry["schema"], indent=2)
    for dataset, text in schemas.items():
        s3.put_object(Bucket=bucket, Key=f"schemas/{dataset}.avsc", Body=text.encode())
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


def export(
    sources: dict[str, Source],
    params_template: dict[str, Any],
    *,
    dataset_group: str,
    schemas: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    job_inputs: dict[str, bytes] | None = None,
) -> tuple[OfflineStack, dict[str, Any]]:
    """Deploy the stack for these sources, fill the lake and run the Glue workflow (its publish_params upload starts
    the training execution when the export can train); the stack and the workflow run as Glue describes it.
    `settings`: more stack parameters (e.g. InteractionsSameSecondDuplicates), over the ones the sources imply;
    `job_inputs`: the batch segment jobs' input files (S3 key -> body), whose jobs then name the stack's bucket."""
    bucket = Template.read(REPO / "template.yaml").names["DataBucket"]  # the sources' S3 paths are stack parameters
    stack = deploy_stack(parameters={**stack_parameters(bucket, sources, dataset_group), **(settings or {})})
    template = segment_inputs.on_bucket(params_template, stack.bucket)
    write_lake(stack.bucket, sources, template, schemas, job_inputs)
    return stack, stack.run_glue_workflow()


def run(
    sources: dict[str, Source],
    params_template: dict[str, Any],
    *,
    dataset_group: str = "demo",
    schemas: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    timeout: float = 900.0,
    job_inputs: dict[str, bytes] | None = None,
) -> RunResult:
    """Run the pipeline inside the caller's offline_aws(); returns when the training execution has ended."""
    started = time.monotonic()
    stack, workflow_run = export(
        sources,
        params_template,
        dataset_group=dataset_group,
        schemas=schemas,
        settings=settings,
        job_inputs=job_inputs,
    )
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
    for logical_id in stack.resources:  # deployed ones only: a job whose Condition is false does not exist
        if stack.template.resources[logical_id]["Type"] != "AWS::Glue::Job":
            continue
        for job_run in glue.get_job_runs(JobName=stack.name(logical_id))["JobRuns"]:
            if job_run["JobRunState"] == "FAILED":
                return f"Glue job {stack.name(logical_id)} failed: {job_run.get('ErrorMessage', '(no message)')}"
    return "every Glue job succeeded but publish_params skipped (see its output above)"
