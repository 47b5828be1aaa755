"""Batch-served answers: a user's recommendations read from the stack's DynamoDB table (workflow/batch_serving.py).

The SSM parameter /<prefix>/<group>/batch/<name> names the partition of the version served; the Load Batch Output
loop switches it only once a version is fully loaded, so one request reads one version.
"""

from __future__ import annotations

import csv
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
    if query.filter:
        found = _filtered(found, _statements(pk, query, ref), pointer, str(query.user_id), ref)
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
    asked = (("context", query.context), ("metadataColumns", query.metadata_columns))
    used = [name for name, value in asked if value]
    if used:
        raise errors.BadRequestError(
            [(name, f"not applied to {ref}, which is served from a batch computed ahead of time") for name in used]
        )


def _table(ref: str) -> str:
    table = os.environ.get("BATCH_SERVING_TABLE", "")
    if not table:
        raise errors.ConfigurationError(f"environment variable BATCH_SERVING_TABLE is not set ({ref} is batch-served)")
    return table


def _call(method: str, **kwargs: Any) -> dict[str, Any]:
    try:
        return dict(getattr(clients.client("dynamodb"), method)(**kwargs))
    except (ClientError, BotoCoreError) as exc:
        raise errors.from_aws(exc, "Amazon DynamoDB") from exc


def _get(pk: str, user: str, ref: str, attribute: str = "items") -> Any:
    key = {"pk": {"S": pk}, "userId": {"S": user}}
    found = _call("get_item", TableName=_table(ref), Key=key).get("Item")
    return None if found is None else json.loads(found[attribute]["S"])


# Read-time filters (serving.filters of the job): compiled by the Load Batch Output step from the params' filter
# expressions (workflow/batch_serving.served_filters) and stored beside the version (pk "<partition>#filters"), with
# the Items fields they read (pk "<partition>#items", userId = the item id). A version's partitions never change once
# it is served, so its filters are cached per partition.
_compiled: dict[str, dict[str, Any]] = {}


def _statements(pk: str, query: Query, ref: str) -> list[dict[str, Any]]:
    """The requested filter's statements with the request's filterValues bound. Personalize's rule (GetRecommendations
    filterValues, API reference): an INCLUDE needs a value for every placeholder; an EXCLUDE condition without one is
    not used."""
    if pk not in _compiled:
        _compiled[pk] = _get(f"{pk}#filters", "-", ref, "fields") or {}
    name = str(query.filter)
    if name not in _compiled[pk]:
        served = ", ".join(sorted(_compiled[pk])) or "none"
        raise errors.BadRequestError(
            [
                (
                    "filter",
                    f"{name!r} is not applied to {ref}, which is served from a batch; the read-time filters of "
                    f"its job (serving.filters) are: {served}",
                )
            ]
        )
    bound = []
    for statement in _compiled[pk][name]:
        groups = []
        for group in statement["where"]:
            terms = [_bind(term, query.filter_values, statement["action"], ref) for term in group]
            if all(term is not None for term in terms):
                groups.append(terms)
        if groups:
            bound.append({"action": statement["action"], "where": groups})
    return bound


def _bind(term: dict[str, Any], given: Any, action: str, ref: str) -> dict[str, Any] | None:
    values: list[Any] = []
    for value in term["values"]:
        if not isinstance(value, dict):
            values.append(value)
        elif value["param"] in given:
            values += next(csv.reader([given[value["param"]]], skipinitialspace=True))
        elif action == "INCLUDE":
            raise errors.BadRequestError(
                [("filterValues", f"the filter's INCLUDE uses ${value['param']}: give it a value (filterValues)")]
            )
        else:
            return None
    return {**term, "values": values}


def _filtered(
    found: list[dict[str, Any]], statements: list[dict[str, Any]], pointer: dict[str, Any], user: str, ref: str
) -> list[dict[str, Any]]:
    """The user's list with each statement applied in turn: INCLUDE keeps the items that match, EXCLUDE drops them.
    An Items statement reads the items' metadata; an Interactions one (EXCLUDE only, params validation allows no
    other) the user's events kept by POST /events since the batch job started: an item matches when one of its
    events does."""
    datasets = {t["dataset"] for s in statements for g in s["where"] for t in g}
    pk = str(pointer["partition"])
    metadata = _metadata([str(i["itemId"]) for i in found], pk, ref) if "Items" in datasets else {}
    events = _events(pointer, user, ref) if "Interactions" in datasets else {}
    for statement in statements:
        keep = statement["action"] == "INCLUDE"
        if statement["where"][0][0]["dataset"] == "Items":
            found = [i for i in found if _matches(statement["where"], metadata.get(str(i["itemId"]), {})) == keep]
        else:
            hit = {item for item, kept in events.items() if any(_matches(statement["where"], e) for e in kept)}
            found = [i for i in found if (str(i["itemId"]) in hit) == keep]
    return found


