"""CreateSolution's solutionConfig as pydantic models: camelCase as in the API, numbers accepted for API strings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from workflow._params_base import ApiModel, ApiString, DatasetType, Fraction


class HpoResourceConfig(ApiModel):
    """How many HPO training jobs (strings in the API; numbers accepted)."""

    max_number_of_training_jobs: ApiString | None = None
    max_parallel_training_jobs: ApiString | None = None


class IntegerRange(ApiModel):
    """An integer hyperparameter range."""

    name: str = Field(max_length=256)
    min_value: int = Field(ge=-1000000)
    max_value: int = Field(le=1000000)


class ContinuousRange(ApiModel):
    """A continuous hyperparameter range."""

    name: str = Field(max_length=256)
    min_value: float = Field(ge=-1000000)
    max_value: float = Field(ge=-1000000)


class CategoricalRange(ApiModel):
    """A categorical hyperparameter range."""

    name: str = Field(max_length=256)
    values: list[str] = Field(max_length=100)


class HyperParameterRanges(ApiModel):
    """Ranges HPO searches."""

    integer_hyper_parameter_ranges: list[IntegerRange] | None = Field(None, max_length=100)
    continuous_hyper_parameter_ranges: list[ContinuousRange] | None = Field(None, max_length=100)
    categorical_hyper_parameter_ranges: list[CategoricalRange] | None = Field(None, max_length=100)


class HpoConfig(ApiModel):
    """Hyperparameter optimization (used only with performHPO: true)."""

    hpo_objective: Any = Field(
        None,
        description="Not supported: Personalize does not let you configure it (CreateSolution); leave it out.",
        json_schema_extra={"not": {}},
    )
    hpo_resource_config: HpoResourceConfig | None = None
    algorithm_hyper_parameter_ranges: HyperParameterRanges | None = None


class AutoMLConfig(ApiModel):
    """AutoML (deprecated by Personalize; kept for API parity)."""

    metric_name: str | None = Field(None, max_length=256)
    recipe_list: list[str] | None = Field(None, max_length=100)


class EventParameters(ApiModel):
    """Per event type threshold and weight."""

    event_type: str | None = Field(None, max_length=256)
    event_value_threshold: float | None = None
    weight: Fraction | None = None


class EventsConfig(ApiModel):
    """Event types and weights used in training."""

    event_parameters_list: list[EventParameters] | None = Field(None, max_length=10)


class OptimizationObjective(ApiModel):
    """Optimize for an item attribute (e.g. revenue) as well as relevance."""

    item_attribute: str | None = Field(None, min_length=1, max_length=150)
    objective_sensitivity: Literal["LOW", "MEDIUM", "HIGH", "OFF"] | None = None


ColumnNames = Annotated[
    list[Annotated[str, Field(max_length=150, pattern=r"^[A-Za-z_][A-Za-z\d_]*$")]], Field(max_length=50)
]


class TrainingDataConfig(ApiModel):
    """Columns to exclude from (or include in) training, per dataset type."""

    excluded_dataset_columns: dict[DatasetType, ColumnNames] | None = None
    included_dataset_columns: dict[DatasetType, ColumnNames] | None = None


class AutoTrainingConfig(ApiModel):
    """How often Personalize retrains on its own (only with performAutoTraining: true)."""

    scheduling_expression: str | None = Field(None, min_length=1, max_length=16, pattern=r"^rate\(\d+ days?\)$")

    @field_validator("scheduling_expression")
    @classmethod
    def _days(cls, value: str | None) -> str | None:
        if value is not None and not 1 <= int(value[5:].split()[0]) <= 30:
            raise ValueError(f'"{value}" is out of range; allowed: rate(1 day) to rate(30 days)')
        return value


class SolutionConfig(ApiModel):
    """CreateSolution's solutionConfig, with the API's camelCase keys."""

    event_value_threshold: ApiString | None = Field(None, description="Ignore interactions below this EVENT_VALUE.")
    hpo_config: HpoConfig | None = Field(None, description="HPO objective, budget and ranges (needs performHPO).")
    algorithm_hyper_parameters: dict[str, ApiString] | None = Field(
        None, max_length=100, description="The recipe's hyperparameters (name -> value)."
    )
    feature_transformation_parameters: dict[str, ApiString] | None = Field(
        None, max_length=100, description="Feature transformation parameters (name -> value)."
    )
    auto_ml_config: AutoMLConfig | None = Field(None, alias="autoMLConfig", description="Deprecated AutoML settings.")
    events_config: EventsConfig | None = Field(None, description="Per event type weights and thresholds.")
    optimization_objective: OptimizationObjective | None = Field(
        None, description="Also optimize for a numeric Items field."
    )
    training_data_config: TrainingDataConfig | None = Field(None, description="Columns left out of training.")
    auto_training_config: AutoTrainingConfig | None = Field(
        None, description="Schedule of automatic training (needs performAutoTraining)."
    )
