"""Shared test set-up: no real AWS reachable, powertools quiet, and an `aws` fixture with the offline stack's AWS."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_NAMESPACE": "autopersonalize",
    }
)
for _key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k == "AWS_PROFILE"]:
    os.environ.pop(_key)


@pytest.fixture(scope="session", autouse=True)
def run_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`demo` and `run` add each run to a history file: the tests' go to a temporary one, never the user's."""
    os.environ["AUTOPERSONALIZE_HISTORY"] = str(tmp_path_factory.mktemp("history") / "history.jsonl")
    yield
    os.environ.pop("AUTOPERSONALIZE_HISTORY", None)


@pytest.fixture
def aws() -> Iterator[None]:
    """Emulated AWS (moto + the Personalize emulator), fresh per test, statuses immediate."""
    from autopersonalize.local import offline_aws

    with offline_aws(progression="immediate"):
        yield