def _events(pointer: dict[str, Any], user: str, ref: str) -> dict[str, list[dict[str, str]]]:
    """item id -> the fields of each event of the user on it since the batch job started (POST /events kept them)."""
    since = float(pointer.get("since") or 0)
    by_item: dict[str, list[dict[str, str]]] = {}
    for event in _events_of(str(pointer["events"]), user, ref):
        if float(event["at"]) >= since:
            by_item.setdefault(str(event["itemId"]), []).append({k: str(v) for k, v in event["fields"].items()})
    return by_item


def _events_of(pk: str, user: str, ref: str) -> list[dict[str, Any]]:
    found = _call("get_item", TableName=_table(ref), Key={"pk": {"S": pk}, "userId": {"S": user}}).get("Item")
    return [json.loads(e["S"]) for e in (found or {}).get("events", {}).get("L", [])]


MAX_EVENTS = 200  # kept per user (the newest); older ones predate any batch still served, in practice


def remember(pointer_json: str, user: str, item: str, fields: dict[str, Any], at: float) -> bool:
    """Keep the user's event on a batch-served name for its read-time Interactions filters (POST /events). Events
    older than the served batch are dropped when the list is full."""
    pointer = json.loads(pointer_json)
    if not pointer.get("events"):
        return False  # loaded before events were kept: the next load names the partition
    ref = str(pointer["events"])
    event = {"itemId": item, "at": at, "fields": {k: v for k, v in fields.items() if v is not None}}
    key = {"pk": {"S": ref}, "userId": {"S": user}}
    try:
        clients.client("dynamodb").update_item(
            TableName=_table(ref),
            Key=key,
            UpdateExpression="SET events = list_append(if_not_exists(events, :none), :one)",
            ConditionExpression="attribute_not_exists(events) OR size(events) < :most",
            ExpressionAttributeValues={
                ":none": {"L": []},
                ":one": {"L": [{"S": json.dumps(event)}]},
                ":most": {"N": str(MAX_EVENTS)},
            },
        )
    except ClientError as exc:
        if errors.client_error_code(exc) != "ConditionalCheckFailedException":
            raise errors.from_aws(exc, "Amazon DynamoDB") from exc
        since = float(pointer.get("since") or 0)
        kept = [e for e in _events_of(ref, user, ref) if float(e["at"]) >= since][-(MAX_EVENTS - 1) :]
        rows = {"L": [{"S": json.dumps(e)} for e in [*kept, event]]}
        _call("put_item", TableName=_table(ref), Item={**key, "events": rows})
    except BotoCoreError as exc:
        raise errors.from_aws(exc, "Amazon DynamoDB") from exc
    return True


def _metadata(item_ids: list[str], pk: str, ref: str) -> dict[str, dict[str, str]]:
    """The filters' Items fields of each item, BatchGetItem 100 keys at a time (its limit)."""
    table, found = _table(ref), {}
    for start in range(0, len(item_ids), 100):
        keys = [{"pk": {"S": f"{pk}#items"}, "userId": {"S": i}} for i in dict.fromkeys(item_ids[start : start + 100])]
        while keys:
            answer = _call("batch_get_item", RequestItems={table: {"Keys": keys}})
            for row in answer.get("Responses", {}).get(table, []):
                found[row["userId"]["S"]] = json.loads(row["fields"]["S"])
            keys = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    return found


def _matches(groups: list[list[dict[str, Any]]], fields: dict[str, str]) -> bool:
    """OR of AND groups; a cell matches a value as text, as a number, or by one of its "|"-separated categories
    (the emulator's evaluator, autopersonalize/emulator/filters.py, behaves the same)."""
    return any(all(_term(term, fields.get(term["field"])) for term in group) for group in groups)


def _term(term: dict[str, Any], cell: str | None) -> bool:
    operator = term["operator"]
    if operator in ("IN", "NOT IN", "="):
        hit = cell is not None and bool({_text(v) for v in term["values"]} & {*cell.split("|"), _text(cell)})
        return not hit if operator == "NOT IN" else hit
    try:
        number, limit = float(cell or ""), float(term["values"][0])
    except ValueError:
        return False
    return {"<": number < limit, ">": number > limit, "<=": number <= limit, ">=": number >= limit}[operator]


def _text(value: Any) -> str:
    """A value as the text it compares by: 3, 3.0 and "3.0" all as "3"."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(number)
