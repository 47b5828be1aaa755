"""Shared pieces of the params models: the base model, name and S3 patterns, metric names, API string values."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from workflow import schedule_expr

NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$"
S3_FILE_PATTERN = r"^s3://[^/\s]+/\S*[^/\s]$"
S3_PREFIX_PATTERN = r"^s3://[^/\s]+/(\S*/)?$"
S3_ANY_PATTERN = r"^s3://[^/\s]+/\S*$"
TAG_PUNCTUATION = "_.:/=+-@ "
ROLE_ARN_PATTERN = r"^arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$"
KMS_ARN_PATTERN = r"^arn:aws.*:kms:.*:[0-9]{12}:key/.*$"

Metric = Literal[
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
    "hits_at_1_percent",
    "recall_at_1_percent",
]
SEGMENT_METRICS = ("hits_at_1_percent", "recall_at_1_percent")  # USER_SEGMENTATION recipes report only these
METRICS: tuple[str, ...] = get_args(Metric)
DatasetType = Literal["Interactions", "Items", "Users"]


def _number_to_str(value: object) -> object:
    """The API types these values as strings; accept JSON numbers too and keep the API's string form."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Name = Annotated[
    str,
    Field(min_length=1, max_length=63, pattern=NAME_PATTERN, description="Letters, digits, - and _ (1 to 63)."),
]
ApiString = Annotated[
    str, BeforeValidator(_number_to_str), WithJsonSchema({"type": ["string", "number"], "maxLength": 1000})
]
Fraction = Annotated[float, Field(ge=0, le=1)]


def _schedule(value: str) -> str:
    schedule_expr.parse(value)  # ScheduleExpressionError is a ValueError: pydantic reports it at the key
    return value


def _time_zone(value: str) -> str:
    schedule_expr.zone(value)
    return value


ScheduleExpression = Annotated[str, AfterValidator(_schedule)]  # rate(...) or cron(...), EventBridge Scheduler's
TimeZone = Annotated[str, AfterValidator(_time_zone)]  # IANA, ScheduleExpressionTimezone
S3File = Annotated[str, Field(max_length=256, pattern=S3_FILE_PATTERN, description="s3://bucket/key of one file.")]
S3Prefix = Annotated[str, Field(max_length=256, pattern=S3_PREFIX_PATTERN, description="s3://bucket/prefix/ (ends /).")]


class ApiModel(BaseModel):
    """Base of every params block: unknown keys are errors, keys are camelCase, no type coercion."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, strict=True)
