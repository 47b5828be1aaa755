"""The CLI's early failures: one clear stderr line and exit 2 before anything heavy runs, a JSON document with --json,
and every subcommand's --help says what it does with an example that works as written."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from autopersonalize.cli import COMMANDS, _guarded, build_parser, main
from autopersonalize.errors import PipelineError

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("rich", "pandas", "moto", "awswrangler")
NO_AWS_ENVIRONMENT = {"AWS_EC2_METADATA_DISABLED": "true"}  # and no AWS_* else, and no ~/.aws (see `no_aws`)


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 with a listener on it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def _cli_in_fresh_process(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`main(args)` in a new interpreter: its result, and which heavy modules it had imported when it returned."""
    script = (
        "import json, sys\n"
        "from autopersonalize.cli import main\n"
        f"code = main({list(args)!r})\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    *_, imported = result.stdout.splitlines() or [""]
    return result, json.loads(imported or "null")


@pytest.mark.parametrize("command", [["serve"], ["endpoint", "--demo"], ["endpoint"]])
def test_cli_busy_port_is_one_line_and_exit_2_before_anything_heavy(busy_port: int, command: list[str]) -> None:
    result, imported = _cli_in_fresh_process(*command, "--port", str(busy_port))
    assert result.returncode == 2
    assert result.stderr == f"error: port {busy_port} on 127.0.0.1 is in use; choose another with --port\n"
    assert imported == []  # neither the offline stack nor the demo ran


@pytest.mark.parametrize(
    ("command", "port", "message"),
    [
        ("serve", "70000", "argument --port: '70000' is not a port number; give one from 0 (any free port) to 65535"),
        ("serve", "-1", "argument --port: '-1' is not a port number; give one from 0 (any free port) to 65535"),
        ("serve", "http", "argument --port: 'http' is not a port number; give one from 0 (any free port) to 65535"),
        ("endpoint", "0", "argument --port: '0' is not a port number; give one from 1 to 65535"),
        ("endpoint", "65536", "argument --port: '65536' is not a port number; give one from 1 to 65535"),
    ],
)
def test_cli_bad_port_number_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: str, port: str, message: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--port", port])
    assert caught.value.code == 2
    out = capsys.readouterr()
    assert out.err.splitlines()[-1] == f"autopersonalize {command}: error: {message}"
    assert out.out == ""


def test_cli_serve_port_0_means_any_free_port() -> None:
    assert build_parser().parse_args(["serve", "--port", "0"]).port == 0


def test_cli_usage_error_with_json_prints_the_error_document(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["demo", "--json", "--seed", "x"])
    assert caught.value.code == 2
    out = capsys.readouterr()
    assert json.loads(out.out) == {
        "outcome": "ERROR",
        "error": "argument --seed: invalid int value: 'x'",
        "exitCode": 2,
    }
    assert out.err.startswith("usage: autopersonalize demo ")
    assert out.err.endswith("\nautopersonalize demo: error: argument --seed: invalid int value: 'x'\n")


def test_cli_usage_error_without_json_keeps_stdout_empty(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["demo", "--seed", "x"])
    assert caught.value.code == 2
    assert capsys.readouterr().out == ""


def _fails() -> int:
    raise PipelineError("interactions.csv: file not found; check --interactions")


def _interrupted() -> int:
    raise KeyboardInterrupt


def test_guarded_pipeline_error_with_json_is_a_document_and_one_stderr_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _guarded(_fails, as_json=True) == 2
    out = capsys.readouterr()
    assert json.loads(out.out) == {
        "outcome": "ERROR",
        "error": "interactions.csv: file not found; check --interactions",
        "exitCode": 2,
    }
    assert out.err == "error: interactions.csv: file not found; check --interactions\n"


def test_guarded_pipeline_error_without_json_is_one_stderr_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _guarded(_fails) == 2
    out = capsys.readouterr()
    assert (out.out, out.err) == ("", "error: interactions.csv: file not found; check --interactions\n")


def test_guarded_ctrl_c_exits_130_with_an_interrupted_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert _guarded(_interrupted, as_json=True) == 130
    out = capsys.readouterr()
    assert json.loads(out.out) == {"outcome": "INTERRUPTED", "error": "interrupted", "exitCode": 130}
    assert out.err == "interrupted\n"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", [name for name in COMMANDS if name != "run"])
def test_cli_help_has_a_description_and_examples(name: str) -> None:
    parser = _subcommands()[name]
    assert parser.description and len(parser.description) > 20
    text = parser.format_help()
    assert parser.description.splitlines()[0] in text
    examples = text.partition("\nexamples (from the repository root):\n")[2]
    assert any(line.startswith(f"  autopersonalize {name}") for line in examples.splitlines()), text


def test_cli_validate_help_examples_work_as_written() -> None:
    """Each `autopersonalize validate ...` line of the help, run by a shell from the repository root."""
    text = _subcommands()["validate"].format_help()
    lines = [line.strip() for line in text.splitlines() if line.startswith("  autopersonalize validate")]
    assert len(lines) == 2
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for line in lines:
        assert shlex.split(line, comments=True)[0] == "autopersonalize"
        result = subprocess.run(line, shell=True, cwd=REPO, env=environment, capture_output=True, text=True)
        assert result.returncode == 0, (line, result.stderr)
        assert "params/demo.json: OK (" in result.stdout


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS environment at all: no AWS_* variables, no ~/.aws files, no instance metadata."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in NO_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("no_aws")
def test_teardown_on_aws_without_a_region_says_what_to_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["teardown", "--dataset-group", "demo"]) == 2
    assert capsys.readouterr().err == (
        "error: no AWS region set: set AWS_DEFAULT_REGION (or the profile's region) to the stack's region, "
        "or give --endpoint-url for `autopersonalize endpoint`\n"
    )


@pytest.mark.usefixtures("no_aws")
def test_teardown_against_an_endpoint_without_aws_environment_uses_its_region_and_any_credentials() -> None:
    from autopersonalize.teardown import aws_session

    session = aws_session("http://127.0.0.1:5000")
    credentials = session.get_credentials()
    assert session.region_name == "us-east-1"
    assert credentials is not None and credentials.access_key == "offline"


@pytest.mark.usefixtures("no_aws")
def test_teardown_against_an_endpoint_keeps_the_callers_region_and_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mine")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    from autopersonalize.teardown import aws_session

    session = aws_session("http://127.0.0.1:5000")
    credentials = session.get_credentials()
    assert session.region_name == "eu-west-1"
    assert credentials is not None and credentials.access_key == "mine"


@pytest.mark.usefixtures("no_aws")
def test_teardown_with_no_endpoint_listening_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["teardown", "--dataset-group", "demo", "--endpoint-url", f"http://127.0.0.1:{port}"]) == 2
    assert capsys.readouterr().err == (
        f"error: teardown could not reach http://127.0.0.1:{port}/: is `autopersonalize endpoint` running there?\n"
    )
