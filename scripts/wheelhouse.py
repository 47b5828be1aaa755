"""Packages as the clouds install them: Glue Python shell's wheels (cp39, manylinux2014_x86_64) and the Lambda bundle.

`glue`: every pin of glue_jobs/requirements.txt has a wheel Glue Python shell 3.9 installs (no source build), and
the file lists its closure in install order; `glue-template`: template.yaml's jobs with `library-set: none` list
those wheels in --extra-py-files, those with `library-set: analytics` (boto3 preinstalled) list none, and every job's
script imports from the .py modules its --extra-py-files lists (the no-wheel jobs without the wheels' packages).
`glue-test`: the same wheels check for glue_jobs/requirements-test.txt (the Glue tests' venv installs only these).
`lambda-wheels`: lambdas/requirements.txt has a wheel per pin for the template's Runtime/Architectures, and installs
for this machine into a bundle; `lambda-imports`: every Handler imports from that bundle alone, in a clean
interpreter (-I -S: no site-packages, no PYTHONPATH, so neither .venv nor the runtime's own boto3)."""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

REPO = Path(__file__).resolve().parents[1]
GLUE_REQUIREMENTS = REPO / "glue_jobs" / "requirements.txt"
GLUE_TEST_REQUIREMENTS = REPO / "glue_jobs" / "requirements-test.txt"
GLUE_JOBS_DIR = REPO / "glue_jobs"
# Glue Python shell 3.9's library sets: `none` installs only awscli and botocore, so a job brings every package as
# wheels; `analytics` preinstalls boto3 1.21.21 with awswrangler 2.15.1, pandas 1.4.2, numpy 1.22.3, ..., older
# than the export code is written for, so the jobs that take no wheels must not import these at all.
WHEEL_SET, PREINSTALLED_SET = "none", "analytics"
WHEEL_ONLY_MODULES = ("awswrangler", "pandas", "numpy", "pyarrow")
TEMPLATE = REPO / "template.yaml"
WHEELS_PREFIX = "/glue/wheels/"
ARCH_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
IMPORT_CHECK = """
import importlib, sys
bundle, handlers = sys.argv[1], sys.argv[2:]
sys.path.insert(0, bundle)
bad = []
for handler in handlers:
    module, _, name = handler.rpartition(".")
    try:
        if not callable(getattr(importlib.import_module(module), name)):
            bad.append(f"{handler}: {name} is not callable")
    except (ImportError, AttributeError) as error:
        bad.append(f"{handler}: {type(error).__name__}: {error}")
print("\\n".join(bad))
sys.exit(1 if bad else 0)
"""
# Import a Glue job's script as Glue would: its folder holds the script and its --extra-py-files .py modules only.
GLUE_IMPORT_CHECK = """
import importlib, importlib.abc, sys
folder, script, blocked = sys.argv[1], sys.argv[2], set(filter(None, sys.argv[3].split(",")))
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (Glue installs no wheels for this job)", name=name)
sys.meta_path.insert(0, NotInstalled())
sys.path.insert(0, folder)
importlib.import_module(script)
"""


class PackagingError(RuntimeError):
    """A pin the cloud cannot install as pinned, or a bundle a handler cannot import from: says which and why."""


@dataclass(frozen=True)
class Target:
    """The wheels a cloud's pip accepts: CPython `python_version` with `abi` on `platform` (pure wheels too)."""

    label: str
    python_version: str
    platform: str
    abi: str

    def markers(self) -> dict[str, str]:
        """The environment markers pip evaluates there (for Requires-Dist)."""
        short = ".".join(self.python_version.split(".")[:2])
        return {
            "python_version": short,
            "python_full_version": self.python_version if self.python_version.count(".") == 2 else f"{short}.0",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": "aarch64" if self.platform.endswith("aarch64") else "x86_64",
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "extra": "",
        }


_TEXT: dict[str, Any] = {"capture_output": True, "text": True, "check": True}
GLUE = Target("Glue Python shell 3.9 (Amazon Linux 2, glibc 2.26)", "3.9", "manylinux2014_x86_64", "cp39")


def shown(path: Path) -> str:
    """A path as messages show it: relative to the repository when inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def pins(path: Path) -> list[str]:
    """The requirement lines of a requirements file (`name==version`), comments and blanks dropped."""
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line]


def pip(args: list[str], python: str = sys.executable, isolated: bool = False) -> subprocess.CompletedProcess[str]:
    """Run pip; `isolated` drops this machine's pip configuration (extra indexes, find-links) for installs."""
    env = dict(os.environ)
    if isolated:
        env.pop("PIP_FIND_LINKS", None)
        env["PIP_CONFIG_FILE"] = os.devnull
    command = [python, "-m", "pip", *args, "--disable-pip-version-check"]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def _download_args(target: Target, dest: Path) -> list[str]:
    return [
        "download", "--no-deps", "--only-binary=:all:", "--platform", target.platform, "--python-version",
        target.python_version, "--implementation", "cp", "--abi", target.abi, "-d", str(dest),
    ]  # fmt: skip


