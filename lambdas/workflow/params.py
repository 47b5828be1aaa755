"""The params contract: the `Params` model of a params file, and `load_params`, which reports every problem at once."""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Callable
from typing import Any

from pydantic import Field, PrivateAttr, ValidationError, ValidationInfo, model_validator

from workflow import naming
from workflow._mlops import convert_mlops, is_mlops, translate
from workflow._params_base import ApiModel
from workflow._params_blocks import (
    BatchInferenceJob,
    BatchSegmentJob,
    Campaign,
    Dataset,
    DatasetGroup,
    EventTracker,
    Filter,
    MetricsGate,
    Notifications,
    Polling,
    Recommender,
    Solution,
    Tag,
)
from workflow._params_checks import cross_field_problems
from workflow._params_doc import json_schema, reference_markdown
from workflow._params_errors import format_errors
from workflow._params_experiments import Experiment
from workflow._recipes import RECIPES, recipe_arn, recipe_name
from workflow.errors import InvalidParamsError

__all__ = [
    "InvalidParamsError",
    "Params",
    "load_params",
    "params_json_schema",
    "params_reference_markdown",
    "resolve_location",
]

ReadFile = Callable[[str], str]


class Params(ApiModel):
    """A params file: what to import, train, gate, deploy and publish for one dataset group."""

    schema_ref: str | None = Field(None, alias="$schema", description="Path or URL of params.schema.json, for editors.")
    dataset_group: DatasetGroup = Field(description="The dataset group; its name scopes every resource name.")
    datasets: list[Dataset] = Field(description="Exactly one Interactions dataset, and optionally Items and Users.")
    solutions: list[Solution] = Field([], description="Solutions to train (any number).")
    metrics_gate: list[MetricsGate] = Field([], description="Per-solution conditions before deploy.")
    campaigns: list[Campaign] = Field([], description="Campaigns to create or update.")
    recommenders: list[Recommender] = Field(
        [], description="Recommenders of a domain dataset group (datasetGroup.domain), gated before they are served."
    )
    filters: list[Filter] = Field([], description="Recommendation filters.")
    event_tracker: EventTracker | None = Field(None, description="Create the (single) event tracker for PutEvents.")
    batch_inference_jobs: list[BatchInferenceJob] = Field([], description="Run after deploying.")
    batch_segment_jobs: list[BatchSegmentJob] = Field(
        [], description="User segments, made after training with the versions that passed their gate."
    )
    experiments: list[Experiment] = Field(
        [], description="A/B tests: a challenger campaign beside a campaign, users split by a stable hash."
    )
    tags: list[Tag] = Field([], max_length=200, description="Tags on every resource created.")
    notifications: Notifications = Field(Notifications.model_validate({}), description="Which outcomes notify (SNS).")
    polling: Polling = Field(Polling.model_validate({}), description="Waits between status checks, and their limit.")

    _schemas: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Params:
        if info.context and info.context.get("structure_only"):
            return self
        problems = cross_field_problems(self.model_dump(by_alias=True, exclude_none=True), {})
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def warnings(self) -> list[str]:
        """Things worth telling the user that are not errors (e.g. an ml_ops file was converted)."""
        return list(self._warnings)

    def dataset(self, dataset_type: str) -> Dataset | None:
        return next((d for d in self.datasets if d.dataset_type == dataset_type), None)

    def schema_for(self, dataset: Dataset | str) -> dict[str, Any]:
        """The dataset's Avro schema: inline, or read from its schemaFile by `load_params`."""
        found = self.dataset(dataset) if isinstance(dataset, str) else dataset
        if found is None:
            raise LookupError(f"this params file has no {dataset} dataset")
        if found.avro_schema is not None:
            return found.avro_schema
        if found.dataset_type not in self._schemas:
            raise LookupError(f"schemaFile {found.schema_file!r} was not loaded: build Params with load_params()")
        return self._schemas[found.dataset_type]

    def solution(self, name: str) -> Solution:
        found = next((s for s in self.solutions if s.name == name), None)
        if found is None:
            raise LookupError(f"this params file has no solution named {name!r}")
        return found

    def recipe_arn(self, solution_name: str, partition: str = "aws") -> str:
        """The recipe ARN CreateSolution needs for the named solution."""
        return recipe_arn(self.solution(solution_name).recipe, partition)

    def recipe_type(self, solution_name: str) -> str:
        """USER_PERSONALIZATION, RELATED_ITEMS, PERSONALIZED_RANKING, ... (decides the batch input format)."""
        return RECIPES[recipe_name(self.solution(solution_name).recipe)]

    def resolved_dict(self) -> dict[str, Any]:
        """The params as JSON with every schemaFile replaced by its schema: what later states receive."""
        document = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for entry, dataset in zip(document["datasets"], self.datasets, strict=True):
            entry.pop("schemaFile", None)
            entry["schema"] = self.schema_for(dataset)
        return document


