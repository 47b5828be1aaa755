"""Packages as the clouds install them: Glue pins match template.yaml, and the checks refuse what AWS would."""

from __future__ import annotations

import dataclasses
import re
import sys
import zipfile
from pathlib import Path

import pytest
import spark_export
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from autopersonalize.local.template import Template
from scripts import wheelhouse

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = Template.read(REPO / "template.yaml")
GLUE_JOBS = {
    k: r
    for k, r in TEMPLATE.resources.items()
    if r["Type"] == "AWS::Glue::Job" and r["Properties"]["Command"]["Name"] == "pythonshell"
}
SPARK_JOBS = {
    k: r
    for k, r in TEMPLATE.resources.items()
    if r["Type"] == "AWS::Glue::Job" and r["Properties"]["Command"]["Name"] == "glueetl"
}
REQUIREMENTS = ["glue_jobs/requirements.txt", "glue_jobs/requirements-test.txt", "lambdas/requirements.txt"]


def _pinned(path: Path) -> list[tuple[str, str]]:
    requirements = [Requirement(pin) for pin in wheelhouse.pins(path)]
    return [(canonicalize_name(r.name), next(iter(r.specifier)).version) for r in requirements]


def _wheel(folder: Path, filename: str, requires: tuple[str, ...] = ()) -> Path:
    """A minimal valid wheel: METADATA with its Requires-Dist, WHEEL, RECORD."""
    name, version, _, _ = parse_wheel_filename(filename)
    info = f"{filename.split('-')[0]}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    path = folder / filename
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{info}/METADATA", metadata + "".join(f"Requires-Dist: {r}\n" for r in requires))
        archive.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{info}/RECORD", "")
    return path


def test_glue_export_jobs_install_their_pins_from_the_wheels_make_deploy_uploads_in_order() -> None:
    expected = _pinned(REPO / "glue_jobs" / "requirements.txt")
    exports = {"ExportUsersJob", "ExportItemsJob", "ExportInteractionsJob"}
    assert len(GLUE_JOBS) == 5
    for logical_id in exports:
        arguments = GLUE_JOBS[logical_id]["Properties"]["DefaultArguments"]
        files = arguments["--extra-py-files"]["Fn::Sub"].split(",")
        modules = ("personalize_export", "digests", "inflation", "db_source", "source_schema", "job_io")
        assert files[: len(modules)] == [f"s3://${{DataBucket}}/glue/{name}.py" for name in modules]
        wheels = files[len(modules) :]
        assert all(f.startswith("s3://${DataBucket}/glue/wheels/") for f in wheels), logical_id
        listed = [parse_wheel_filename(f.rsplit("/", 1)[-1])[:2] for f in wheels]
        assert [(name, str(version)) for name, version in listed] == expected, logical_id
        assert arguments["library-set"] == "none", logical_id  # the preinstalled set conflicts with these pins
    for logical_id, job in GLUE_JOBS.items():
        assert job["Properties"]["Command"]["PythonVersion"] == "3.9", logical_id
        assert "--additional-python-modules" not in job["Properties"]["DefaultArguments"], logical_id  # no registry


def test_glue_spark_jobs_run_on_glue_5_with_the_modules_their_script_imports_and_no_wheels() -> None:
    # Glue 5.0 provides pandas, pyarrow, numpy and boto3 ("Python modules already provided in AWS Glue")
    assert set(SPARK_JOBS) == {"ExportUsersSparkJob", "ExportItemsSparkJob", "ExportInteractionsSparkJob"}
    for logical_id, job in SPARK_JOBS.items():
        props = job["Properties"]
        assert (props["GlueVersion"], props["Command"]["ScriptLocation"]) == ("5.0", "glue_jobs/export_spark.py")
        files = props["DefaultArguments"]["--extra-py-files"]["Fn::Sub"].split(",")
        modules = {f.strip().rsplit("/", 1)[-1].removesuffix(".py") for f in files}
        assert modules == set(spark_export.JOB_MODULES), logical_id
        assert "MaxCapacity" not in props and "--additional-python-modules" not in props["DefaultArguments"]


def test_glue_cleanup_and_publish_take_no_wheels_only_the_boto3_module_on_the_preinstalled_set() -> None:
    light = {job.logical_id: job for job in wheelhouse.glue_jobs(TEMPLATE.body) if not job.wheels}
    assert set(light) == {"CleanupJob", "PublishParamsJob"}
    for job in light.values():
        assert (job.library_set, job.modules) == ("analytics", ["job_io.py"]), job.logical_id


def test_glue_cleanup_and_publish_import_without_pandas_numpy_pyarrow_or_awswrangler() -> None:
    # GIVEN cleanup and publish_params with the .py modules their job lists WHEN imported in a clean interpreter with
    # the wheels' packages uninstallable (as if the job took no wheels) THEN they import: boto3 is all they need
    for job in wheelhouse.glue_jobs(TEMPLATE.body):
        if job.logical_id in ("CleanupJob", "PublishParamsJob"):
            assert wheelhouse.glue_import_problems(dataclasses.replace(job, wheels=[])) == [], job.logical_id


def test_glue_import_problems_names_a_job_without_wheels_that_needs_one() -> None:
    modules = ["personalize_export.py", "digests.py", "inflation.py", "db_source.py", "source_schema.py", "job_io.py"]
    job = wheelhouse.GlueJob("ExportUsersJob", REPO / "glue_jobs" / "export_users.py", "analytics", modules, [])
    assert wheelhouse.glue_import_problems(job) == [
        "ExportUsersJob (export_users.py, library-set analytics): ModuleNotFoundError: No module named 'numpy'"
        " (Glue installs no wheels for this job)"  # awswrangler is optional (Glue for Spark has none)
    ]


