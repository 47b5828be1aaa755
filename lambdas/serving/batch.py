"""Batch-served answers: a user's recommendations read from the stack's DynamoDB table (workflow/batch_serving.py).

The SSM parameter /<prefix>/<group>/batch/<name> names the partition of the version served; the Load Batch Output
loop switches it only once a version is fully loaded, so one request reads one version.
"""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from serving import clients, errors
from serving.inputs import Query


# A copy of workflow.naming.batch_serving_parameter (serving may not import workflow); a test checks they agree.
def batch_parameter(prefix: str, group: str, name: str) -> str:
    return f"/{prefix}/{group}/batch/{name}"


def answer(query: Query, ref: str, pointer_json: str) -> dict[str, Any]:
    """The campaign response shape plus "source": "batch" and the version the batch came from."""
    pointer = json.loads(pointer_json)
    _refuse(query, ref)
    pk = str(pointer["partition"])
    found = _get(pk, str(query.user_id), ref)
    if found is None:
        if pointer.get("fallback") == "error":
            raise errors.NotFoundError(
                f"user {query.user_id!r} is not in the batch {ref} serves (its fallback is 'error'); "
                "add the user to the batch job's input, or set serving.fallback to 'popularity'"
            )
        found = _get(f"{pk}#popular", "-", ref) or []
    limit = query.num_results or 25
    return {
        "campaign": ref,
        "recommendationId": None,
        "items": found[:limit],
        "source": "batch",
        "solutionVersionArn": pointer.get("solutionVersionArn"),
    }


def _refuse(query: Query, ref: str) -> None:
    if query.action != "recommendations":
        raise errors.BadRequestError(
            [("action", f"{ref} is served from a batch of recommendations per user: only /recommendations answers")]
        )
    asked = (("filter", query.filter), ("context", query.context), ("metadataColumns", query.metadata_columns))
    used = [name for name, value in asked if value]
    if used:
        raise errors.BadRequestError(
            [(name, f"not applied to {ref}, which is served from a batch computed ahead of time") for name in used]
        )


def _get(pk: str, user: str, ref: str) -> list[dict[str, Any]] | None:
    table = os.environ.get("BATCH_SERVING_TABLE", "")
    if not table:
        raise errors.ConfigurationError(f"environment variable BATCH_SERVING_TABLE is not set ({ref} is batch-served)")
    try:
        item = clients.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": pk}, "userId": {"S": user}})
    except ClientError as exc:
        raise errors.from_aws(exc, "Amazon DynamoDB") from exc
    except BotoCoreError as exc:
        raise errors.from_aws(exc, "Amazon DynamoDB") from exc
    found = item.get("Item")
    return None if found is None else list(json.loads(found["items"]["S"]))
