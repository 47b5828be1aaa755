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
    """Who this run is: its params object in S3, its execution, and where Load Params keeps the validated params
    (`snapshot`, pinned by `snapshot_etag`; workflow.run_params). Set once by Load Params."""

    run_id: str
    execution_id: str
    dataset_group: str
    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    started_at: float
    snapshot: str
    snapshot_etag: str


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
    """The run (its params are read from `run.snapshot`, never carried in the state)."""

    run: Run
    poll: Poll | None = None


class GroupStep(RunStep):
    dataset_group_arn: str


class ImportStep(GroupStep):
    dataset: str  # the datasetType: one item of the Map over params.datasets
    datasets: list[dict[str, Any]]
    job_arn: str | None = None
    previous: dict[str, Any] = {}


class SolutionStep(GroupStep):
    solution: str  # the solution's name
    solution_arn: str | None = None


class VersionStep(SolutionStep):
    imports: list[dict[str, Any]]
    solution_version_arn: str | None = None
    previous: dict[str, Any] = {}


class EvaluateStep(SolutionStep):
    version: dict[str, Any]


class CampaignStep(RunStep):
    campaign: str  # the campaign's name
    solutions: list[dict[str, Any]]
    previous: dict[str, Any] = {}


class BatchStep(RunStep):
    job: str  # the batch inference (or batch segment) job's name
    solutions: list[dict[str, Any]]
    serving: dict[str, Any]
    job_arn: str | None = None
    previous: dict[str, Any] = {}


class LoadBatchStep(RunStep):
    job: str  # the served batch inference job's name
    previous: dict[str, Any]  # the job's result: its solutionVersionArn and, after the first call, the load cursor


class RecommenderStep(GroupStep):
    recommender: str  # the recommender's name: one item of the Map over params.recommenders
    previous: dict[str, Any] = {}


class EvaluateRecommenderStep(RunStep):
    recommender: str
    result: dict[str, Any]  # Ensure Recommender's result: the recommender to gate and the one served now


class PublishStep(StepModel):
    """What Publish writes to SSM: the deployed campaigns, the filters and the event tracker, the recommenders."""

    run: Run
    campaigns: list[dict[str, Any]]
    serving: dict[str, Any]
    recommenders: list[dict[str, Any]] = []


class NotifyStep(StepModel):
    """What the run did, for Notify's message (the params' notifications and warnings come from the snapshot)."""

    run: Run
    imports: list[dict[str, Any]]
    solutions: list[dict[str, Any]]
    campaigns: list[dict[str, Any]]
    batch: list[dict[str, Any]]
    segments: list[dict[str, Any]] = []
    recommenders: list[dict[str, Any]] = []
    published: dict[str, Any]


class StateStep(StepModel):
    """The whole execution state at a failure (Notify Failure): small, since it never holds the params."""

    state: dict[str, Any]
    execution_id: str


class TeardownStep(StepModel):
    """A teardown phase: the dataset group (params name, no prefix) and where the previous phase left off."""

    dataset_group: str
    progress: dict[str, Any] = {}
