"""The outcomes a caller sees as errors: one exception per HTTP status, and the mapping from AWS errors to them."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

# Error codes AWS uses for "slow down": Personalize runtime, SSM and the generic ones botocore may surface.
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "LimitExceededException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
    }
)
RETRY_AFTER_SECONDS = 1


class ServingError(Exception):
    """Base: an error answer with an HTTP status and a stable `error` code; never carries a stack trace out."""

    status = 500
    code = "InternalError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "requestId": request_id}

    def headers(self) -> dict[str, str]:
        return {}


class BadRequestError(ServingError):
    """The request is invalid; lists every problem, each starting with the field it is about."""

    status = 400
    code = "BadRequest"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {text}" for field, text in problems))

    def body(self, request_id: str) -> dict[str, Any]:
        return {**super().body(request_id), "fields": sorted({field for field, _ in self.problems})}


class NotFoundError(ServingError):
    """The campaign, filter or route the caller named does not exist."""

    status = 404
    code = "NotFound"


class ThrottledError(ServingError):
    """Personalize (or SSM) asked us to slow down: the caller should retry after `Retry-After` seconds."""

    status = 429
    code = "Throttled"

    def body(self, request_id: str) -> dict[str, Any]:
        return {**super().body(request_id), "retryAfterSeconds": RETRY_AFTER_SECONDS}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


class UpstreamError(ServingError):
    """An AWS service failed in a way the caller cannot fix; the request id finds the details in our logs."""

    status = 502
    code = "UpstreamError"


class ConfigurationError(ServingError):
    """The function is deployed without a setting it needs (an environment variable)."""

    status = 500
    code = "ConfigurationError"


def client_error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def from_aws(exc: ClientError | BotoCoreError, service: str) -> ServingError:
    """Translate an AWS failure that has no more specific meaning: throttling -> 429, anything else -> 502."""
    if isinstance(exc, ClientError) and client_error_code(exc) in THROTTLING_CODES:
        return ThrottledError(f"{service} is throttling requests; retry after {RETRY_AFTER_SECONDS} second(s)")
    what = client_error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    return UpstreamError(
        f"{service} failed ({what}); retry later, and if it persists give the requestId to the service's operators"
    )
