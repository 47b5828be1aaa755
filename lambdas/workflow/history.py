"""Which state failed: read back from the execution history (a Catch does not say where the error came from)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from workflow import aws

FAILURES = (
    "TaskFailed",
    "LambdaFunctionFailed",
    "TaskTimedOut",
    "LambdaFunctionTimedOut",
    "LambdaFunctionScheduleFailed",
)


def failing_state(execution_arn: str) -> str | None:
    """The name of the Task state whose failure the run caught last, or None when the history cannot tell."""
    try:
        response = aws.client("stepfunctions").get_execution_history(
            executionArn=execution_arn, reverseOrder=True, maxResults=1000
        )
    except ClientError:
        return None
    events: list[dict[str, Any]] = response.get("events", [])
    by_id = {e["id"]: e for e in events}
    failed = next((e for e in events if e.get("type") in FAILURES), None)
    seen = 0
    while failed is not None and seen < 20:
        if str(failed.get("type", "")).endswith("StateEntered"):
            return str(failed["stateEnteredEventDetails"]["name"])
        failed = by_id.get(failed.get("previousEventId", -1))
        seen += 1
    return None
