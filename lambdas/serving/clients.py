"""The one place serving makes AWS clients: lazily, once per service, with short timeouts for the apps' hot path.

botocore directly, not boto3: boto3 adds s3transfer and resources (tens of ms of cold start) and nothing we use.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import botocore.session
from botocore.config import Config

# The runtime is on the apps' request path: fail fast and let the caller retry (a 429 says when).
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})
_clients: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    """The shared client for `service` ("ssm", "personalize-runtime"), created on first use.

    One per credentials too: on Lambda the function's credentials never change in a sandbox, but offline many
    functions (each with its own role) share one process."""
    key = (service, os.environ.get("AWS_ACCESS_KEY_ID", ""))
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        if key not in _clients:
            _clients[key] = botocore.session.get_session().create_client(service, config=_CONFIG)
        return _clients[key]


def reset() -> None:
    """Forget every client (tests, and the offline server when it starts inside a fresh emulated AWS)."""
    with _lock:
        _clients.clear()
