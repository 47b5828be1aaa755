"""`autopersonalize validate` and `autopersonalize schema`: exit codes, one line per unreadable file, every problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autopersonalize.cli import main

REPO = Path(__file__).resolve().parents[2]
PARAMS = sorted(str(p) for p in (REPO / "params").glob("*.json"))


def test_validate_all_example_params_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(PARAMS) >= 3
    assert main(["validate", *PARAMS]) == 0
    out = capsys.readouterr()
    assert [line.split(": ")[0] for line in out.out.splitlines()] == PARAMS
    assert all(": OK (" in line for line in out.out.splitlines())
    assert "ml_ops sample format detected" in out.err  # the conversion warning, not an error


def test_validate_reports_all_three_problems_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads((REPO / "params/demo.json").read_text())
    document["campaignz"] = []
    document["datasets"] = [d for d in document["datasets"] if d["datasetType"] != "Interactions"]
    document["filters"] = []
    document["campaigns"][0]["solution"] = "user-personalisation"
    bad = tmp_path / "params" / "bad.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps(document))
    (tmp_path / "schemas").mkdir()
    for name in ("items", "users"):
        (tmp_path / "schemas" / f"{name}.avsc").write_text((REPO / "schemas" / f"{name}.avsc").read_text())
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: 3 problem(s):\n")
    assert "  - campaignz: unknown key; allowed keys here: $schema, datasetGroup" in err
    assert 'did you mean "campaigns"?' in err
    assert '  - datasets: no dataset has datasetType "Interactions"; add one (Personalize trains on it)' in err
    assert (
        '  - campaigns[0].solution: "user-personalisation" is not a solution name; did you mean "user-personalization"?'
        in err
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found; check the path"),
        ("", "the file is empty; expected a JSON object of params (see docs/params.md)"),
        ("{'a': 1}", "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        (b"\xff\xfe{", "not UTF-8 text; a params file is JSON"),
    ],
)
def test_validate_unreadable_file_gives_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "p.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    assert out.err == f"{path}: {message}\n"
    assert out.out == ""


def test_validate_missing_schema_file_gives_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads((REPO / "params/demo.json").read_text())
    path = tmp_path / "demo.json"
    document["datasets"] = document["datasets"][:1]
    document["filters"] = document["filters"][:1]
    document["solutions"] = document["solutions"][:2]
    document["campaigns"] = document["campaigns"][:1]
    path.write_text(json.dumps(document))
    assert main(["validate", str(path)]) == 1
    expected = tmp_path.parent / "schemas" / "interactions.avsc"
    assert capsys.readouterr().err == (
        f'{path}: datasets[0].schemaFile: "../schemas/interactions.avsc" not found (looked for {expected});'
        f" give a path relative to {path} or an s3:// URI\n"
    )


def test_validate_goes_on_after_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = str(REPO / "params/demo.json")
    assert main(["validate", str(tmp_path / "nope.json"), demo]) == 1
    out = capsys.readouterr()
    assert out.out.startswith(f"{demo}: OK (3 datasets, 3 solutions, 2 campaigns, 2 filters)")


def test_validate_with_prefix_warns_about_shortened_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads((REPO / "params/movielens.json").read_text())
    document["solutions"][1]["name"] = "p" * 50
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document))
    assert main(["validate", "--prefix", "autopersonalize-prod", str(path)]) == 0
    assert "warning: solutions[1].name: the Personalize name" in capsys.readouterr().err


def test_schema_prints_the_committed_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == (REPO / "schemas/params.schema.json").read_text()


def test_schema_markdown_prints_the_committed_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--markdown"]) == 0
    assert capsys.readouterr().out == (REPO / "docs/params.md").read_text()


def test_validate_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate"])
    assert caught.value.code == 2
    assert "the following arguments are required: FILE" in capsys.readouterr().err


def test_python_dash_m_runs_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = subprocess.run(
        [sys.executable, "-m", "autopersonalize", "validate", str(bad)], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert (
        result.stderr
        == f"{bad}: not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2\n"
    )
    assert "Traceback" not in result.stderr
