"""Build hook: a wheel of autopersonalize carries the deployable tree as package data (autopersonalize/sam_app/).

The CLI and the offline stack deploy template.yaml with its Lambdas, ASL, Glue scripts, schemas and params examples;
in a checkout they read them at the repository root (autopersonalize/paths.py), in an installed wheel from the copy
made here. An editable install (`pip install -e .`, as `make` does) copies nothing: it reads the checkout.
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TREE = ("template.yaml", "lambdas", "statemachine", "glue_jobs", "schemas", "params")  # == autopersonalize.paths.TREE
PACKAGED = "sam_app"
IGNORED = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".mypy_cache", ".pytest_cache")


class BuildWithDeployableTree(build_py):
    """build_py, then copy the deployable tree into the built package (not for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "autopersonalize" / PACKAGED
        shutil.rmtree(target, ignore_errors=True)
        for name in TREE:
            source = Path(name)
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=IGNORED)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithDeployableTree})
