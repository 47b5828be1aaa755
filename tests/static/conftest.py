"""The static checks' tool venv (.venv-lint, made by `make lint-tools`, which `make test` runs) and its tools."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_VENV = REPO / os.environ.get("LINT_VENV", ".venv-lint")
POLICY_LINT = Path(__file__).resolve().with_name("policy_lint.py")


@pytest.fixture(scope="session")
def lint_venv() -> Path:
    if not (LINT_VENV / ".installed").exists():
        pytest.fail(f"{LINT_VENV} is missing: `make lint-tools` creates it from requirements-lint.txt (make test does)")
    return LINT_VENV


@pytest.fixture(scope="session")
def policy_lint(lint_venv: Path) -> Callable[..., Any]:
    """Runs policy_lint.py in the tool venv with the given arguments; returns its JSON output."""

    def run(*args: str) -> Any:
        command = [str(lint_venv / "bin" / "python"), str(POLICY_LINT), *args]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"policy_lint.py {' '.join(args)} failed:\n{result.stderr}"
        return json.loads(result.stdout)

    return run
