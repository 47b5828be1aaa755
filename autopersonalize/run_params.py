"""The params `run` publishes: the user's file checked as `validate` checks it, or params/demo.json trimmed to the
files given; the schemas the exports must use; and what was assumed on the way. Also `validate`'s own check."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autopersonalize import paths
from autopersonalize import segment_inputs as segments
from autopersonalize.errors import PipelineError

if TYPE_CHECKING:
    from workflow.params import Params

DATASETS = ("interactions", "items", "users")
DEFAULT_PARAMS = paths.PARAMS / "demo.json"
# Personalize's recipes the offline engine does not train (autopersonalize.engine.RECIPES; a test keeps them in step),
# with what to train offline instead.
OFFLINE_INSTEAD = {
    "aws-trending-now": "aws-popularity-count (popular items; offline has no trend model)",
    "aws-hrnn": "aws-user-personalization-v2 (User-Personalization replaces the legacy HRNN recipes)",
    "aws-hrnn-metadata": "aws-user-personalization-v2 (User-Personalization replaces the legacy HRNN recipes)",
    "aws-hrnn-coldstart": "aws-user-personalization (it explores new items and also allows trainingMode UPDATE)",
    "aws-semantic-similarity": "aws-similar-items (related items from interactions and item metadata)",
}
# Domain use cases the emulator trains no recommender for (autopersonalize/emulator/recommenders.py NOT_EMULATED).
OFFLINE_NO_RECOMMENDER = {"aws-vod-trending-now": "use aws-vod-most-popular offline (it works on AWS)"}
# Params offline accepts and ignores (docs/emulator.md, "What it does not reproduce"): warned as AWS only.
IGNORED_SOLUTION_CONFIG = (
    "eventsConfig",
    "optimizationObjective",
    "trainingDataConfig",
    "featureTransformationParameters",
    "autoMLConfig",
)
IGNORED_CAMPAIGN_CONFIG = ("enableMetadataWithRecommendations", "rankingInfluence")  # itemExplorationConfig is served
# The demo's solutions left out when no items file is given (Similar-Items is meant to use item metadata).
NEEDS_ITEMS = frozenset({"aws-similar-items"})
_SINGULAR = {
    "campaigns": "campaign",
    "metricsGate": "metrics gate of",
    "batchInferenceJobs": "batch inference job",
    "batchSegmentJobs": "batch segment job",
}


@dataclass(frozen=True)
class Checked:
    """A params file that passed `validate`'s check: the model, the JSON as written, and the warnings to show."""

    params: Params
    document: dict[str, Any]
    warnings: list[str]


@dataclass(frozen=True)
class RunParams:
    """What `run` publishes and exports with, and what it assumed."""

    template: dict[str, Any]  # native or ml_ops as the user wrote it, each schemaFile read inline
    dataset_group: str
    schemas: dict[str, str]  # dataset -> the Avro schema (JSON text) its export must conform to
    assumptions: list[str]  # what `run` assumed or dropped, as sentences for the report
    warnings: list[str] = field(default_factory=list)  # what `validate --offline` warns about the same file
    job_inputs: dict[str, bytes] = field(default_factory=dict)  # S3 key -> body: the batch segment jobs' inputs
    fills: dict[str, dict[str, Any]] = field(default_factory=dict)  # dataset -> its fill: the export's constants


def prepare(
    params_file: Path | None, datasets: frozenset[str], segment_inputs: dict[str, Path] | None = None
) -> RunParams:
    """The params for a run on the user's files of `datasets`: their file, checked offline, or the demo's, trimmed;
    `segment_inputs`: the local input file of each batch segment job (--segment-input JOB=FILE)."""
    if params_file is None:
        document, assumptions = _trimmed_demo(datasets)
        checked = check_text(json.dumps(document), str(DEFAULT_PARAMS), offline=True)
    else:
        checked = check_file(params_file, offline=True, datasets=datasets)
        assumptions = _unused_files(checked, datasets, params_file)
    from workflow._recipes import recipe_name

    recipes = {s.name: recipe_name(s.recipe) for s in checked.params.solutions}
    uploads, assumed = segments.job_inputs(checked.document, recipes, segment_inputs or {})
    return RunParams(
        template=_inline_schemas(checked),
        dataset_group=checked.params.dataset_group.name,
        schemas=_export_schemas(checked.params),
        assumptions=assumptions + assumed,
        warnings=checked.warnings,
        job_inputs=uploads,
        fills={d.dataset_type.lower(): dict(d.fill) for d in checked.params.datasets if d.fill},
    )


