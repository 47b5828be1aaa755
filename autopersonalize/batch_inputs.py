"""The users of a params file's batch-served jobs in an offline run: every user of the interactions the run exports.

On AWS a served job reads its jobInput (the users file the params name). Offline the stack's bucket holds only what
the run puts there, so the run writes that file itself, one {"userId": ...} line per distinct user of the
interactions source (Personalize's USER_PERSONALIZATION batch input format, developer guide "Preparing input data for
batch recommendations"), at the jobInput's key in the offline stack's bucket.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from autopersonalize.errors import PipelineError

if TYPE_CHECKING:
    from autopersonalize.pipeline import Source


def served(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The batch inference jobs of `template` whose output is served (batchInferenceJobs[].serving)."""
    return [j for j in template.get("batchInferenceJobs") or [] if j.get("serving") is not None]


def on_bucket(template: dict[str, Any], bucket: str) -> dict[str, Any]:
    """The template with every served job's jobInput and jobOutput in `bucket` (same keys)."""
    moved = copy.deepcopy(template)
    for job in served(moved):
        for field in ("jobInput", "jobOutput"):
            job[field] = f"s3://{bucket}/{str(job[field]).removeprefix('s3://').partition('/')[2]}"
    return moved


def job_inputs(template: dict[str, Any], sources: dict[str, Source]) -> dict[str, bytes]:
    """S3 key -> JSON lines of every user of the interactions, for each served job of `template`."""
    jobs = served(template)
    if not jobs:
        return {}
    body = "".join(json.dumps({"userId": user}) + "\n" for user in users_of(sources["interactions"])).encode()
    return {str(job["jobInput"]).removeprefix("s3://").partition("/")[2]: body for job in jobs}


def users_of(source: Source) -> list[str]:
    """The distinct user ids of an interactions source, sorted: the column its mapping names for USER_ID."""
    pairs = dict(pair.split("=", 1) for pair in source.mapping.split(",") if "=" in pair)
    column = pairs.get("USER_ID", "USER_ID")
    if source.files is None:
        frame = source.frame if source.frame is not None else pd.DataFrame({column: []})
        return sorted({str(u) for u in frame[column].dropna()})
    found: set[str] = set()
    for path in source.files.files:
        found |= {str(u) for u in _column(path, source, column).dropna()}
    return sorted(found)


def _column(path: Any, source: Source, column: str) -> pd.Series:
    files = source.files
    assert files is not None
    if files.source_type == "s3_parquet":
        return pd.read_parquet(path, columns=[column])[column]
    if files.source_type == "s3_jsonl" and not files.explode:
        return pd.read_json(path, lines=True, dtype=False, encoding=files.encoding)[column]
    if files.source_type == "s3_csv":
        return pd.read_csv(path, usecols=[column], dtype=str, sep=files.delimiter or ",", encoding=files.encoding)[
            column
        ]
    raise PipelineError(
        f"--interactions {files.given}: the users of a batch-served job are read from the interactions, which "
        "offline cannot be done for JSON lines with --explode; convert the file to CSV, or leave serving out"
    )
