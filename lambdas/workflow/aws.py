"""The one lazy boto3 client factory of the workflow Lambdas, and the environment they read."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Legacy retries absorb throttling but not LimitExceededException (a quota: standard mode would retry it within the
# second); the state machine waits that out in its loops instead.
_CONFIG = Config(retries={"mode": "legacy", "max_attempts": 4})


@cache
def _client(service: str, region: str | None, endpoint: str | None, access_key: str | None) -> Any:
    return boto3.client(service, region_name=region, config=_CONFIG)  # type: ignore[call-overload]


def client(service: str) -> Any:
    """A cached boto3 client, made on first use (never at import time, so moto and cold starts stay cheap).

    One per credentials too: a Lambda sandbox keeps its credentials, but offline every function (each with its own
    role) runs in one process."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_ACCESS_KEY_ID"))


def env(name: str, default: str | None = None) -> str:
    """A Lambda environment variable the template sets; a clear error names it when it is missing."""
    value = os.environ.get(name, default)
    if value is None:
        raise KeyError(f"environment variable {name} is not set: the function's template entry must define it")
    return value


def wait_scale() -> float:
    """WAIT_SCALE multiplies every wait (1 on AWS, 0 offline)."""
    return float(env("WAIT_SCALE", "1"))


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))
