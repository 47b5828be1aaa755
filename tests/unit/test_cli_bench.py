"""`autopersonalize bench`: runs the named scripts of bench/, and refuses names it does not have."""

from __future__ import annotations

import pytest

from autopersonalize.cli import BENCHES, REPO_BENCH, main


def test_cli_bench_names_one_script_per_benchmark() -> None:
    assert sorted(p.stem for p in REPO_BENCH.glob("*.py")) == sorted(BENCHES)


def test_cli_bench_unknown_name_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "nope"]) == 2
    expected = "error: no benchmark nope; choose from engine, fidelity, etl, serving, e2e"
    assert capsys.readouterr().err.strip() == expected