def check_file(
    path: Path, prefix: str | None = None, *, offline: bool = False, datasets: frozenset[str] | None = None
) -> Checked:
    """`autopersonalize validate`'s check of one file; PipelineError carries the very text `validate` prints."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found; check the path") from None
    except IsADirectoryError:
        raise PipelineError(f"{path}: is a directory; give params files, e.g. {path}/*.json") from None
    except UnicodeDecodeError:
        raise PipelineError(f"{path}: not UTF-8 text; a params file is JSON") from None
    except OSError as error:
        raise PipelineError(f"{path}: cannot be read: {error.strerror or error}") from None
    return check_text(text, str(path), prefix, offline=offline, datasets=datasets)


def check_text(
    text: str,
    source: str,
    prefix: str | None = None,
    *,
    offline: bool = False,
    datasets: frozenset[str] | None = None,
) -> Checked:
    """Every problem at once: the params contract (workflow's load_params), then, when asked, what offline cannot do
    and the datasets the user gave no file for. Problems name the paths of the file as written (ml_ops included)."""
    paths.import_lambdas()
    from workflow._mlops import convert_mlops, is_mlops, translate
    from workflow.errors import InvalidParamsError
    from workflow.params import load_params

    params, problems = None, []
    try:
        params = load_params(text, source, read_schema_file, prefix=prefix)
    except InvalidParamsError as error:
        problems = list(error.problems)
    document = _json_object(text)
    native, mlops_paths = convert_mlops(document, source)[:2] if is_mlops(document) else (document, [])
    extra, warnings = offline_findings(native) if offline else ([], [])
    if datasets is not None:
        extra += missing_files(native, datasets)
    problems += [p for p in (translate(p, mlops_paths) for p in extra) if p not in problems]
    if problems or params is None:
        message = f"{source}: {problems[0]}" if len(problems) == 1 else str(InvalidParamsError(source, problems))
        raise PipelineError(message)
    return Checked(params, document, params.warnings + [translate(w, mlops_paths) for w in warnings])


def offline_findings(document: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(problems, warnings) of a params document (our shape) in the offline stack: recipes the engine does not train,
    features it would fail on, and AWS-only features it ignores."""
    from workflow._filter_expr import FilterSyntaxError, parse
    from workflow._params_access import Doc, as_object
    from workflow._recipes import recipe_name

    doc, problems, warnings = Doc(document, {}), [], []
    for _, path, solution in doc.entries("solutions"):
        recipe = recipe_name(solution["recipe"]) if isinstance(solution.get("recipe"), str) else ""
        if recipe in OFFLINE_INSTEAD:
            problems.append(f'{path}.recipe: "{recipe}" is not trained offline; use {OFFLINE_INSTEAD[recipe]}')
        for key, does in (("performHPO", "trains once, with the hyperparameters given or the recipe's defaults"),
                          ("performAutoTraining", "never retrains on a schedule")):  # fmt: skip
            if solution.get(key) is True:
                warnings.append(f"{path}.{key}: works on AWS only; offline {does}")
        config = as_object(solution.get("solutionConfig"))
        ignored = [f"{path}.solutionConfig.{key}" for key in IGNORED_SOLUTION_CONFIG if key in config]
        warnings += [f"{key}: works on AWS only; offline training ignores it" for key in ignored]
    for _, path, campaign in doc.entries("campaigns"):
        config = as_object(campaign.get("campaignConfig"))
        ignored = [f"{path}.campaignConfig.{key}" for key in IGNORED_CAMPAIGN_CONFIG if key in config]
        warnings += [f"{key}: works on AWS only; offline recommendations ignore it" for key in ignored]
    for _, path, entry in doc.entries("filters"):
        try:
            targets = {s.target for s in parse(str(entry.get("filterExpression", "")))}
        except FilterSyntaxError:
            continue  # load_params reports it
        if "UserID" in targets:
            problems.append(
                f"{path}.filterExpression: UserID filters (for user segments) are not emulated offline, only ItemID "
                "filters; leave the filter out to run offline (it works on AWS)"
            )
    for _, path, recommender in doc.entries("recommenders"):
        recipe = recipe_name(recommender["recipe"]) if isinstance(recommender.get("recipe"), str) else ""
        if recipe in OFFLINE_NO_RECOMMENDER:
            problems.append(f'{path}.recipe: "{recipe}" is not trained offline; {OFFLINE_NO_RECOMMENDER[recipe]}')
    group = as_object(document.get("datasetGroup"))
    if group.get("kmsKeyArn"):
        problems.append(
            "datasetGroup.kmsKeyArn: offline has neither your KMS key nor your role, so CreateDatasetGroup would "
            "fail; leave kmsKeyArn and roleArn out to run offline (encryption with your key works on AWS only)"
        )
    for _, path, job in doc.entries("batchInferenceJobs"):
        if job.get("jobInput") is None:
            continue  # every user: the run's interactions export lists them, as on AWS (docs/serving.md)
        problems.append(
            f"{path}.jobInput: an offline run puts only the exports in its bucket, so {job.get('jobInput')} would "
            "not be found; leave jobInput out to answer every user of the interactions (the export lists them, as "
            "on AWS), or leave the job out to run offline (it runs on AWS)"
        )
    return problems, warnings


def missing_files(document: dict[str, Any], datasets: frozenset[str]) -> list[str]:
    """A dataset the params list but the user gave no file for: which option gives it."""
    from workflow._params_access import Doc

    return [
        f"{path}: lists the {kind} dataset, but no {kind.lower()} file was given; add --{kind.lower()} FILE, or "
        f"remove the {kind} dataset from this file"
        for _, path, entry in Doc(document, {}).entries("datasets")
        if isinstance(kind := entry.get("datasetType"), str) and kind.lower() in DATASETS
        and kind.lower() not in datasets
    ]  # fmt: skip


def read_schema_file(location: str) -> str:
    """The CLI's schemaFile reader: local paths, and s3:// URIs with the caller's AWS credentials."""
    if not location.startswith("s3://"):
        return Path(location).read_text(encoding="utf-8")
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = location[5:].partition("/")
    try:
        return str(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
            raise FileNotFoundError(location) from error
        raise OSError(f"S3 refused: {error}") from error
    except BotoCoreError as error:
        raise OSError(f"S3 unreachable: {error}") from error


def _json_object(text: str) -> dict[str, Any]:
    """The file's top-level object, or {} when it is not one (load_params has said why)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return document if isinstance(document, dict) else {}


def _trimmed_demo(datasets: frozenset[str]) -> tuple[dict[str, Any], list[str]]:
    """params/demo.json without the datasets no file was given for, nor what depends on them; what was dropped."""
    paths.import_lambdas()
    from workflow._filter_expr import parse

    document: dict[str, Any] = json.loads(DEFAULT_PARAMS.read_text(encoding="utf-8"))
    shown, present = "params/demo.json", {d.capitalize() for d in datasets}
    assumptions = [
        f'dataset group "{document["datasetGroup"]["name"]}", solutions, gate and campaigns from {shown} (the '
        "demo's); give --params FILE to choose your own"
    ]
    option = {kind: f"--{kind.lower()} FILE" for kind in ("Items", "Users")}
    for entry in document["datasets"]:
        if entry["datasetType"] not in present:
            assumptions.append(f"{entry['datasetType']} dataset left out: no {option[entry['datasetType']]} given")
    document["datasets"] = [d for d in document["datasets"] if d["datasetType"] in present]
    dropped = set()
    for solution in document["solutions"]:
        if solution["recipe"] in NEEDS_ITEMS and "Items" not in present:
            dropped.add(solution["name"])
            assumptions.append(
                f"solution {solution['name']} ({solution['recipe']}) dropped: it finds similar items with item "
                f"metadata, and no {option['Items']} was given"
            )
    document["solutions"] = [s for s in document["solutions"] if s["name"] not in dropped]
    for key in _SINGULAR:
        for entry in document.get(key, []):
            if entry["solution"] in dropped:
                name, solution = entry.get("name", entry["solution"]), entry["solution"]
                assumptions.append(f"{_SINGULAR[key]} {name} dropped: solution {solution} was dropped")
        if key in document:
            document[key] = [e for e in document[key] if e["solution"] not in dropped]
    kept = []
    for entry in document.get("filters", []):
        reads = {d for s in parse(entry["filterExpression"]) for d, _ in s.where + s.condition}
        missing = sorted({"Users" if d == "CurrentUser" else d for d in reads} - present - {"Interactions"})
        if missing:
            assumptions.append(
                f"filter {entry['name']} dropped: it reads {missing[0]}, and no {option[missing[0]]} was given"
            )
        else:
            kept.append(entry)
    document["filters"] = kept
    return document, assumptions


def _unused_files(checked: Checked, datasets: frozenset[str], params_file: Path) -> list[str]:
    """Files the user gave for datasets the params do not list: exported, then not imported."""
    listed = {d.dataset_type.lower() for d in checked.params.datasets}
    return [
        f"--{name} FILE not used: {params_file} has no {name.capitalize()} dataset"
        for name in DATASETS
        if name in datasets and name not in listed
    ]


def _inline_schemas(checked: Checked) -> dict[str, Any]:
    """The document as written, each schemaFile replaced by the schema it names (read by load_params)."""
    template: dict[str, Any] = json.loads(json.dumps(checked.document))
    datasets = template["datasets"]
    entries = datasets.items() if isinstance(datasets, dict) else ((d["datasetType"], d) for d in datasets)
    for kind, entry in entries:
        if "schemaFile" in entry:
            del entry["schemaFile"]
            entry["schema"] = checked.params.schema_for(kind)
    return template


def _export_schemas(params: Params) -> dict[str, str]:
    """Each dataset's Avro schema as JSON text: the params' own, else the repository's schemas/<dataset>.avsc."""
    schemas = {name: (paths.SCHEMAS / f"{name}.avsc").read_text(encoding="utf-8") for name in DATASETS}
    for dataset in params.datasets:
        schemas[dataset.dataset_type.lower()] = json.dumps(params.schema_for(dataset), indent=2)
    return schemas
