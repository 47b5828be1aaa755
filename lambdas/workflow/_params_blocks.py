"""The blocks of the params contract (pydantic v2, camelCase as in the Personalize API); `params.Params` joins them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PositiveFloat, field_validator, model_validator

from workflow import _domains
from workflow._params_base import (
    KMS_ARN_PATTERN,
    ROLE_ARN_PATTERN,
    S3_ANY_PATTERN,
    TAG_PUNCTUATION,
    ApiModel,
    ApiString,
    DatasetType,
    Fraction,
    Metric,
    Name,
    S3File,
    S3Prefix,
    ScheduleExpression,
    TimeZone,
)
from workflow._recipes import recipe_problem
from workflow._solution_config import SolutionConfig, TrainingDataConfig


class Tag(ApiModel):
    """A tag put on every Personalize resource the workflow creates."""

    tag_key: str = Field(min_length=1, max_length=128, description="Tag key (not aws:...).")
    tag_value: str = Field(max_length=256, description="Tag value.")

    @field_validator("tag_key", "tag_value")
    @classmethod
    def _tag_text(cls, value: str) -> str:
        bad = sorted({c for c in value if not (c.isalnum() or c.isspace() or c in TAG_PUNCTUATION)})
        if bad:
            shown = " ".join(f'"{c}"' for c in bad)
            raise ValueError(f'"{value}" contains {shown}; allowed: letters, digits, spaces and _ . : / = + - @')
        return value

    @field_validator("tag_key")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value.lower().startswith("aws:"):
            raise ValueError(f'"{value}" starts with "aws:", which AWS reserves; choose another key')
        return value


class DatasetGroup(ApiModel):
    """The dataset group (CreateDatasetGroup). Its name, with the stack prefix, names every resource."""

    name: Name = Field(description="Dataset group name; the stack prefix is added (see workflow.naming).")
    domain: Literal["ECOMMERCE", "VIDEO_ON_DEMAND"] | None = Field(None, description="Domain dataset group, if any.")
    kms_key_arn: str | None = Field(None, max_length=2048, pattern=KMS_ARN_PATTERN, description="KMS key ARN.")
    role_arn: str | None = Field(
        None,
        max_length=256,
        pattern=ROLE_ARN_PATTERN,
        description="IAM role with permissions to use the KMS key: required with kmsKeyArn, only valid with it.",
    )
    tags: list[Tag] = Field([], max_length=200, description="Tags for the dataset group only.")


class Dataset(ApiModel):
    """One dataset: its type, its Avro schema (inline or a file) and where its CSV data is."""

    dataset_type: DatasetType = Field(description="Interactions (exactly one), Items or Users.")
    avro_schema: dict[str, Any] | None = Field(None, alias="schema", description="Inline Avro schema (or schemaFile).")
    schema_file: str | None = Field(
        None, min_length=1, description="Avro schema file: path relative to this params file, or s3:// URI."
    )
    data_location: str = Field(
        max_length=256,
        pattern=S3_ANY_PATTERN,
        description="s3:// CSV file, or prefix ending in / (every file in it), in the stack's bucket.",
    )
    import_mode: Literal["FULL", "INCREMENTAL"] = Field(
        "FULL", description="FULL replaces bulk-imported data; INCREMENTAL adds to it (only after a FULL import)."
    )
    fill: dict[str, str | bool | int | float] | None = Field(
        None,
        min_length=1,
        description="A constant for each schema field the source has no column for, e.g. "
        '{"CREATION_TIMESTAMP": 788918400} for VIDEO_ON_DEMAND items (a required field, never null) or '
        '{"EVENT_TYPE": "Watch"} for interactions of one type (what VIDEO_ON_DEMAND recommenders train on). Each '
        "value has its field's type. `run` exports every row with it; on AWS set the stack parameter <Dataset>Fill "
        "(e.g. ItemsFill) to the same JSON object.",
    )

    @model_validator(mode="after")
    def _one_schema(self) -> Dataset:
        if (self.avro_schema is None) == (self.schema_file is None):
            found = "both" if self.avro_schema is not None else "neither"
            raise ValueError(f'found {found} of "schema" and "schemaFile"; give exactly one')
        return self


class RetrainSchedule(ApiModel):
    """Retrain-only runs of one solution on EventBridge Scheduler schedules: train a new version on the data already
    imported (no export, no import), gate it, and deploy it only if the gate passes."""

    full: ScheduleExpression | None = Field(
        None,
        description='How often to train with FULL: "rate(7 days)" or "cron(0 3 ? * SUN *)" (EventBridge Scheduler).',
    )
    update: ScheduleExpression | None = Field(
        None,
        description="How often to train with UPDATE (aws-user-personalization, aws-hrnn-coldstart only): refreshes "
        "the last FULL version with new items and interactions.",
    )
    timezone: TimeZone = Field("UTC", description="IANA time zone the cron expressions are evaluated in.")

    @model_validator(mode="after")
    def _some(self) -> RetrainSchedule:
        if self.full is None and self.update is None:
            raise ValueError('give "full", "update" or both (a schedule expression each), or remove retrainSchedule')
        return self


class Solution(ApiModel):
    """A solution (CreateSolution) and how each run trains a new version of it (CreateSolutionVersion)."""

    name: Name = Field(description="Solution name, unique in this file.")
    recipe: str = Field(
        description='Recipe name ("aws-user-personalization-v2") or ARN (arn:aws:personalize:::recipe/...).'
    )
    training_mode: Literal["FULL", "UPDATE"] = Field(
        "FULL",
        description="FULL retrains; UPDATE (aws-user-personalization, aws-hrnn-coldstart) refreshes the last FULL.",
    )
    perform_hpo: bool = Field(False, alias="performHPO", description="Hyperparameter optimization (costs more).")
    perform_auto_training: bool = Field(
        False,
        description="Personalize's own scheduled retraining. Always sent explicitly; false keeps runs pipeline-driven.",
    )
    solution_config: SolutionConfig | None = Field(None, description="CreateSolution's solutionConfig.")
    event_type: str | None = Field(None, max_length=256, description="Train only on interactions of this EVENT_TYPE.")
    retrain_schedule: RetrainSchedule | None = Field(
        None, description="Scheduled retraining without a new export (EventBridge Scheduler); removed when absent."
    )

    @field_validator("recipe")
    @classmethod
    def _known_recipe(cls, value: str) -> str:
        problem = recipe_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class MetricsGate(ApiModel):
    """Conditions a new solution version must meet before any campaign deploys it (GetSolutionMetrics names), or a
    new recommender before it is served (DescribeRecommender's modelMetrics)."""

    solution: str | None = Field(None, description="Name of the gated solution (one gate per solution).")
    recommender: str | None = Field(
        None, description="Or: name of the gated recommender (one gate per recommender; give solution or this)."
    )
    minimums: dict[Metric, Fraction] = Field({}, description="Metric -> lowest accepted value.")
    max_drop_vs_deployed: dict[Metric, Fraction] = Field(
        {}, description="Metric -> largest accepted drop below the version the campaign serves now."
    )
    min_lift_over_baselines: dict[Metric, PositiveFloat] = Field(
        {},
        description="Metric -> lowest accepted ratio to the better of the export's baselines (popularity, the "
        "user's own history newest first), e.g. 1.2 for 20 % better; needs interactions exported by this stack.",
    )

    @model_validator(mode="after")
    def _one_target(self) -> MetricsGate:
        if (self.solution is None) == (self.recommender is None):
            found = "both" if self.solution is not None else "neither"
            raise ValueError(f'found {found} of "solution" and "recommender"; a gate names exactly one')
        return self


class CampaignConfig(ApiModel):
    """CreateCampaign's campaignConfig."""

    item_exploration_config: dict[Literal["explorationWeight", "explorationItemAgeCutOff"], ApiString] | None = Field(
        None, description="User-Personalization only: exploration of new items."
    )
    enable_metadata_with_recommendations: bool | None = Field(None, description="Return item metadata (extra cost).")
    sync_with_latest_solution_version: bool | None = Field(
        None, description="Deploy every new version automatically (bypasses the metrics gate)."
    )
    ranking_influence: dict[Literal["POPULARITY", "FRESHNESS"], Fraction] | None = Field(
        None, description="Boost popular or fresh items (weights 0 to 1)."
    )


class Campaign(ApiModel):
    """A campaign serving the latest version of a solution that passed its gate."""

    name: Name = Field(description="Campaign name, unique in this file.")
    solution: str = Field(description="Name of the solution it deploys.")
    min_provisioned_tps: int = Field(1, ge=1, alias="minProvisionedTPS", description="Billed minimum throughput.")
    campaign_config: CampaignConfig | None = Field(None, description="CreateCampaign's campaignConfig.")


class RecommenderConfig(ApiModel):
    """CreateRecommender's recommenderConfig."""

    min_recommendation_requests_per_second: int | None = Field(
        None, ge=1, description="Billed minimum requests per second (Personalize: 1)."
    )
    training_data_config: TrainingDataConfig | None = Field(None, description="Columns left out of training.")
    item_exploration_config: dict[Literal["explorationWeight", "explorationItemAgeCutOff"], ApiString] | None = Field(
        None, description="Recipes that personalize for a user only (aws-vod-top-picks, aws-ecomm-recommended-for-you)."
    )
    enable_metadata_with_recommendations: bool | None = Field(None, description="Return item metadata (extra cost).")


class Recommender(ApiModel):
    """A recommender of a domain dataset group (CreateRecommender): a domain use case Personalize trains and serves;
    a new one is gated before get_recommendations serves it (see docs/statemachine.md)."""

    name: Name = Field(description="Recommender name, unique in this file; get_recommendations serves it by name.")
    recipe: str = Field(description='Domain recipe name ("aws-vod-top-picks") or ARN, of the dataset group\'s domain.')
    recommender_config: RecommenderConfig | None = Field(None, description="CreateRecommender's recommenderConfig.")
    tags: list[Tag] = Field([], max_length=200, description="Tags for this recommender only.")

    @field_validator("recipe")
    @classmethod
    def _known_recipe(cls, value: str) -> str:
        if _domains.use_case(value) is None:
            raise ValueError(
                f'"{value}" is not a domain recipe; allowed: {", ".join(_domains.USE_CASES)} (or their ARNs)'
            )
        return value


class Filter(ApiModel):
    """A recommendation filter (CreateFilter)."""

    name: Name = Field(description="Filter name, unique in this file; get_recommendations uses it.")
    filter_expression: str = Field(min_length=1, max_length=2500, description="Personalize filter expression.")


class EventTracker(ApiModel):
    """The dataset group's event tracker (one per dataset group) for PutEvents."""

    name: Name = Field(description="Event tracker name (the Personalize name comes from workflow.naming).")


class BatchServing(ApiModel):
    """Batch serving of a batch inference job: its output is loaded into the stack's DynamoDB table, then served."""

    fallback: Literal["popularity", "error"] = Field(
        "popularity",
        description='A user missing from the batch gets the items most often recommended in it ("popularity"), or '
        '404 ("error").',
    )
    filters: list[str] = Field(
        [],
        description="Filters of this file a request may name (filter=, filterValues=), applied to the user's batch "
        "list when it is read: ItemID filters on Items fields only (item metadata, loaded beside the batch). Ask "
        "the job for more numResults than you serve: filtered-out items leave the list shorter.",
    )


class BatchInferenceJob(ApiModel):
    """A batch inference job run after training, with the solution's newest version that passed the gate."""

    name: Name = Field(description="Job name, unique in this file; the run id is appended.")
    solution: str = Field(description="Name of the solution.")
    job_input: S3File | None = Field(
        None,
        description="s3:// JSON Lines input file, in the stack's bucket: the users (or items) the job answers. "
        "Leave it out to answer every user (USER_PERSONALIZATION recipes): the Glue workflow's export lists every "
        "user of the interactions and publish_params puts that list here (see docs/serving.md).",
    )
    job_output: S3Prefix = Field(
        description="s3:// output prefix ending in /, under the stack bucket's batch/ (where Personalize may write)."
    )
    num_results: int | None = Field(None, ge=1, le=500, description="Recommendations per line (Personalize: 25).")
    filter: str | None = Field(None, description="Name of a filter of this file.")
    serving: BatchServing | None = Field(
        None,
        description="Serve this job's output from DynamoDB: get_recommendations answers <datasetGroup>/<job name> "
        "from the last version loaded (see docs/serving.md).",
    )


class BatchSegmentJob(ApiModel):
    """A batch segment job run after training: the users most likely to interact with each item (aws-item-affinity)
    or with items of each attribute query (aws-item-attribute-affinity), with the version that passed the gate."""

    name: Name = Field(description="Job name, unique in this file; the version id is appended.")
    solution: str = Field(
        description="Name of a solution trained with aws-item-affinity or aws-item-attribute-affinity."
    )
    job_input: S3File = Field(
        description='s3:// JSON Lines file in the stack\'s bucket: {"itemId": "..."} per line (item affinity, up to '
        '500) or {"itemAttributes": "ITEMS.GENRES = \\"Comedy\\""} per line (attribute affinity, up to 10).'
    )
    job_output: S3Prefix = Field(
        description="s3:// output prefix ending in /, under the stack bucket's batch/ (where Personalize may write)."
    )
    num_results: int | None = Field(
        None, ge=1, le=5_000_000, description="Users per segment (Personalize: 25, at most 5 million)."
    )
    filter: str | None = Field(None, description="Name of a UserID filter of this file (users to keep or drop).")


class Notifications(ApiModel):
    """Which outcomes publish to the stack's SNS topic."""

    on_success: bool = Field(True, description="Notify when a run deploys.")
    on_failure: bool = Field(True, description="Notify when a run fails (with Personalize's failureReason).")
    on_rejected: bool = Field(True, description="Notify when the metrics gate rejects a version.")


class Polling(ApiModel):
    """How the state machine waits for long Personalize steps."""

    initial_interval_seconds: int = Field(60, ge=1, description="First wait between status checks.")
    max_interval_seconds: int = Field(600, ge=1, description="Longest wait between checks (the wait doubles).")
    max_wait_seconds: int = Field(86400, ge=1, le=31536000, description="Per step; then WaitTimeoutError.")