def test_glue_import_problems_names_a_module_the_job_does_not_list() -> None:
    job = wheelhouse.GlueJob("CleanupJob", REPO / "glue_jobs" / "cleanup.py", "analytics", [], [])
    assert wheelhouse.glue_import_problems(job) == [
        "CleanupJob (cleanup.py, library-set analytics): ModuleNotFoundError: No module named 'job_io'"
    ]


def test_glue_wheel_problems_refuse_wheels_on_the_preinstalled_set_and_an_unknown_set() -> None:
    script = REPO / "glue_jobs" / "cleanup.py"
    jobs = [
        wheelhouse.GlueJob("Exports", script, "none", [], ["a-1.0-py3-none-any.whl"]),
        wheelhouse.GlueJob("Light", script, "analytics", ["job_io.py"], ["a-1.0-py3-none-any.whl"]),
        wheelhouse.GlueJob("Unset", script, "", ["job_io.py"], []),
    ]
    assert wheelhouse.wheel_problems(jobs, ["a-1.0-py3-none-any.whl"]) == [
        "template.yaml: Light (library-set analytics) lists wheels: it runs on the preinstalled boto3; give it"
        " library-set none if it needs them",
        "template.yaml: Unset has library-set '(none given)': set none (it brings the wheels) or analytics"
        " (boto3 only)",
    ]


def test_glue_test_pins_add_to_the_runtime_pins_without_repeating_them() -> None:
    runtime = {name for name, _ in _pinned(REPO / "glue_jobs" / "requirements.txt")}
    test_only = [name for name, _ in _pinned(REPO / "glue_jobs" / "requirements-test.txt")]
    assert "moto" in test_only and not runtime & set(test_only)


def test_lambda_requirements_bundle_the_project_sdk_pins() -> None:
    project = dict(_pinned(REPO / "requirements.txt"))
    bundle = dict(_pinned(REPO / "lambdas" / "requirements.txt"))
    for name in ("boto3", "botocore", "aws-lambda-powertools", "pydantic"):
        assert bundle[name] == project[name], name


@pytest.mark.parametrize("path", REQUIREMENTS)
def test_requirements_pin_every_line_exactly(path: str) -> None:
    for pin in wheelhouse.pins(REPO / path):
        assert re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.]+", pin), f"{path}: {pin}"


def test_lambda_bundles_follow_the_template_globals_runtime_and_architecture() -> None:
    (bundle,) = wheelhouse.lambda_bundles(TEMPLATE.body)
    functions = [r for r in TEMPLATE.resources.values() if r["Type"] == "AWS::Serverless::Function"]
    assert bundle.code == REPO / "lambdas"
    assert (bundle.target.python_version, bundle.target.abi) == ("3.12", "cp312")
    assert bundle.target.platform == "manylinux2014_aarch64"
    assert len(bundle.handlers) == len(functions)


def test_import_problems_names_a_handler_whose_package_the_bundle_lacks(tmp_path: Path) -> None:
    # GIVEN a handler that imports pandas (in .venv, not in the bundle) WHEN checked in a clean interpreter
    (tmp_path / "needs_pandas.py").write_text("import pandas\n\ndef handler(event, context):\n    return {}\n")
    problems = wheelhouse.import_problems(tmp_path, ["needs_pandas.handler"], sys.executable)
    assert problems == ["needs_pandas.handler: ModuleNotFoundError: No module named 'pandas'"]


def test_import_problems_names_a_handler_function_that_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / "lonely.py").write_text("import json\n")
    problems = wheelhouse.import_problems(tmp_path, ["lonely.handler"], sys.executable)
    assert problems == ["lonely.handler: AttributeError: module 'lonely' has no attribute 'handler'"]


def test_import_problems_accepts_handlers_that_import_from_the_bundle(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("VALUE = 1\n")
    (tmp_path / "app.py").write_text("import json\nimport helper\n\ndef handler(event, context):\n    return {}\n")
    assert wheelhouse.import_problems(tmp_path, ["app.handler"], sys.executable) == []


def test_order_problems_names_a_pin_above_its_dependency_and_an_unpinned_one(tmp_path: Path) -> None:
    wheels = {
        "top==1.0": _wheel(tmp_path, "top-1.0-py3-none-any.whl", ("base>=1", "extra-only; extra == 'x'")),
        "base==1.0": _wheel(tmp_path, "base-1.0-py3-none-any.whl", ("missing", "old; python_version < '3.8'")),
    }
    problems = wheelhouse.order_problems(wheels, wheelhouse.GLUE, "requirements.txt")
    assert problems == [
        "requirements.txt: top==1.0 comes before its dependency base: move it below",
        "requirements.txt: base==1.0 needs missing, which the file does not pin",
    ]


def test_download_names_every_pin_without_a_wheel_for_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an index holding a pure wheel and a manylinux_2_28 one (Glue's glibc 2.26 cannot load it)
    index = tmp_path / "index"
    index.mkdir()
    _wheel(index, "pure-1.0-py3-none-any.whl")
    _wheel(index, "native-2.0-cp39-cp39-manylinux_2_28_x86_64.whl")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pure==1.0\nnative==2.0\n")
    # WHEN the Glue wheelhouse is made THEN the error names the pin pip would build from source
    with pytest.raises(wheelhouse.PackagingError) as error:
        wheelhouse.download([requirements], wheelhouse.GLUE, tmp_path / "wheels")
    assert str(error.value) == (
        f"{requirements}: native==2.0 has no wheel for Glue Python shell 3.9 (Amazon Linux 2, glibc 2.26)"
        " (cp39, manylinux2014_x86_64 or pure Python): pip would build it from source there, and fail."
        " Pin a version that has one."
    )
