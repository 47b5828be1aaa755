"""checkov on template.yaml as deployed (after SAM's transform, so the roles SAM generates are checked too).

A skip is justified where it applies: in the resource's `Metadata: checkov: skip:` (SAM passes a function's Metadata
on to the function and role it generates), or, for a check that holds for every function of the stack, in the
template's top-level `Metadata: checkov: skip:`, passed to checkov as --skip-check. Every skip carries a comment.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
UNJUSTIFIED = {"", "No comment provided"}  # what checkov reports for a skip without a comment


@pytest.fixture(scope="module")
def transformed(policy_lint: Callable[..., Any]) -> dict[str, Any]:
    template: dict[str, Any] = policy_lint("--transform", str(REPO / "template.yaml"))
    return template


@pytest.fixture(scope="module")
def template_skips(transformed: dict[str, Any]) -> list[dict[str, Any]]:
    skips: list[dict[str, Any]] = transformed.get("Metadata", {}).get("checkov", {}).get("skip", [])
    return skips


@pytest.fixture(scope="module")
def checkov_report(
    lint_venv: Path, transformed: dict[str, Any], template_skips: list[dict[str, Any]], tmp_path_factory: Any
) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("checkov") / "template.json"
    path.write_text(json.dumps(transformed))
    command = [str(lint_venv / "bin" / "checkov"), "--file", str(path), "--framework", "cloudformation"]
    command += ["--output", "json", "--skip-download", "--compact"]
    if template_skips:
        command += ["--skip-check", ",".join(skip["id"] for skip in template_skips)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode in (0, 1), f"checkov failed ({result.returncode}):\n{result.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_template_checkov_reports_no_finding(checkov_report: dict[str, Any]) -> None:
    failed = checkov_report["results"]["failed_checks"]
    lines = [f"{c['resource']}: {c['check_id']} {c['check_name']}" for c in failed]
    assert not lines, "checkov (fix it, or skip it in the resource's Metadata with the reason):\n" + "\n".join(lines)


def test_template_checkov_resource_skips_each_give_a_reason(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    reasons = {f"{c['resource']}: {c['check_id']}": c["check_result"].get("suppress_comment", "") for c in skipped}
    bare = [skip for skip, reason in reasons.items() if reason.strip() in UNJUSTIFIED]
    assert not bare, "checkov skips without a comment:\n" + "\n".join(bare)


def test_template_checkov_template_level_skips_each_give_a_reason(template_skips: list[dict[str, Any]]) -> None:
    bare = [str(skip) for skip in template_skips if not str(skip.get("comment", "")).strip() or "id" not in skip]
    assert not bare, "template.yaml Metadata.checkov.skip entries need an id and a comment:\n" + "\n".join(bare)