def download(requirements: list[Path], target: Target, dest: Path) -> dict[str, Path]:
    """Each pin's wheel for `target` into `dest`, by pin; PackagingError naming every pin that has none."""
    dest.mkdir(parents=True, exist_ok=True)
    every = [(path, pin) for path in requirements for pin in pins(path)]
    if pip([*_download_args(target, dest), *(pin for _, pin in every)]).returncode != 0:
        missing = [(p, pin) for p, pin in every if pip([*_download_args(target, dest), pin]).returncode != 0]
        raise PackagingError(
            "\n".join(
                f"{shown(path)}: {pin} has no wheel for {target.label} ({target.abi}, {target.platform}"
                f" or pure Python): pip would build it from source there, and fail. Pin a version that has one."
                for path, pin in missing
            )
            or f"pip download failed for {target.label}; run it by hand to see why"
        )
    return _wheels_by_pin([pin for _, pin in every], dest)


def _wheels_by_pin(wanted: list[str], dest: Path) -> dict[str, Path]:
    found = {}
    for wheel in dest.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        found[f"{name}=={version}"] = wheel
    by_pin = {}
    for pin in wanted:
        requirement = Requirement(pin)
        key = f"{canonicalize_name(requirement.name)}=={next(iter(requirement.specifier)).version}"
        by_pin[pin] = found[key]
    return by_pin


def requires(wheel: Path, target: Target) -> list[str]:
    """The canonical names a wheel depends on at `target` (its Requires-Dist, markers evaluated there)."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        headers = HeaderParser().parsestr(archive.read(metadata).decode())
    names: list[str] = []
    for line in headers.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(target.markers()):
            names.append(canonicalize_name(requirement.name))
    return names


def order_problems(wheels: dict[str, Path], target: Target, source: str) -> list[str]:
    """Pins that come before a dependency of theirs, or need a package the file does not pin."""
    seen: set[str] = set()
    pinned = {canonicalize_name(Requirement(pin).name) for pin in wheels}
    problems = []
    for pin, wheel in wheels.items():
        for dependency in requires(wheel, target):
            if dependency not in pinned:
                problems.append(f"{source}: {pin} needs {dependency}, which the file does not pin")
            elif dependency not in seen:
                problems.append(f"{source}: {pin} comes before its dependency {dependency}: move it below")
        seen.add(canonicalize_name(Requirement(pin).name))
    return problems


def check_glue(dest: Path) -> None:
    """The Glue runtime wheels: each pin has one, and the file's order installs (dependencies first)."""
    wheels = download([GLUE_REQUIREMENTS], GLUE, dest)
    problems = order_problems(wheels, GLUE, shown(GLUE_REQUIREMENTS))
    if problems:
        raise PackagingError("\n".join(problems))
    runtime = dest / "runtime"  # what make deploy uploads to s3://<bucket>/glue/wheels/
    shutil.rmtree(runtime, ignore_errors=True)
    runtime.mkdir()
    for wheel in wheels.values():
        shutil.copy2(wheel, runtime / wheel.name)


@dataclass(frozen=True)
class GlueJob:
    """A Glue job of template.yaml: its script, library set, and the file names its --extra-py-files lists."""

    logical_id: str
    script: Path
    library_set: str
    modules: list[str]  # .py
    wheels: list[str]  # .whl


def glue_jobs(template: dict[str, Any]) -> list[GlueJob]:
    """The Glue Python shell jobs of a template, in its order (Spark jobs install nothing: Glue 5.0 provides pandas)."""
    jobs = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Glue::Job" and resource["Properties"]["Command"]["Name"] == "pythonshell":
            props = resource["Properties"]
            arguments = props.get("DefaultArguments", {})
            files = arguments.get("--extra-py-files", "")
            text = files.get("Fn::Sub", "") if isinstance(files, dict) else str(files)
            names = [f.strip().rsplit("/", 1)[-1] for f in text.split(",") if f.strip()]
            jobs.append(
                GlueJob(
                    logical_id,
                    REPO / props["Command"]["ScriptLocation"],
                    str(arguments.get("library-set", "")),
                    [name for name in names if name.endswith(".py")],
                    [name for name in names if name.endswith(".whl")],
                )
            )
    return jobs


