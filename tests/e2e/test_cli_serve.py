"""`autopersonalize serve` as a user runs it: the demo pipeline, then HTTP; requests are logged to stderr (stdout keeps
only what the command announces), and Ctrl-C stops it with exit 130 like `endpoint`."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from autopersonalize.local.stack import REPO

pytestmark = pytest.mark.slow


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a shell's background job ignores SIGINT; the child must not


MOVIELENS = REPO.parent / "shared" / "data" / "movielens-latest-small" / "ratings.csv"
OWN_DATA = ["--interactions", str(MOVIELENS), "--map", "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp"]


@pytest.mark.parametrize(
    ("inputs", "user"), [([], "u00001"), (OWN_DATA, "414")], ids=["demo", "own-data-with-run-options"]
)
def test_serve_logs_requests_to_stderr_and_exits_130_on_ctrl_c(inputs: list[str], user: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "autopersonalize", "serve", "--port", "0", *inputs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        preexec_fn=_default_sigint,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 300
        url = None
        for line in process.stdout:  # the demo's report, then where it listens
            if found := re.match(r"get_recommendations on (http://127\.0\.0\.1:\d+) ", line):
                url = found.group(1)
                break
            if time.monotonic() > deadline:
                break
        assert url is not None, "serve never said where it listens"
        announced = [process.stdout.readline() for _ in range(3)]
        response = requests.get(f"{url}/recommendations", params={"userId": user, "numResults": "3"}, timeout=30)
        assert response.status_code == 200
        assert len(response.json()["items"]) == 3
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert announced[-1].strip() == f"curl '{url}/recommendations?userId=<user>&numResults=5'"
    assert out == ""  # nothing per request on stdout (no EMF metric lines, no handler logs)
    lines = err.splitlines()
    assert lines[-1] == "interrupted"
    assert any(re.search(r" INFO GET /recommendations -> 200 in \d+\.\d ms$", line) for line in lines), err
    assert f"userId={user}" not in err  # the query string (user ids) is not logged
