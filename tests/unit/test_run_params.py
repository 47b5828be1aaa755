"""`run`'s params (autopersonalize.run_params): the demo's trimmed to the files given, or the user's file checked as
`validate --offline` checks it; the schemas the exports use; what was assumed; what offline cannot train or do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autopersonalize import engine, run_params
from autopersonalize.cli import main
from autopersonalize.errors import PipelineError
from autopersonalize.run_params import prepare

REPO = Path(__file__).resolve().parents[2]
DEMO, MLOPS = REPO / "params" / "demo.json", REPO / "params" / "mlops-sample.json"
ALL = frozenset({"interactions", "items", "users"})
INTERACTIONS = frozenset({"interactions"})


def repo_schema(name: str) -> Any:
    return json.loads((REPO / "schemas" / f"{name}.avsc").read_text())


def write(tmp_path: Path, document: dict[str, Any], name: str = "p.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def demo_with_inline_schemas() -> dict[str, Any]:
    """params/demo.json with its schemas inline, so it can be copied anywhere."""
    document = dict(json.loads(DEMO.read_text()))
    document.pop("$schema")
    for entry in document["datasets"]:
        entry["schema"] = repo_schema(entry.pop("schemaFile").rsplit("/", 1)[1].removesuffix(".avsc"))
    return document


def validate_stderr(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["validate", *argv])
    return code, capsys.readouterr().err


# ---------------------------------------------------------------- without a params file: the demo's, trimmed


def test_prepare_default_with_every_file_is_the_demo_with_schemas_inline() -> None:
    prepared = prepare(None, ALL)

    expected = json.loads(DEMO.read_text())
    for entry in expected["datasets"]:
        entry["schema"] = repo_schema(entry.pop("schemaFile").rsplit("/", 1)[1].removesuffix(".avsc"))
    assert prepared.template == expected
    assert prepared.dataset_group == "demo"
    assert {name: json.loads(text) for name, text in prepared.schemas.items()} == {
        name: repo_schema(name) for name in ALL
    }
    assert prepared.assumptions == [
        'dataset group "demo", solutions, gate and campaigns from params/demo.json (the demo\'s); give --params FILE '
        "to choose your own"
    ]
    assert prepared.warnings == []


def test_prepare_default_with_interactions_only_says_what_it_dropped() -> None:
    prepared = prepare(None, INTERACTIONS)

    template = prepared.template
    assert [d["datasetType"] for d in template["datasets"]] == ["Interactions"]
    assert [s["name"] for s in template["solutions"]] == ["user-personalization", "popularity"]
    assert [c["name"] for c in template["campaigns"]] == ["user-personalization"]
    assert [f["name"] for f in template["filters"]] == ["exclude-purchased"]
    assert prepared.assumptions[1:] == [
        "Items dataset left out: no --items FILE given",
        "Users dataset left out: no --users FILE given",
        "solution similar-items (aws-similar-items) dropped: it finds similar items with item metadata, and no "
        "--items FILE was given",
        "campaign similar-items dropped: solution similar-items was dropped",
        "filter category dropped: it reads Items, and no --items FILE was given",
    ]


def test_prepare_default_keeps_the_items_parts_when_only_users_are_missing() -> None:
    prepared = prepare(None, frozenset({"interactions", "items"}))

    assert [d["datasetType"] for d in prepared.template["datasets"]] == ["Interactions", "Items"]
    assert [f["name"] for f in prepared.template["filters"]] == ["exclude-purchased", "category"]
    assert prepared.assumptions[1:] == ["Users dataset left out: no --users FILE given"]


# ---------------------------------------------------------------- with the user's params file


def test_prepare_mlops_keeps_its_shape_and_its_inline_schemas_are_the_exports() -> None:
    prepared = prepare(MLOPS, frozenset({"interactions", "items"}))

    document = json.loads(MLOPS.read_text())
    assert prepared.template == document  # Load Params converts ml_ops; publish_params fills it in its own shape
    assert prepared.dataset_group == "mlops-demo"
    assert json.loads(prepared.schemas["interactions"]) == document["datasets"]["Interactions"]["schema"]
    assert json.loads(prepared.schemas["items"]) == document["datasets"]["Items"]["schema"]
    assert json.loads(prepared.schemas["users"]) == repo_schema("users")
    assert prepared.assumptions == []
    assert [w.split(": ", 1)[1][:36] for w in prepared.warnings] == ["ml_ops sample format detected and co"]


def test_prepare_reads_schema_files_inline_relative_to_the_params_file(tmp_path: Path) -> None:
    custom = {**repo_schema("interactions"), "fields": repo_schema("interactions")["fields"][:3]}
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "mine.avsc").write_text(json.dumps(custom))
    document = demo_with_inline_schemas()
    document["datasets"] = [{**document["datasets"][0], "schemaFile": "schemas/mine.avsc"}]
    del document["datasets"][0]["schema"]
    document.update(filters=[], solutions=document["solutions"][:2], campaigns=document["campaigns"][:1])

    prepared = prepare(write(tmp_path, document), INTERACTIONS)

    written = {k: v for k, v in document["datasets"][0].items() if k != "schemaFile"}
    assert prepared.template["datasets"] == [{**written, "schema": custom}]
    assert json.loads(prepared.schemas["interactions"]) == custom


def test_prepare_says_a_given_file_the_params_do_not_list_is_not_used(tmp_path: Path) -> None:
    prepared = prepare(MLOPS, ALL)

    assert prepared.assumptions == [f"--users FILE not used: {MLOPS} has no Users dataset"]


def test_prepare_refuses_a_dataset_no_file_was_given_for_naming_the_option() -> None:
    with pytest.raises(PipelineError) as error:
        prepare(MLOPS, INTERACTIONS)

    assert str(error.value) == (
        f"{MLOPS}: datasets.Items: lists the Items dataset, but no items file was given; add --items FILE, or "
        "remove the Items dataset from this file"
    )


def test_prepare_reports_problems_against_the_users_file_as_validate_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = demo_with_inline_schemas()
    document["campaigns"][0]["solution"] = "user-personalisation"
    document["solutionz"] = []
    path = write(tmp_path, document)

    with pytest.raises(PipelineError) as error:
        prepare(path, ALL)

    code, printed = validate_stderr(capsys, "--offline", str(path))
    assert code == 1
    assert printed == f"{error.value}\n"
    assert str(error.value) == (
        f"{path}: 2 problem(s):\n"
        "  - solutionz: unknown key; allowed keys here: $schema, datasetGroup, datasets, solutions, metricsGate, "
        "campaigns, recommenders, filters, eventTracker, batchInferenceJobs, batchSegmentJobs, experiments, tags, "
        "notifications, polling; "
        'did you mean "solutions"?\n'
        '  - campaigns[0].solution: "user-personalisation" is not a solution name; did you mean "user-personalization"?'
    )


def test_prepare_reports_a_missing_params_file_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"^.*/nope\.json: file not found; check the path$"):
        prepare(tmp_path / "nope.json", INTERACTIONS)


# ---------------------------------------------------------------- what offline cannot train or do


@pytest.mark.parametrize(
    ("recipe", "instead"),
    [
        ("aws-trending-now", "use aws-popularity-count"),
        ("arn:aws:personalize:::recipe/aws-hrnn", "use aws-user-personalization-v2"),
        ("aws-semantic-similarity", "use aws-similar-items"),
    ],
)
def test_offline_names_a_recipe_the_engine_does_not_train_and_what_to_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recipe: str, instead: str
) -> None:
    document = demo_with_inline_schemas()
    document["solutions"][1]["recipe"] = recipe  # popularity: no campaign, no gate
    path = write(tmp_path, document)

    assert validate_stderr(capsys, str(path))[0] == 0  # AWS trains it
    with pytest.raises(PipelineError) as error:
        prepare(path, ALL)

    name = recipe.rsplit("/", 1)[-1]
    assert str(error.value).startswith(f'{path}: solutions[1].recipe: "{name}" is not trained offline; {instead}')


def test_offline_names_the_recipe_by_the_mlops_files_own_path(tmp_path: Path) -> None:
    document = json.loads(MLOPS.read_text())
    document["solutions"]["sims"]["recipeArn"] = "arn:aws:personalize:::recipe/aws-trending-now"
    del document["campaigns"]["simsCampaign"]  # trending-now can back a campaign, but keep the file minimal

    with pytest.raises(PipelineError) as error:
        prepare(write(tmp_path, document), frozenset({"interactions", "items"}))

    assert str(error.value) == (
        f'{tmp_path / "p.json"}: solutions.sims.recipeArn: "aws-trending-now" is not trained offline; use '
        "aws-popularity-count (popular items; offline has no trend model)"
    )


def test_offline_refuses_what_the_offline_stack_would_fail_on(tmp_path: Path) -> None:
    document = demo_with_inline_schemas()
    document["filters"].append({"name": "gold", "filterExpression": 'INCLUDE UserID WHERE Users.SEGMENT IN ("gold")'})
    document["datasetGroup"].update(
        kmsKeyArn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        roleArn="arn:aws:iam::123456789012:role/personalize",
    )
    document["batchInferenceJobs"] = [
        {
            "name": "nightly",
            "solution": "user-personalization",
            "jobInput": "s3://my-bucket/batch/in.jsonl",
            "jobOutput": "s3://my-bucket/batch/out/",
        }
    ]

    with pytest.raises(PipelineError) as error:
        prepare(write(tmp_path, document), ALL)

    problems = str(error.value).split("\n  - ")[1:]
    assert problems == [
        "filters[2].filterExpression: UserID filters (for user segments) are not emulated offline, only ItemID "
        "filters; leave the filter out to run offline (it works on AWS)",
        "datasetGroup.kmsKeyArn: offline has neither your KMS key nor your role, so CreateDatasetGroup would fail; "
        "leave kmsKeyArn and roleArn out to run offline (encryption with your key works on AWS only)",
        "batchInferenceJobs[0].jobInput: an offline run puts only the exports in its bucket, so "
        "s3://my-bucket/batch/in.jsonl would not be found; leave jobInput out to answer every user of the "
        "interactions (the export lists them, as on AWS), or leave the job out to run offline (it runs on AWS)",
    ]


def test_offline_runs_a_batch_job_without_job_input_for_every_user(tmp_path: Path) -> None:
    document = demo_with_inline_schemas()
    document["batchInferenceJobs"] = [
        {"name": "nightly", "solution": "user-personalization", "jobOutput": "s3://my-bucket/batch/out/"}
    ]

    prepared = prepare(write(tmp_path, document), ALL)

    assert "jobInput" not in prepared.template["batchInferenceJobs"][0]  # publish_params fills it in


def test_offline_warns_about_aws_only_features_it_ignores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = demo_with_inline_schemas()
    document["solutions"][0].update(performHPO=True, performAutoTraining=True)
    document["solutions"][1]["solutionConfig"] = {"optimizationObjective": {"itemAttribute": "PRICE"}}
    document["campaigns"][0]["campaignConfig"] = {"rankingInfluence": {"POPULARITY": 0.5}}
    path = write(tmp_path, document)

    prepared = prepare(path, ALL)
    code, printed = validate_stderr(capsys, "--offline", str(path))

    assert prepared.warnings == [
        "solutions[0].performHPO: works on AWS only; offline trains once, with the hyperparameters given or the "
        "recipe's defaults",
        "solutions[0].performAutoTraining: works on AWS only; offline never retrains on a schedule",
        "solutions[1].solutionConfig.optimizationObjective: works on AWS only; offline training ignores it",
        "campaigns[0].campaignConfig.rankingInfluence: works on AWS only; offline recommendations ignore it",
    ]
    assert code == 0
    assert printed == "".join(f"warning: {w}\n" for w in prepared.warnings)
    assert validate_stderr(capsys, str(path)) == (0, "")  # not offline: nothing to say


def test_the_example_params_have_nothing_offline_cannot_do(capsys: pytest.CaptureFixture[str]) -> None:
    examples = sorted(str(p) for p in (REPO / "params").glob("*.json"))
    assert main(["validate", "--offline", *examples]) == 0
    assert "works on AWS only" not in capsys.readouterr().err


def test_offline_alternatives_cover_exactly_the_recipes_the_engine_does_not_train() -> None:
    from workflow._recipes import RECIPES, UNSUPPORTED

    assert set(run_params.OFFLINE_INSTEAD) == set(RECIPES) - set(engine.RECIPES) - set(UNSUPPORTED)
    suggested = {text.split(" ", 1)[0] for text in run_params.OFFLINE_INSTEAD.values()}
    assert suggested - {"nothing:"} <= set(engine.RECIPES)


def test_run_params_imports_nothing_heavy() -> None:
    code = (
        "import sys; from autopersonalize import run_params; run_params.prepare(None, frozenset({'interactions'})); "
        "print(sorted(m for m in ('pandas', 'moto', 'awswrangler', 'rich', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout == "[]\n"
