"""The one place serving makes AWS clients: lazily, once per service, with short timeouts for the apps' hot path.

botocore directly, not boto3: boto3 adds s3transfer and resources (tens of ms of cold start) and nothing we use.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.session
from botocore.config import Config

# The runtime is on the apps' request path: fail fast and let the caller retry (a 429 says when).
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})
_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    """The shared client for `service` ("ssm", "personalize-runtime"), created on first use."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        if service not in _clients:
            _clients[service] = botocore.session.get_session().create_client(service, config=_CONFIG)
        return _clients[service]


def reset() -> None:
    """Forget every client (tests, and the offline server when it starts inside a fresh emulated AWS)."""
    with _lock:
        _clients.clear()
