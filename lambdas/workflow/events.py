"""EventBridge events, one per stage (source "autopersonalize"), for downstream automation; and their metrics."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from workflow import aws, metrics

SOURCE = "autopersonalize"
logger = Logger(child=True)


def emit(detail_type: str, params: dict[str, Any] | None, detail: dict[str, Any]) -> None:
    """Put one event on the stack's bus: detail-type is the stage ("Import Completed", "Gate Decision"...)."""
    group = ((params or {}).get("datasetGroup") or {}).get("name")
    body = {"datasetGroup": group, **detail}
    metrics.record(detail_type, body)  # before the put: a metric needs no permission and must not be lost with it
    entry = {
        "Source": SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps(body, default=str),
        "EventBusName": aws.env("EVENT_BUS_NAME", "default"),
    }
    response = aws.client("events").put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        logger.warning("event not delivered", extra={"detailType": detail_type, "entries": response.get("Entries")})
