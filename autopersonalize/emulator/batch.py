"""Batch inference jobs: JSON Lines from moto S3 in, `<input name>.out` JSON Lines to the output prefix."""

from __future__ import annotations

import json
import re
from typing import Any

from moto.s3.models import s3_backends

from autopersonalize.emulator import auth
from autopersonalize.emulator.data import S3Access, object_body, require_s3
from autopersonalize.emulator.lifecycle import WorkFailed
from autopersonalize.emulator.model import PersonalizeError, invalid
from autopersonalize.emulator.solutions import Solution, SolutionVersion
from autopersonalize.emulator.store import Resource, Store


def split_path(path: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// path; WorkFailed when it is not one."""
    match = re.fullmatch(r"s3://([^/]+)/?(.*)", path)
    if not match:
        raise WorkFailed(f"Invalid S3 path {path}: expected s3://bucket/key.")
    return match.group(1), match.group(2)


def inputs(store: Store, path: str, access: S3Access) -> list[tuple[str, bytes]]:
    """(key, body) of the input file, or of every file under the prefix (Personalize reads "all files matching that
    prefix"), read as the job's role may."""
    bucket_name, key = split_path(path)
    s3 = s3_backends[store.account]["aws"]
    bucket = s3.buckets.get(bucket_name)
    if bucket is None:
        raise WorkFailed(f"Input data not found at {path}: bucket {bucket_name} does not exist.")
    require_s3(access, "s3:ListBucket", bucket)
    names = sorted(str(k) for k in bucket.keys)
    chosen = [key] if key in names else [k for k in names if k.startswith(key) and not k.endswith("/")]
    if not chosen:
        raise WorkFailed(f"Input data not found at {path}.")
    for name in chosen:
        require_s3(access, "s3:GetObject", bucket, name)
    return [(k, object_body(store.account, bucket_name, k)) for k in chosen]


def _answer(store: Store, version: SolutionVersion, kind: str, line: dict[str, Any], job: Resource) -> dict[str, Any]:
    from autopersonalize.emulator.runtime import allowed_mask, exploration_of, extra_history, recommend

    request = {**line, "numResults": job.params.get("numResults", 25), "filterArn": job.params.get("filterArn")}
    if kind == "PERSONALIZED_RANKING":
        missing = [key for key in ("userId", "itemList") if key not in line]
        if missing:
            raise invalid(f"{' and '.join(missing)}: required in every input line of a PERSONALIZED_RANKING job.")
        ranked = version.model.rank(
            line["userId"], list(line["itemList"]), extra_history=extra_history(store, version, line["userId"])
        )
        allowed = allowed_mask(store, version, request["filterArn"], line.get("filterValues", {}), line["userId"])
        if allowed is not None:
            keep = allowed([i for i, _ in ranked])
            ranked = [pair for pair, ok in zip(ranked, keep, strict=True) if ok]
        pairs = list(ranked)
    else:
        config = job.params.get("batchInferenceJobConfig")
        pairs = recommend(store, version, kind, request, exploration_of(store, version, config))
    return {"recommendedItems": [str(i) for i, _ in pairs], "scores": [round(float(s), 7) for _, s in pairs]}


def run(store: Store, job: Resource, version: SolutionVersion) -> None:
    """Answer every input line; a bad line gets an `error` in its output line, as Personalize does."""
    kind = store.get(Solution, version.params["solutionArn"]).recipe_type
    output = require_output_bucket(store, job)
    access = auth.job_access(store.account, job.arn, job.params)
    for key, body in inputs(store, job.params["jobInput"]["s3DataSource"]["path"], access):
        lines = []
        for line in json_lines(key, body):
            try:
                with store.lock:
                    answer, error = _answer(store, version, kind, line, job), None
            except PersonalizeError as exc:
                answer, error = None, exc.message
            lines.append(json.dumps({"input": line, "output": answer, "error": error}))
        write_output(store, access, output, key, lines)


def require_output_bucket(store: Store, job: Resource) -> str:
    """The job's output path; WorkFailed when its bucket does not exist."""
    output = str(job.params["jobOutput"]["s3DataDestination"]["path"])
    bucket = split_path(output)[0]
    if bucket not in s3_backends[store.account]["aws"].buckets:
        raise WorkFailed(f"Output bucket {bucket} does not exist.")
    return output


def json_lines(key: str, body: bytes) -> list[Any]:
    """The input file's JSON values, one per non-empty line; WorkFailed naming the first line that is not JSON."""
    values = []
    for number, text in enumerate(body.decode("utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            values.append(json.loads(text))
        except json.JSONDecodeError as exc:
            raise WorkFailed(f"s3://{key}: line {number} is not valid JSON ({exc}).") from None
    return values


def write_output(store: Store, access: S3Access, output: str, input_key: str, lines: list[str]) -> None:
    """`<input file name>.out` under the output prefix, one JSON line per input line, written as the job's role."""
    out_bucket, out_prefix = split_path(output)
    s3 = s3_backends[store.account]["aws"]
    name = input_key.rsplit("/", 1)[-1] + ".out"
    target = f"{out_prefix.rstrip('/')}/{name}" if out_prefix else name
    require_s3(access, "s3:PutObject", s3.buckets[out_bucket], target)
    s3.put_object(out_bucket, target, ("\n".join(lines) + "\n").encode())
