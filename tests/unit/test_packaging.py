"""Packaging: exact pins, a client-only base install, a wheel that carries the deployable tree and works anywhere."""

from __future__ import annotations

import email.parser
import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autopersonalize import sample_data
from autopersonalize.cli import main

REPO = Path(__file__).resolve().parents[2]
# What `sam deploy` ships and the offline stack deploys (the layout of the README): the wheel must carry all of it.
TREE = ("template.yaml", "lambdas", "statemachine", "glue_jobs", "schemas", "params")
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "autopersonalize", *TREE)
CLIENT_DEPENDENCIES = {"boto3", "botocore", "requests"}
HEAVY = ("moto", "pandas", "numpy", "scipy", "implicit", "pyarrow", "awswrangler", "pydantic", "rich")
Pin = tuple[str, frozenset[str], str]


def _pin(line: str) -> Pin:
    requirement = Requirement(line)
    return canonicalize_name(requirement.name), frozenset(requirement.extras), str(requirement.specifier)


def _requirements_txt() -> set[Pin]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return {_pin(line) for line in lines if line.strip() and not line.startswith("#")}


def _pyproject() -> dict[str, list[str]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {"": project["dependencies"], **project.get("optional-dependencies", {})}


def test_pyproject_pins_the_same_versions_as_requirements_txt() -> None:
    pinned = {_pin(line) for group in _pyproject().values() for line in group}

    assert pinned == _requirements_txt()


def test_pyproject_pins_every_runtime_dependency_exactly() -> None:
    specifiers = [Requirement(line).specifier for group in _pyproject().values() for line in group]

    assert [str(s) for s in specifiers if len(s) != 1 or next(iter(s)).operator != "=="] == []


def test_paths_names_the_deployable_tree() -> None:
    from autopersonalize import paths

    assert paths.TREE == TREE
    assert all((paths.ROOT / name).exists() for name in TREE)


def test_pyproject_base_install_is_the_client_and_the_rest_is_the_offline_extra() -> None:
    from autopersonalize.cli import OFFLINE_MODULES

    groups = _pyproject()

    assert {_pin(line)[0] for line in groups[""]} == CLIENT_DEPENDENCIES
    assert set(groups) == {"", "offline"}
    assert {Requirement(line).name.replace("-", "_") for line in groups["offline"]} <= OFFLINE_MODULES


def test_cli_without_the_offline_extra_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As if the extra were not installed: every `import rich...` fails (rich.* too: a loaded submodule would be found
    # without its package), and the commands module is imported afresh (`from autopersonalize import commands` finds
    # the package attribute first). monkeypatch puts everything back.
    import autopersonalize

    monkeypatch.delitem(sys.modules, "autopersonalize.commands", raising=False)
    monkeypatch.delattr(autopersonalize, "commands", raising=False)
    for name in [n for n in sys.modules if n == "rich" or n.startswith("rich.")] or ["rich"]:
        monkeypatch.setitem(sys.modules, name, None)

    code = main(["demo"])

    assert code == 2
    assert capsys.readouterr().err == (
        "error: `autopersonalize demo` needs the offline stack (no module 'rich' here): "
        "pip install 'autopersonalize[offline]'\n"
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel .` of a copy of the build inputs (the build writes build/ and *.egg-info into its source)."""
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "sam_app")
    for name in BUILD_INPUTS:
        if not (REPO / name).exists():
            continue  # setup.py and MANIFEST.in: a wheel without them lacks the tree, which the tests below say
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", str(out)]
    subprocess.run(pip, cwd=source, check=True, capture_output=True)
    (built,) = out.glob("autopersonalize-*.whl")
    return built


def _requires_dist(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zipped:
        (name,) = [n for n in zipped.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(zipped.read(name).decode())
    return metadata.get_all("Requires-Dist") or []


def test_wheel_requires_only_the_client_dependencies_without_an_extra(wheel: Path) -> None:
    requires = [Requirement(line) for line in _requires_dist(wheel)]
    base = {r.name for r in requires if r.marker is None}
    offline = {r.name for r in requires if r.marker is not None and r.marker.evaluate({"extra": "offline"})}

    assert base == CLIENT_DEPENDENCIES
    assert {"moto", "pandas", "implicit", "awswrangler", "aws-lambda-powertools", "pydantic"} <= offline
    assert _pin(next(line.split(";")[0] for line in _requires_dist(wheel) if line.startswith("moto"))) in (
        _requirements_txt()
    )


def test_wheel_carries_the_deployable_tree_as_package_data(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zipped:
        names = set(zipped.namelist())
    packaged = {n.removeprefix("autopersonalize/sam_app/") for n in names if n.startswith("autopersonalize/sam_app/")}
    in_repo = {
        str(p.relative_to(REPO))
        for name in TREE
        for p in ([REPO / name] if (REPO / name).is_file() else (REPO / name).rglob("*"))
        if p.is_file() and not {"__pycache__", ".mypy_cache", ".pytest_cache"} & set(p.parts)
    }

    assert packaged == in_repo
    assert {n.split("/")[0] for n in names} == {"autopersonalize", "autopersonalize-0.1.0.dist-info"}  # no top-level
    # `workflow` or `serving` in site-packages: they reach sys.path only inside the CLI and the offline stack


@pytest.fixture(scope="module")
def client_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel's base install only: the pinned client dependencies (pip's cache or the index)."""
    venv = tmp_path_factory.mktemp("client") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    constraints = venv.parent / "constraints.txt"
    constraints.write_text("\n".join(_constraints()) + "\n")
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "-c", str(constraints), str(wheel)]
    subprocess.run(pip, check=True, capture_output=True)
    return python


def _constraints() -> list[str]:
    """The exact pins of requirements-dev.txt and requirements.txt, without extras (pip's constraints take none)."""
    lines = [
        *(REPO / "requirements-dev.txt").read_text().splitlines(),
        *(REPO / "requirements.txt").read_text().splitlines(),
    ]
    requirements = [Requirement(line) for line in lines if line[:1].isalnum()]
    return [f"{r.name}{r.specifier}" for r in requirements]


def _isolated(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the venv's interpreter isolated (-I: no PYTHONPATH, no cwd on sys.path) from a folder outside the repo."""
    return subprocess.run([str(python), "-I", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_client_only_install_imports_the_client_without_the_offline_stack(client_venv: Path, tmp_path: Path) -> None:
    probe = "import importlib.util, autopersonalize.client; print([m for m in %r if importlib.util.find_spec(m)])"

    result = _isolated(client_venv, "-c", probe % (HEAVY,), cwd=tmp_path)

    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")


@pytest.mark.slow
def test_client_only_install_cli_names_the_offline_extra(client_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "params.json").write_text("{}")  # a file that exists: the check then needs the params model
    result = _isolated(client_venv, "-m", "autopersonalize", "validate", "params.json", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.startswith("error: `autopersonalize validate` needs the offline stack (no module 'pydantic'")
    assert result.stderr.endswith("pip install 'autopersonalize[offline]'\n")
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def full_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (not the checkout): its dependencies are this venv's, on a path line."""
    venv = tmp_path_factory.mktemp("full") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # a path line only: the
    # checkout's editable finder (a .pth in that folder) is not run, so `autopersonalize` comes from the wheel
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True)
    return python


@pytest.mark.slow
def test_wheel_validate_and_schema_work_from_any_directory(full_venv: Path, tmp_path: Path) -> None:
    where = _isolated(full_venv, "-c", "import autopersonalize.paths as p; print(p.ROOT)", cwd=tmp_path).stdout.strip()
    demo = Path(where) / "params" / "demo.json"

    validated = _isolated(full_venv, "-m", "autopersonalize", "validate", str(demo), cwd=tmp_path)
    schema = _isolated(full_venv, "-m", "autopersonalize", "schema", cwd=tmp_path)

    assert Path(where).is_relative_to(full_venv.parents[1]) and where.endswith("autopersonalize/sam_app")
    assert (validated.returncode, validated.stdout) == (
        0,
        f"{demo}: OK (3 datasets, 3 solutions, 2 campaigns, 2 filters)\n",
    )
    assert json.loads(schema.stdout) == json.loads((REPO / "schemas" / "params.schema.json").read_text())


@pytest.mark.slow
def test_wheel_runs_the_offline_pipeline_from_any_directory(full_venv: Path, tmp_path: Path) -> None:
    lake = sample_data.generate(seed=7, n_users=600, per_category=20)
    lake.interactions.to_csv(tmp_path / "events.csv", index=False)
    command = ["-m", "autopersonalize", "run", "--interactions", "events.csv", "--json"]

    result = _isolated(full_venv, *command, "--map", sample_data.INTERACTIONS_MAPPING, cwd=tmp_path)

    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["outcome"] == "DEPLOYED"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv"]  # nothing written where it ran
