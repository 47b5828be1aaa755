"""Batch serving: load a batch inference job's output into DynamoDB a bounded chunk per call, then switch to it.

The output is Personalize's JSON lines, one {"input": {"userId"}, "output": {"recommendedItems", "scores"}, "error"}
per user (developer guide, batch-inference-job-output-examples). Items are keyed (pk = "<job>#<version id>", userId):
a new version is written beside the old one, the SSM parameter naming the served version is switched once all of it
is in, and only then are the old version's items deleted, so a reader sees one version or the other, never a mix.
Each call reads at most CHUNK_BYTES of one output object and returns a cursor; the Load Batch Output loop calls it
again until done, so tens of millions of users take many short calls, never one long one.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import time
from collections import Counter
from typing import Any

from workflow import aws, naming
from workflow._filter_expr import Statement
from workflow._filter_expr import parse as parse_filter

CHUNK_BYTES = 8 * 1024 * 1024
POPULAR_KEPT = 1000  # item counts carried between chunks (the fallback needs at most 500, the most a job returns)
FALLBACK_USER = "-"
GRACE_SECONDS = 60  # > the serving function's pointer cache (PARAMETER_TTL_SECONDS = 30 in template.yaml)
ITEMS_PER_CALL = 20_000  # item metadata rows per call: 800 BatchWriteItem requests, well inside a call's budget


def partition(job_name: str, version_arn: str) -> str:
    return f"{job_name}#{version_arn.rsplit('/', 1)[-1]}"


def popular_partition(pk: str) -> str:
    """Where the fallback (the batch's most recommended items) lives: a key no user's partition can have."""
    return f"{pk}#popular"


def items_partition(pk: str) -> str:
    """Where the item metadata read-time filters need lives (userId = the item id), beside the version's lists."""
    return f"{pk}#items"


def filters_partition(pk: str) -> str:
    """Where the version's read-time filters live, compiled (one item, userId = "-")."""
    return f"{pk}#filters"


SIDE_PARTITIONS = (popular_partition, items_partition, filters_partition)


def events_partition(group: str, job_name: str) -> str:
    """Where POST /events keeps each user's events on a served job (userId = the user), across its versions: the
    read-time filters on Interactions exclude the items of those after the served batch's start."""
    return f"{group}/{job_name}#events"


def load(params: dict[str, Any], job: dict[str, Any], version_arn: str, cursor: dict[str, Any]) -> dict[str, Any]:
    """One step of loading (the lists, then the item metadata the served filters read), switching and cleaning; the
    returned cursor has "done": true when all of it is over."""
    phase = cursor.get("phase", "load")
    if phase == "load":
        return _load_chunk(params, job, version_arn, cursor)
    if phase == "items":
        return _load_items(params, job, version_arn, cursor)
    return _clean(cursor)


def _outputs(job: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(bucket, key, size) of the job's output: `<input file name>.out` under its output prefix (what Personalize
    writes for an input file; another `.out` there is from an earlier input, not this job's)."""
    bucket, _, prefix = str(job["jobOutput"]).removeprefix("s3://").partition("/")
    key = f"{prefix}{str(job['jobInput']).rsplit('/', 1)[-1]}.out"
    found = aws.client("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    exact = [(bucket, o["Key"], int(o["Size"])) for o in found if o["Key"] == key]
    if not exact:
        raise ValueError(f"batch inference job {job['name']} wrote no s3://{bucket}/{key} (its input's name + .out)")
    return exact


def _read(bucket: str, key: str, offset: int, size: int) -> tuple[list[bytes], int]:
    """The complete lines from `offset`, at most CHUNK_BYTES of them, and the offset after the last one."""
    chunk = int(os.environ.get("LOAD_CHUNK_BYTES", CHUNK_BYTES))
    end = min(offset + chunk, size)
    body = aws.client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes={offset}-{end - 1}")["Body"].read()
    if end < size:
        cut = body.rfind(b"\n")
        if cut < 0:
            raise ValueError(f"s3://{bucket}/{key}: a line at byte {offset} is longer than {chunk} bytes")
        body = body[: cut + 1]
    return [line for line in body.split(b"\n") if line.strip()], offset + len(body)


def _load_chunk(
    params: dict[str, Any], job: dict[str, Any], version_arn: str, cursor: dict[str, Any]
) -> dict[str, Any]:
    outputs, index, offset = _outputs(job), int(cursor.get("index", 0)), int(cursor.get("offset", 0))
    pk = partition(job["name"], version_arn)
    counts: Counter[str] = Counter(cursor.get("popular", {}))
    loaded, failed = int(cursor.get("loaded", 0)), int(cursor.get("failed", 0))
    bucket, key, size = outputs[index]
    lines, offset = _read(bucket, key, offset, size) if size else ([], 0)
    items = []
    for line in lines:
        record = json.loads(line)
        output = record.get("output") or {}
        if record.get("error") or "recommendedItems" not in output:
            failed += 1
            continue
        ranked = list(zip(output["recommendedItems"], output.get("scores", []), strict=False))
        counts.update(item for item, _ in ranked)
        items.append(_row(pk, str(record["input"]["userId"]), ranked))
    _write(items)
    popular = dict(counts.most_common(POPULAR_KEPT))
    state = {"phase": "load", "index": index, "offset": offset, "loaded": loaded + len(items), "failed": failed}
    state["since"] = cursor.get("since")  # the batch job's start: read-time filters count the events after it
    if offset < size:
        return {**state, "popular": popular, "done": False}
    if index + 1 < len(outputs):
        return {**state, "index": index + 1, "offset": 0, "popular": popular, "done": False}
    filters = served_filters(params, job)
    if _item_fields(filters):
        return {**state, "phase": "items", "file": 0, "row": 0, "items": 0, "popular": popular, "done": False}
    return _finish(params, job, version_arn, filters, popular, state)


def served_filters(params: dict[str, Any], job: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The job's read-time filters, compiled: {name: [statement]}, each statement {"action", "where": OR of AND
    groups of {"field", "operator", "values"}} on Items fields (params validation let no other kind through)."""
    wanted = (job.get("serving") or {}).get("filters") or []
    expressions = {f["name"]: f["filterExpression"] for f in params.get("filters") or []}
    return {name: [_compiled(statement) for statement in parse_filter(expressions[name])] for name in wanted}


def _compiled(statement: Statement) -> dict[str, Any]:
    where = [
        [{"dataset": t.dataset, "field": t.field, "operator": t.operator, "values": t.values} for t in g]
        for g in statement.terms
    ]
    return {"action": statement.action, "where": where}


def _items_files(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(bucket, key) of the Items dataset's CSV files: its dataLocation, a file or every object under a prefix."""
    location = next(d["dataLocation"] for d in params["datasets"] if d["datasetType"] == "Items")
    bucket, _, key = str(location).removeprefix("s3://").partition("/")
    if not key.endswith("/"):
        return [(bucket, key)]
    pages = aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
    return [(bucket, o["Key"]) for page in pages for o in page.get("Contents", []) if not o["Key"].endswith("/")]


def _load_items(
    params: dict[str, Any], job: dict[str, Any], version_arn: str, cursor: dict[str, Any]
) -> dict[str, Any]:
    """Write up to ITEMS_PER_CALL items' metadata (only the fields the filters read) from one Items file, starting
    at the cursor's row; after the last file, the compiled filters, then the switch."""
    pk = partition(job["name"], version_arn)
    filters = served_filters(params, job)
    fields = _item_fields(filters)
    files, index, skip = _items_files(params), int(cursor["file"]), int(cursor["row"])
    rows = []
    if index < len(files):
        bucket, key = files[index]
        body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
        reader = csv.DictReader(io.TextIOWrapper(body, encoding="utf-8", newline=""))
        if "ITEM_ID" not in (reader.fieldnames or []):
            raise ValueError(f"s3://{bucket}/{key}: the Items file has no ITEM_ID column in its header line")
        for record in itertools.islice(reader, skip, skip + ITEMS_PER_CALL):
            values = {f: record[f] for f in fields if record.get(f) not in (None, "")}
            rows.append({"pk": {"S": items_partition(pk)}, "userId": {"S": record["ITEM_ID"]}, **_fields(values)})
        _write(rows)
    state = {**cursor, "items": int(cursor["items"]) + len(rows)}
    if index < len(files) and len(rows) == ITEMS_PER_CALL:
        return {**state, "row": skip + len(rows)}
    if index + 1 < len(files):
        return {**state, "file": index + 1, "row": 0}
    state = {k: v for k, v in state.items() if k not in ("file", "row", "popular")}
    return _finish(params, job, version_arn, filters, cursor["popular"], state)


def _item_fields(filters: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The Items fields the filters read (loaded beside the version)."""
    terms = (t for f in filters.values() for s in f for g in s["where"] for t in g)
    return sorted({t["field"] for t in terms if t["dataset"] == "Items"})


def _finish(
    params: dict[str, Any],
    job: dict[str, Any],
    version_arn: str,
    filters: dict[str, list[dict[str, Any]]],
    popular: dict[str, int],
    state: dict[str, Any],
) -> dict[str, Any]:
    """The compiled read-time filters (when there are any) beside the version, then the switch."""
    pk = partition(job["name"], version_arn)
    if filters:
        _write([{"pk": {"S": filters_partition(pk)}, "userId": {"S": FALLBACK_USER}, **_fields(filters)}])
    return _switch(params, job, version_arn, pk, popular, state)


def _fields(value: dict[str, Any]) -> dict[str, Any]:
    return {"fields": {"S": json.dumps(value)}}


def _row(pk: str, user: str, ranked: list[tuple[str, float]]) -> dict[str, Any]:
    recommendations = [{"itemId": str(item), "score": float(score)} for item, score in ranked]
    return {"pk": {"S": pk}, "userId": {"S": user}, "items": {"S": json.dumps(recommendations)}}


def _write(rows: list[dict[str, Any]]) -> None:
    """BatchWriteItem, 25 puts per request (its limit), sending unprocessed items again."""
    table, dynamodb = aws.env("BATCH_SERVING_TABLE"), aws.client("dynamodb")
    for start in range(0, len(rows), 25):
        requests: list[dict[str, Any]] = [{"PutRequest": {"Item": row}} for row in rows[start : start + 25]]
        while requests:
            answer = dynamodb.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])


def _switch(
    params: dict[str, Any],
    job: dict[str, Any],
    version_arn: str,
    pk: str,
    popular: dict[str, int],
    state: dict[str, Any],
) -> dict[str, Any]:
    """Write the fallback, point the SSM parameter at the new version, and name the old one for cleaning."""
    ranked = sorted(popular.items(), key=lambda pair: (-pair[1], pair[0]))[: int(job.get("numResults") or 25)]
    users = max(state["loaded"], 1)
    _write([_row(popular_partition(pk), FALLBACK_USER, [(item, count / users) for item, count in ranked])])
    name = naming.batch_serving_parameter(aws.env("PREFIX"), params["datasetGroup"]["name"], job["name"])
    ssm = aws.client("ssm")
    try:
        previous = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"]).get("partition")
    except ssm.exceptions.ParameterNotFound:
        previous = None
    pointer = {
        "partition": pk,
        "solutionVersionArn": version_arn,
        "fallback": (job.get("serving") or {}).get("fallback", "popularity"),
        "users": state["loaded"],
        "since": state.get("since"),
        "events": events_partition(params["datasetGroup"]["name"], job["name"]),
    }
    ssm.put_parameter(Name=name, Value=json.dumps(pointer), Type="String", Overwrite=True)
    stale = previous if previous not in (None, pk) else None
    return {**state, "phase": "clean", "stale": stale, "switchedAt": time.time(), "done": stale is None}


def _clean(cursor: dict[str, Any]) -> dict[str, Any]:
    """Delete a page of the old version's items (then its fallback); done when none is left. Not before GRACE_SECONDS
    after the switch: a serving function may hold the old pointer in its cache that long (PARAMETER_TTL_SECONDS, 30)."""
    waited = float(cursor.get("switchedAt", 0)) + GRACE_SECONDS * aws.wait_scale() - time.time()
    if waited > 0:
        time.sleep(waited)
    cursor = {**cursor, "switchedAt": 0}  # the grace is over for the pages after this one
    stale = str(cursor["stale"])
    side = int(cursor.get("side", 0))  # 0: the users' lists, then each of SIDE_PARTITIONS
    if delete_page(stale if side == 0 else SIDE_PARTITIONS[side - 1](stale)):
        return {**cursor, "done": False}
    if side < len(SIDE_PARTITIONS):
        return {**cursor, "side": side + 1, "done": False}
    return {**cursor, "stale": None, "side": 0, "done": True}


def delete_page(pk: str, table_variable: str = "BATCH_SERVING_TABLE") -> bool:
    """Delete up to 1,000 items of partition `pk` (of the table the environment variable names); False when there
    were none left."""
    table, dynamodb = aws.env(table_variable), aws.client("dynamodb")
    query: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ProjectionExpression": "pk, userId",
        "Limit": 1000,
    }
    keys = dynamodb.query(**query).get("Items", [])
    for start in range(0, len(keys), 25):
        requests: list[dict[str, Any]] = [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]
        while requests:
            answer = dynamodb.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])
    return bool(keys)


def delete_served(pointer: str, budget_seconds: float) -> bool:
    """Teardown: delete the items a batch pointer (its SSM value) names, for at most `budget_seconds`; True when
    all are gone (then the pointer itself may go)."""
    served = json.loads(pointer)
    pk = str(served["partition"])
    started = time.monotonic()
    events = [str(served["events"])] if served.get("events") else []
    for partition_key in (pk, *(side(pk) for side in SIDE_PARTITIONS), *events):
        while delete_page(partition_key):
            if time.monotonic() - started > budget_seconds:
                return False
    return True