def wheel_problems(jobs: list[GlueJob], runtime: list[str]) -> list[str]:
    """Jobs whose wheels do not fit their library set: `none` lists exactly `runtime`, in order; `analytics` none."""
    problems = []
    for job in jobs:
        if job.library_set == WHEEL_SET and job.wheels != runtime:
            lines = "\n".join(f"  s3://${{DataBucket}}{WHEELS_PREFIX}{name}" for name in runtime)
            problems.append(
                f"template.yaml: --extra-py-files of {job.logical_id} (library-set {WHEEL_SET}) must list, after"
                f" the .py files and in this order, the wheels of glue_jobs/requirements.txt:\n{lines}"
            )
        elif job.library_set == PREINSTALLED_SET and job.wheels:
            problems.append(
                f"template.yaml: {job.logical_id} (library-set {PREINSTALLED_SET}) lists wheels: it runs on the"
                f" preinstalled boto3; give it library-set {WHEEL_SET} if it needs them"
            )
        elif job.library_set not in (WHEEL_SET, PREINSTALLED_SET):
            problems.append(
                f"template.yaml: {job.logical_id} has library-set {job.library_set or '(none given)'!r}: set"
                f" {WHEEL_SET} (it brings the wheels) or {PREINSTALLED_SET} (boto3 only)"
            )
    return problems


def glue_import_problems(job: GlueJob, python: str = sys.executable) -> list[str]:
    """The job's script does not import from its --extra-py-files modules alone (in a clean `python -I`), or, for
    a job without wheels, needs one of WHEEL_ONLY_MODULES."""
    blocked = "" if job.wheels else ",".join(WHEEL_ONLY_MODULES)
    with tempfile.TemporaryDirectory() as folder:
        missing = [name for name in job.modules if not (GLUE_JOBS_DIR / name).is_file()]
        if missing:
            return [f"{job.logical_id}: --extra-py-files lists glue/{', glue/'.join(missing)}, not in glue_jobs/"]
        for name in [job.script.name, *job.modules]:
            (Path(folder) / name).symlink_to(GLUE_JOBS_DIR / name)
        command = [python, "-I", "-c", GLUE_IMPORT_CHECK, folder, job.script.stem, blocked]
        done = subprocess.run(command, **{**_TEXT, "check": False})
    if done.returncode == 0:
        return []
    error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
    return [f"{job.logical_id} ({job.script.name}, library-set {job.library_set}): {error}"]


def check_glue_template(dest: Path) -> None:
    """template.yaml's Glue jobs: the wheel jobs list exactly the runtime wheels (make glue-wheels downloaded them),
    in order, the others none; every script imports from what its job lists."""
    runtime = [wheel.name for wheel in sorted((dest / "runtime").glob("*.whl"), key=lambda w: _rank(w.name))]
    jobs = glue_jobs(dict(cfn_yaml.loads(TEMPLATE.read_text(), str(TEMPLATE))))
    problems = wheel_problems(jobs, runtime) + [problem for job in jobs for problem in glue_import_problems(job)]
    if problems:
        raise PackagingError("\n".join(problems))
    light = [job.logical_id for job in jobs if not job.wheels]
    print(f"{len(jobs)} Glue jobs import from what they list; without wheels: {', '.join(light) or 'none'}")


def _rank(filename: str) -> int:
    """A wheel's place in glue_jobs/requirements.txt."""
    name, version, _, _ = parse_wheel_filename(filename)
    pinned = [Requirement(pin) for pin in pins(GLUE_REQUIREMENTS)]
    keys = [(canonicalize_name(r.name), next(iter(r.specifier)).version) for r in pinned]
    return keys.index((name, str(version))) if (name, str(version)) in keys else len(keys)


def python_version(python: str) -> str:
    """The full version of an interpreter (3.9.18)."""
    done = subprocess.run([python, "-c", "import platform; print(platform.python_version())"], **_TEXT)
    return done.stdout.strip()


def check_glue_test(dest: Path, python: str) -> None:
    """The test-only pins, as wheels for the same platform, on the test interpreter's exact 3.9.x."""
    target = Target(GLUE.label, python_version(python), GLUE.platform, GLUE.abi)
    download([GLUE_TEST_REQUIREMENTS], target, dest)


@dataclass(frozen=True)
class Bundle:
    """One code bundle sam build makes: CodeUri, its requirements, the target, and the handlers that load from it."""

    code: Path
    target: Target
    handlers: list[str]


