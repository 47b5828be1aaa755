"""The pydantic models of what each Task state receives (its ASL `Parameters`) and the run's identity."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from workflow.polling import Poll


class StepModel(BaseModel):
    """Base of every step input: camelCase keys as the ASL writes them, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class Run(StepModel):
    """Who this run is: its params object in S3 and its execution (set once by Load Params)."""

    run_id: str
    execution_id: str
    dataset_group: str
    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    started_at: float


class LoadParamsStep(StepModel):
    event: dict[str, Any]
    execution_id: str
    execution_name: str


class LockStep(StepModel):
    dataset_group: str
    owner: str
    poll: Poll | None = None
    polling: dict[str, Any] = {}


class RunStep(StepModel):
    """The run and its validated params (camelCase, as params/*.json)."""

    run: Run
    params: dict[str, Any]
    poll: Poll | None = None


class GroupStep(RunStep):
    dataset_group_arn: str


class ImportStep(GroupStep):
    dataset: dict[str, Any]
    datasets: list[dict[str, Any]]
    job_arn: str | None = None
    previous: dict[str, Any] = {}


class SolutionStep(GroupStep):
    solution: dict[str, Any]
    solution_arn: str | None = None


class VersionStep(SolutionStep):
    imports: list[dict[str, Any]]
    solution_version_arn: str | None = None
    previous: dict[str, Any] = {}


class EvaluateStep(SolutionStep):
    version: dict[str, Any]


class CampaignStep(RunStep):
    campaign: dict[str, Any]
    solutions: list[dict[str, Any]]
    previous: dict[str, Any] = {}


class BatchStep(RunStep):
    job: dict[str, Any]
    solutions: list[dict[str, Any]]
    serving: dict[str, Any]
    job_arn: str | None = None
    previous: dict[str, Any] = {}


class StateStep(StepModel):
    """The whole execution state (Publish, Notify, Notify Failure)."""

    state: dict[str, Any]
    execution_id: str


class TeardownStep(StepModel):
    """A teardown phase: the dataset group (params name, no prefix) and where the previous phase left off."""

    dataset_group: str
    progress: dict[str, Any] = {}
