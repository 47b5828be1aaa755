"""cli.program: the console script's entry point returns main()'s exit code, with the heap frozen for shutdown."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from autopersonalize.cli import program

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("name", "code"), [("demo.json", 0), ("missing.json", 1)])
def test_cli_program_returns_mains_exit_code_and_leaves_the_heap_frozen(
    name: str, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["autopersonalize", "validate", str(REPO / "params" / name)])
    try:
        assert program() == code
        assert gc.get_freeze_count() > 0  # the interpreter's shutdown collections skip these
    finally:
        gc.unfreeze()
