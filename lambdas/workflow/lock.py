"""One run per dataset group: a DynamoDB lock with a TTL, taken after validation and always released by the ASL."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from botocore.exceptions import ClientError

from workflow import aws
from workflow.errors import LockBusyError, WaitTimeoutError
from workflow.polling import Poll, PollingLimits, next_poll

TTL_SECONDS = 7 * 24 * 3600  # a run that died without releasing (e.g. stopped by hand) frees its lock after this


def _iso(epoch: Any) -> str:
    return dt.datetime.fromtimestamp(float(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if epoch else "?"


def acquire(dataset_group: str, owner: str, poll: Poll | None, polling: dict[str, Any]) -> dict[str, Any]:
    """Take the lock (or keep it, if this run holds it); when busy, return the wait before the next try."""
    table, now = aws.env("LOCK_TABLE"), int(time.time())
    item = {
        "datasetGroup": {"S": dataset_group},
        "owner": {"S": owner},
        "acquiredAt": {"N": str(now)},
        "expiresAt": {"N": str(now + TTL_SECONDS)},
    }
    try:
        aws.client("dynamodb").put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_not_exists(datasetGroup) OR expiresAt < :now OR #owner = :me",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":now": {"N": str(now)}, ":me": {"S": owner}},
        )
        return {"acquired": True, "poll": (poll or Poll()).model_dump(by_alias=True)}
    except ClientError as exc:
        if aws.error_code(exc) != "ConditionalCheckFailedException":
            raise
    holder = (
        aws.client("dynamodb").get_item(TableName=table, Key={"datasetGroup": {"S": dataset_group}}).get("Item", {})
    )
    held_by = holder.get("owner", {}).get("S", "another run")
    since = _iso(holder.get("acquiredAt", {}).get("N"))
    try:
        waited = next_poll(poll, PollingLimits.model_validate(polling), aws.wait_scale(), "the lock")
    except WaitTimeoutError:
        raise LockBusyError(
            f"dataset group {dataset_group} is busy: {held_by} has held its lock since {since}, and this run gave up "
            f"after {(poll or Poll()).waited} s (params polling.maxWaitSeconds); drop the params again once that run "
            "has finished (or stop it; its lock expires 7 days after it was taken)"
        ) from None
    waited.wait_seconds = max(1, waited.wait_seconds)  # the run we wait for is real, even offline
    return {"acquired": False, "heldBy": held_by, "since": since, "poll": waited.model_dump(by_alias=True)}