def load_params(text: str, source: str, read_file: ReadFile, *, prefix: str | None = None) -> Params:
    """Parse and validate a params file; raise InvalidParamsError(source, every problem) if anything is wrong.

    `read_file(location)` returns a schemaFile's text and raises FileNotFoundError if it does not exist (the Lambda
    passes an S3 reader, the CLI a local one). With `prefix`, the derived Personalize names are checked too.
    """
    raw = _parse(text, source)
    paths: list[tuple[str, str]] = []
    warnings: list[str] = []
    if is_mlops(raw):
        raw, paths, warning = convert_mlops(raw, source)
        warnings.append(warning)
    loaded, problems = _load_schemas(raw, source, read_file)
    params: Params | None = None
    try:
        params = Params.model_validate(raw, context={"structure_only": True})
    except ValidationError as error:
        problems = format_errors(error, Params) + problems
    problems += cross_field_problems(raw, loaded)
    if prefix is not None and not naming.NAME_PATTERN.fullmatch(prefix):
        problems.append(f'stack prefix "{prefix}": allowed: letters, digits, - and _, starting with a letter or digit')
    elif params is not None and prefix is not None:
        warnings += _name_warnings(params, prefix)
    if problems or params is None:
        ordered = sorted(dict.fromkeys(problems), key=_document_order)
        raise InvalidParamsError(source, [translate(p, paths) for p in ordered])
    params._schemas = {params.datasets[i].dataset_type: schema for i, schema in loaded.items()}
    params._warnings = warnings
    return params


def resolve_location(source: str, reference: str) -> str:
    """Where a schemaFile lives: an s3:// URI as is, else relative to the params file (a local path or an S3 key)."""
    if reference.startswith("s3://") or os.path.isabs(reference):
        return reference
    if source.startswith("s3://"):
        bucket, _, key = source[5:].partition("/")
        return f"s3://{bucket}/{posixpath.normpath(posixpath.join(posixpath.dirname(key), reference))}"
    return os.path.normpath(os.path.join(os.path.dirname(source), reference))


def _parse(text: str, source: str) -> dict[str, Any]:
    if not text.strip():
        raise InvalidParamsError(source, ["the file is empty; expected a JSON object of params (see docs/params.md)"])
    duplicates: list[str] = []

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        raw = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as error:
        problem = f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        raise InvalidParamsError(source, [problem]) from None
    if not isinstance(raw, dict):
        raise InvalidParamsError(source, [f"the top level is {_kind(raw)}; expected a JSON object of params"])
    if duplicates:
        keys = ", ".join(f'"{k}"' for k in dict.fromkeys(duplicates))
        raise InvalidParamsError(
            source, [f"key(s) {keys} appear twice in one object (JSON keeps only the last); remove one"]
        )
    return raw


def _load_schemas(raw: dict[str, Any], source: str, read_file: ReadFile) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """Read every dataset's schemaFile: (dataset index -> schema, problems)."""
    loaded: dict[int, dict[str, Any]] = {}
    problems: list[str] = []
    datasets: list[Any] = raw["datasets"] if isinstance(raw.get("datasets"), list) else []
    for index, dataset in enumerate(datasets):
        reference = dataset.get("schemaFile") if isinstance(dataset, dict) else None
        if not isinstance(reference, str) or not reference or dataset.get("schema") is not None:
            continue
        path, location = f'datasets[{index}].schemaFile: "{reference}"', resolve_location(source, reference)
        try:
            schema = json.loads(read_file(location))
        except FileNotFoundError:
            problems.append(
                f"{path} not found (looked for {location}); give a path relative to {source} or an s3:// URI"
            )
            continue
        except OSError as error:
            problems.append(f"{path} cannot be read ({location}): {error.strerror or error}")
            continue
        except json.JSONDecodeError as error:
            problems.append(f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")
            continue
        if isinstance(schema, dict):
            loaded[index] = schema
        else:
            problems.append(f"{path} holds {_kind(schema)}; expected an Avro record schema (a JSON object)")
    return loaded, problems


def _name_warnings(params: Params, prefix: str) -> list[str]:
    """Warn when a derived Personalize name had to be shortened (it stays unique, but is harder to read)."""
    group = params.dataset_group.name
    derived = [("datasetGroup.name", naming.dataset_group(prefix, group), [prefix, group])]
    named: list[tuple[str, list[str], Callable[[str, str, str], str]]] = [
        ("solutions", [s.name for s in params.solutions], naming.solution),
        ("campaigns", [c.name for c in params.campaigns], naming.campaign),
        ("filters", [f.name for f in params.filters], naming.filter_),
    ]
    for key, names, make in named:
        derived += [(f"{key}[{i}].name", make(prefix, group, n), [prefix, group, n]) for i, n in enumerate(names)]
    return [
        f'{path}: the Personalize name "{"-".join(parts)}" is over {naming.MAX_NAME} characters; it becomes "{name}"'
        for path, name, parts in derived
        if name != "-".join(parts)
    ]


_KEY_ORDER = [field.alias or name for name, field in Params.model_fields.items()]
_LEADING = re.compile(r"([A-Za-z$]+)(?:\[(\d+)\])?")


def _document_order(problem: str) -> tuple[int, int]:
    """Sort problems by top-level block, then entry index (a stable sort keeps each entry's own order)."""
    match = _LEADING.match(problem)
    if match is None or match.group(1) not in _KEY_ORDER:
        return -1, 0
    return _KEY_ORDER.index(match.group(1)), int(match.group(2) or -1)


def _kind(value: object) -> str:
    names = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number", dict: "an object"}
    return names.get(type(value), "null")


def params_json_schema() -> dict[str, Any]:
    """schemas/params.schema.json: the JSON schema of a params file, generated from `Params`."""
    return json_schema(Params)


def params_reference_markdown() -> str:
    """docs/params.md: the params reference, generated from `Params`."""
    return reference_markdown(Params)
