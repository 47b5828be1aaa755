"""Campaign and filter ARNs by name, from the SSM parameters the workflow publishes, cached for a short TTL."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from serving import clients, errors

DEFAULT_TTL_SECONDS = 30.0


# Copies of workflow.naming.campaign_parameter / filter_parameter / recommender_parameter (serving may not import
# workflow);
# tests/unit/test_serving_parameters.py checks they stay equal.
def campaign_parameter(prefix: str, group: str, campaign_name: str) -> str:
    return f"/{prefix}/{group}/campaigns/{campaign_name}"


def filter_parameter(prefix: str, group: str, filter_name: str) -> str:
    return f"/{prefix}/{group}/filters/{filter_name}"


def recommender_parameter(prefix: str, group: str, recommender_name: str) -> str:
    return f"/{prefix}/{group}/recommenders/{recommender_name}"


def fetch_from_ssm(name: str) -> str | None:
    """The parameter's value, or None when it does not exist; other SSM failures become 429/502 errors."""
    try:
        return str(clients.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])
    except ClientError as exc:
        if errors.client_error_code(exc) == "ParameterNotFound":
            return None
        raise errors.from_aws(exc, "SSM Parameter Store") from exc
    except BotoCoreError as exc:
        raise errors.from_aws(exc, "SSM Parameter Store") from exc


class ParameterCache:
    """name -> value (or None: known to be missing), each entry kept `ttl` seconds so a new deployment shows up."""

    def __init__(
        self,
        ttl: float,
        fetch: Callable[[str], str | None] = fetch_from_ssm,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.ttl, self._fetch = ttl, fetch
        self._clock = clock or (lambda: time.monotonic())
        self._entries: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        now = self._clock()
        entry = self._entries.get(name)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = self._fetch(name)
        with self._lock:
            self._entries[name] = (now + self.ttl, value)
        return value

    def forget(self, name: str) -> None:
        with self._lock:
            self._entries.pop(name, None)


_cache: list[ParameterCache] = []


def ttl_from_env() -> float:
    raw = os.environ.get("PARAMETER_TTL_SECONDS", "")
    try:
        ttl = float(raw) if raw else DEFAULT_TTL_SECONDS
    except ValueError:
        raise errors.ConfigurationError(
            f"environment variable PARAMETER_TTL_SECONDS must be a number of seconds, found {raw!r}"
        ) from None
    if ttl < 0:
        raise errors.ConfigurationError(f"environment variable PARAMETER_TTL_SECONDS must be >= 0, found {raw!r}")
    return ttl


def cache() -> ParameterCache:
    """The process-wide cache, made on first use with the TTL from PARAMETER_TTL_SECONDS (default 30)."""
    if not _cache:
        _cache.append(ParameterCache(ttl_from_env()))
    return _cache[0]


def reset() -> None:
    """Drop the cache (tests, and the offline server); the next call re-reads PARAMETER_TTL_SECONDS."""
    _cache.clear()
