"""What a dataLocation holds: its fingerprint (the "same data" of a resume), row counts and minimum-data checks."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from typing import Any

from workflow import aws
from workflow.errors import InsufficientDataError

COUNT_LIMIT_BYTES = 64 * 1024 * 1024  # count rows only when the data is this small (big data: Personalize checks)
MIN_INTERACTIONS = 1000
MIN_USERS = 25


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def objects(location: str) -> list[dict[str, Any]]:
    """The CSV objects a dataLocation names: one file, or every non-empty object under a prefix ending in /."""
    bucket, key = split_s3(location)
    s3 = aws.client("s3")
    found: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        for item in page.get("Contents", []):
            if item["Size"] > 0 and (location.endswith("/") or item["Key"] == key):
                found.append(
                    {"bucket": bucket, "key": item["Key"], "etag": item["ETag"].strip('"'), "size": item["Size"]}
                )
    if not found:
        raise InsufficientDataError(
            f"{location}: no data found there; run the export (Glue workflow) first, or fix datasets[].dataLocation"
        )
    return sorted(found, key=lambda o: o["key"])


def fingerprint(location: str, import_mode: str, files: list[dict[str, Any]]) -> str:
    """Same location, mode and object ETags -> same fingerprint: the data an import job was made from."""
    text = "\n".join([location, import_mode, *(f"{o['key']} {o['etag']} {o['size']}" for o in files)])
    return hashlib.sha256(text.encode()).hexdigest()


def _rows(files: list[dict[str, Any]]) -> tuple[int, Counter[str] | None]:
    """Data rows (headers excluded) and, when a USER_ID column exists, interactions per user."""
    s3 = aws.client("s3")
    rows, users = 0, Counter[str]()
    has_users = True
    for o in files:
        body = s3.get_object(Bucket=o["bucket"], Key=o["key"])["Body"].read().decode("utf-8", errors="replace")
        reader = csv.reader(io.StringIO(body))
        header = next(reader, [])
        column = header.index("USER_ID") if "USER_ID" in header else None
        has_users = has_users and column is not None
        for line in reader:
            if line:
                rows += 1
                if column is not None and column < len(line):
                    users[line[column]] += 1
    return rows, (users if has_users else None)


def count_and_check(dataset_type: str, location: str, files: list[dict[str, Any]]) -> int | None:
    """The dataset's row count (None when too big to count here); Interactions must meet Personalize's minimums."""
    if sum(o["size"] for o in files) > COUNT_LIMIT_BYTES:
        return None
    rows, users = _rows(files)
    if dataset_type != "Interactions":
        return rows
    repeat_users = sum(1 for n in (users or Counter()).values() if n >= 2) if users is not None else None
    problems = []
    if rows < MIN_INTERACTIONS:
        problems.append(f"{rows} interaction rows (Personalize needs at least {MIN_INTERACTIONS})")
    if repeat_users is not None and repeat_users < MIN_USERS:
        problems.append(f"{repeat_users} users with 2 or more interactions (Personalize needs at least {MIN_USERS})")
    if problems:
        raise InsufficientDataError(
            f"{location}: too little data to train: {'; '.join(problems)}. Export a longer history (or more users) "
            "and drop the params again; nothing was imported"
        )
    return rows
