"""Retrain-only runs: what Load Params makes of a retraining schedule's event (workflow.schedules).

The run reuses the params snapshot of the full run that set the schedule, narrowed to one solution: no dataset is
imported (the Import Data Map gets no items), the solution trains a new version in the schedule's mode on the data
Personalize already holds, the gate applies as in any run, and only the campaigns of that solution are deployed (when
the gate passes). Batch inference and segment jobs belong to full runs. The snapshot's `retrain` block (with this
run's id) makes the version's name new for each scheduled run (workflow.training).
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from workflow import aws, naming, run_params
from workflow.errors import InvalidParamsError
from workflow.polling import Poll
from workflow.steps import Run, StepModel

HELP = "drop the params file again: the full run updates the schedule to its own params"


class RetrainEvent(StepModel):
    """The Input of a retraining schedule."""

    dataset_group: str
    solution: str
    training_mode: str
    snapshot: str
    snapshot_etag: str


def narrowed(params: dict[str, Any], event: RetrainEvent, run_id: str) -> dict[str, Any]:
    """The params of the retrain-only run: one solution in the schedule's mode, its campaigns, no batch jobs."""
    solution = next((s for s in params.get("solutions") or [] if s.get("name") == event.solution), None)
    if solution is None:
        raise InvalidParamsError(
            event.snapshot,
            [f"the retraining schedule names solution {event.solution!r}, which the params lack; {HELP}"],
        )
    document = dict(params)
    document["solutions"] = [{**solution, "trainingMode": event.training_mode}]
    challenged = {  # campaigns whose experiment tries this solution: their challenger takes the new version
        e["campaign"]
        for e in params.get("experiments") or []
        if (e.get("challenger") or {}).get("solution") == event.solution
    }
    document["campaigns"] = [
        c for c in params.get("campaigns") or [] if c.get("solution") == event.solution or c.get("name") in challenged
    ]
    document["batchInferenceJobs"] = []
    document["batchSegmentJobs"] = []
    document["recommenders"] = []  # a recommender is not a solution: no schedule retrains it
    document["retrain"] = {"solution": event.solution, "trainingMode": event.training_mode, "runId": run_id}
    return document


def load_run(event: dict[str, Any], execution_id: str, execution_name: str) -> tuple[dict[str, Any], list[str]]:
    """The initial state of a retrain-only run (as source.load_run makes for a full run) and its warnings."""
    try:
        retrain = RetrainEvent.model_validate(event["retrain"])
    except ValidationError as error:
        problems = [f"retrain.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        raise InvalidParamsError("execution input", problems) from None
    try:
        saved = run_params.snapshot(retrain.snapshot, retrain.snapshot_etag)
    except ClientError as exc:
        reason = aws.error_message(exc) or aws.error_code(exc)
        raise InvalidParamsError(retrain.snapshot, [f"the params snapshot cannot be read ({reason}); {HELP}"]) from exc
    run_id = naming.run_id(execution_name)
    document = narrowed(saved["params"], retrain, run_id)
    warnings = list(saved.get("warnings") or [])
    group = retrain.dataset_group
    bucket = aws.env("BUCKET")
    uri, etag = run_params.save(bucket, run_params.snapshot_key(group, run_id), document, warnings, saved.get("export"))
    run = Run(
        run_id=run_id,
        execution_id=execution_id,
        dataset_group=group,
        bucket=bucket,
        key=run_params.snapshot_key(group, run_id),
        started_at=time.time(),
        snapshot=uri,
        snapshot_etag=etag,
    )
    names = run_params.names(document)
    names["datasets"] = []  # nothing to import: train on what Personalize holds
    state = {
        "run": run.model_dump(by_alias=True),
        "names": names,
        "polling": document["polling"],
        "lock": {"acquired": False, "poll": Poll().model_dump(by_alias=True)},
    }
    return state, warnings
