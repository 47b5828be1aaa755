"""Experiments at serving time: which variant answers a user, and what the experiments table counts per user.

The workflow publishes /<prefix>/<group>/experiments/<campaign> (workflow/experiments.py) with both variants' ARNs and
the challenger's share. A user's variant is a pure function of (experiment name, userId): the first 8 bytes of
sha256("<experiment>\\0<userId>") as a number in [0, 1), below the share -> challenger. The same on every Lambda,
cold start and process (never Python's hash(), which is salted per process).

The table holds one item per (experiment round, user): pk = "<group>#<experiment>#<round>", userId; written once at
the user's first exposure (a conditional put: idempotent), then one counter per event type ("event:<type>") added by
POST /events for users that were exposed.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from serving import clients, errors, parameters

Variant = Literal["champion", "challenger"]
EVENT_PREFIX = "event:"
_SEEN_LIMIT = 100_000  # (pk, user) pairs this sandbox already recorded: no write per repeat request
_seen: set[tuple[str, str]] = set()
_lock = threading.Lock()


# A copy of workflow.naming.experiment_parameter (serving may not import workflow); a test checks they agree.
def experiment_parameter(prefix: str, group: str, campaign_name: str) -> str:
    return f"/{prefix}/{group}/experiments/{campaign_name}"


def bucket(experiment: str, user_id: str) -> float:
    """The user's stable position in [0, 1) for this experiment."""
    digest = hashlib.sha256(f"{experiment}\0{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign(experiment: str, user_id: str, share: float) -> Variant:
    return "challenger" if bucket(experiment, user_id) < share else "champion"


def lookup(prefix: str, group: str, campaign: str) -> dict[str, Any] | None:
    """The experiment running on the campaign (its published document), or None."""
    value = parameters.cache().get(experiment_parameter(prefix, group, campaign))
    return None if value is None else dict(json.loads(value))


def variant_of(
    prefix: str, group: str, campaign: str, user_id: str | None
) -> tuple[dict[str, Any] | None, Variant | None]:
    """(the experiment running on the campaign, the user's variant), or (None, None): none runs, or no user."""
    config = lookup(prefix, group, campaign) if user_id else None
    if config is None or user_id is None:
        return None, None
    return config, assign(config["name"], user_id, float(config["trafficShare"]))


def partition(config: dict[str, Any]) -> str:
    return f"{config['datasetGroup']}#{config['name']}#{config['round']}"


def _table() -> str:
    table = os.environ.get("EXPERIMENTS_TABLE", "")
    if not table:
        raise errors.ConfigurationError("environment variable EXPERIMENTS_TABLE is not set (an experiment is running)")
    return table


def expose(config: dict[str, Any], user_id: str, variant: Variant, recommendation_id: str | None) -> None:
    """Record the user's first exposure (once per user and round; a repeat is a no-op, here or in DynamoDB)."""
    key = (partition(config), user_id)
    if key in _seen:
        return
    item = {
        "pk": {"S": key[0]},
        "userId": {"S": user_id},
        "variant": {"S": variant},
        "exposedAt": {"N": str(int(time.time()))},
    }
    if recommendation_id:
        item["recommendationId"] = {"S": recommendation_id}
    try:
        clients.client("dynamodb").put_item(
            TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(pk)"
        )
    except ClientError as exc:
        if errors.client_error_code(exc) != "ConditionalCheckFailedException":
            raise errors.from_aws(exc, "Amazon DynamoDB") from exc
    except BotoCoreError as exc:
        raise errors.from_aws(exc, "Amazon DynamoDB") from exc
    with _lock:
        if len(_seen) >= _SEEN_LIMIT:
            _seen.clear()
        _seen.add(key)


def count(config: dict[str, Any], user_id: str, event_type: str) -> bool:
    """Add one event of `event_type` to the user's item; False when the user was never exposed (not counted)."""
    try:
        clients.client("dynamodb").update_item(
            TableName=_table(),
            Key={"pk": {"S": partition(config)}, "userId": {"S": user_id}},
            UpdateExpression="ADD #event :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#event": f"{EVENT_PREFIX}{event_type}"},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    except ClientError as exc:
        if errors.client_error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise errors.from_aws(exc, "Amazon DynamoDB") from exc
    except BotoCoreError as exc:
        raise errors.from_aws(exc, "Amazon DynamoDB") from exc
    return True


def reset() -> None:
    """Forget the exposures recorded by this process (tests: a fresh table)."""
    with _lock:
        _seen.clear()