def lambda_bundles(template: dict[str, Any]) -> list[Bundle]:
    """The bundles of template.yaml's functions, grouped by CodeUri, Runtime and Architectures (Globals applied)."""
    defaults = template.get("Globals", {}).get("Function", {})
    groups: dict[tuple[str, str, str], list[str]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            props = {**defaults, **resource["Properties"]}
            runtime, (arch,) = str(props["Runtime"]), props.get("Architectures", ["x86_64"])
            groups.setdefault((str(props["CodeUri"]), runtime, arch), []).append(str(props["Handler"]))
    bundles = []
    for (code, runtime, arch), handlers in groups.items():
        match = re.fullmatch(r"python(3)\.(\d+)", runtime)
        if match is None:
            raise PackagingError(f"template.yaml: Runtime {runtime} is not a CPython runtime this check knows")
        version = f"3.{match.group(2)}"
        target = Target(f"Lambda {runtime} {arch}", version, ARCH_PLATFORMS[arch], f"cp3{match.group(2)}")
        bundles.append(Bundle(REPO / code, target, sorted(handlers)))
    return bundles


def bundle_dir(bundle: Bundle, dest: Path) -> Path:
    return dest / f"bundle-{bundle.code.name}-{bundle.target.abi}"


def install_bundle(bundle: Bundle, dest: Path, python: str) -> Path:
    """The bundle's pins installed for THIS machine (same versions) into dest/bundle, with CodeUri linked beside."""
    _same_python(bundle, python)
    host = Target(
        "this machine", bundle.target.python_version, f"manylinux2014_{platform.machine()}", bundle.target.abi
    )
    wheels = dest / f"host-{bundle.target.abi}"
    download([bundle.code / "requirements.txt"], host, wheels)
    target = bundle_dir(bundle, dest)
    shutil.rmtree(target, ignore_errors=True)
    args = ["install", "-q", "--no-index", "--find-links", str(wheels), "--target", str(target)]
    done = pip([*args, "-r", str(bundle.code / "requirements.txt")], python=python, isolated=True)
    if done.returncode != 0:
        raise PackagingError(f"{bundle.code.name}/requirements.txt does not install from its own pins:\n{done.stderr}")
    return target


def _same_python(bundle: Bundle, python: str) -> None:
    found = ".".join(python_version(python).split(".")[:2])
    if found != bundle.target.python_version:
        raise PackagingError(f"{python} is Python {found}; {bundle.target.label} needs {bundle.target.python_version}")


def link_code(bundle: Bundle, target: Path) -> None:
    """CodeUri's packages beside the installed pins, as sam build lays them out (links, so edits are seen)."""
    for entry in bundle.code.iterdir():
        if entry.name not in {"requirements.txt", "__pycache__"}:
            link = target / entry.name
            if not link.is_symlink():
                shutil.rmtree(link, ignore_errors=True)
                link.symlink_to(entry)


def import_problems(target: Path, handlers: list[str], python: str) -> list[str]:
    """Handlers that do not import (or are not callable) from `target` alone, in a clean interpreter."""
    done = subprocess.run([python, "-I", "-S", "-c", IMPORT_CHECK, str(target), *handlers], **{**_TEXT, "check": False})
    if done.returncode != 0 and not done.stdout.strip():
        return [f"the import check itself failed:\n{done.stderr}"]
    return [line for line in done.stdout.splitlines() if line]


def check_lambda_wheels(dest: Path, python: str | None) -> None:
    """Each bundle's pins as wheels for the template's runtime and architecture; with `python`, installed for here."""
    for bundle in lambda_bundles(dict(cfn_yaml.loads(TEMPLATE.read_text(), str(TEMPLATE)))):
        download([bundle.code / "requirements.txt"], bundle.target, dest / bundle.target.platform)
        if python is not None:
            install_bundle(bundle, dest, python)


def check_lambda_imports(dest: Path, python: str) -> None:
    """Every Handler imports from its bundle (make lambda-wheels installed it) in a clean `python`."""
    for bundle in lambda_bundles(dict(cfn_yaml.loads(TEMPLATE.read_text(), str(TEMPLATE)))):
        _same_python(bundle, python)
        target = bundle_dir(bundle, dest)
        if not target.is_dir():
            install_bundle(bundle, dest, python)
        link_code(bundle, target)
        problems = import_problems(target, bundle.handlers, python)
        if problems:
            raise PackagingError(
                f"these handlers do not import from {bundle.code.name}/requirements.txt's packages alone"
                f" ({bundle.target.label}; pin what they import there):\n" + "\n".join(problems)
            )
        print(f"{len(bundle.handlers)} handlers import from a bundle of {bundle.code.name}/requirements.txt alone")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("what", choices=["glue", "glue-template", "glue-test", "lambda-wheels", "lambda-imports"])
    parser.add_argument("--dest", type=Path, required=True, help="the wheelhouse folder (kept between runs)")
    parser.add_argument("--python", help="the Python 3.9 (glue-test) or the Lambda runtime's Python (lambda-*)")
    args = parser.parse_args(argv)
    if args.what in {"glue-test", "lambda-imports"} and not args.python:
        parser.error(f"{args.what} needs --python")
    try:
        if args.what == "glue":
            check_glue(args.dest)
        elif args.what == "glue-template":
            check_glue_template(args.dest)
        elif args.what == "glue-test":
            check_glue_test(args.dest, args.python)
        elif args.what == "lambda-wheels":
            check_lambda_wheels(args.dest, args.python)
        else:
            check_lambda_imports(args.dest, args.python)
    except PackagingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
