"""Batch segment jobs: JSON Lines of items (Item-Affinity) or item attributes (Item-Attribute-Affinity) in, users out.

Evidence (docs/emulator.md, "What it implements"):
- CreateBatchSegmentJob, DescribeBatchSegmentJob, ListBatchSegmentJobs: the botocore model's shapes (jobName,
  solutionVersionArn, filterArn, numResults, jobInput.s3DataSource, jobOutput.s3DataDestination, roleArn, tags), the
  usual create chain with failureReason (personalize-facts e.1), ARN `batch-segment-job/<jobName>`.
- Only USER_SEGMENTATION versions ("If you used a USER_SEGMENTATION recipe, you can create batch segment jobs",
  developer guide, creating-batch-seg-job); numResults defaults to 25 users ("The default is 25") and "The maximum
  number of users per segment is 5 million" (botocore model, CreateBatchSegmentJob.numResults).
- Input: `{"itemId": ...}` per line, at most 500 items (Item-Affinity recipe page); `{"itemAttributes": ...}` per
  line, at most 10 queries (Item-Attribute-Affinity recipe page). A prefix reads "all files matching that prefix".
- Output: `<input name>.out` ("The output file's name will be of the format input-name.out"), one JSON line per input
  line: `{"input": ..., "output": {"usersList": [...]}, "error": null}`. The developer guide's example prints the list
  as `recommendedUsers`, but AWS's Retail Demo Store workshop, run against the service, reads
  `segment['output']['usersList']` and describes "a usersList array", and a re:Post question quotes a real output line
  `{"input": {"itemAttributes": ...}, "output": {"usersList": ...`; we follow the service's output.
"""

from __future__ import annotations

import json
from typing import Any

from autopersonalize.emulator import auth
from autopersonalize.emulator.batch import inputs, json_lines, require_output_bucket, split_path, write_output
from autopersonalize.emulator.campaigns import Filter
from autopersonalize.emulator.datasets import require_active
from autopersonalize.emulator.lifecycle import WorkFailed, run_work
from autopersonalize.emulator.model import PersonalizeError, invalid
from autopersonalize.emulator.solutions import Solution, SolutionVersion
from autopersonalize.emulator.store import Resource, Store, describe, operation, paginate

DEFAULT_USERS, MAX_USERS = 25, 5_000_000
LIMITS = {
    "aws-item-affinity": ("itemId", 500, "items"),
    "aws-item-attribute-affinity": ("itemAttributes", 10, "queries"),
}


class BatchSegmentJob(Resource):
    kind, arn_key = "batch-segment-job", "batchSegmentJobArn"

    def view(self) -> dict[str, Any]:
        return {"numResults": DEFAULT_USERS, **super().view(), "jobName": self.name}


@operation("CreateBatchSegmentJob")
def create_batch_segment_job(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    version = store.get(SolutionVersion, p["solutionVersionArn"])
    require_active(version, "Solution version")
    solution = store.get(Solution, version.params["solutionArn"])
    if solution.recipe_type != "USER_SEGMENTATION":
        raise invalid(
            f"solutionVersionArn: {version.arn} was trained with {solution.recipe} ({solution.recipe_type}); batch "
            "segment jobs need a USER_SEGMENTATION recipe (aws-item-affinity, aws-item-attribute-affinity). Use a "
            "batch inference job for item recommendations."
        )
    if p.get("numResults") is not None and p["numResults"] > MAX_USERS:
        raise invalid(f"numResults: {p['numResults']} users per segment; the maximum is {MAX_USERS}.")
    if p.get("filterArn"):
        require_active(store.get(Filter, p["filterArn"]), "Filter")
        raise PersonalizeError(
            "InvalidAction",
            "The offline Personalize emulator does not filter user segments (UserID filters are not emulated); "
            "leave filterArn out offline.",
        )
    job = BatchSegmentJob(store, store.arn(f"batch-segment-job/{p['jobName']}"), p["jobName"], p)
    store.add(job, p.get("tags"))
    run_work(job.lifecycle, lambda: run(store, job, version, solution.recipe), store.lock)
    return {"batchSegmentJobArn": job.arn}


@operation("DescribeBatchSegmentJob")
def describe_batch_segment_job(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"batchSegmentJob": describe(store, BatchSegmentJob, p["batchSegmentJobArn"]).view()}


@operation("ListBatchSegmentJobs")
def list_batch_segment_jobs(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    version = p.get("solutionVersionArn")
    rows = (j.view() for j in store.all(BatchSegmentJob) if version in (None, j.params["solutionVersionArn"]))
    return paginate(rows, p, "batchSegmentJobs")


def run(store: Store, job: Resource, version: SolutionVersion, recipe: str) -> None:
    """A segment per input line; a line the model cannot answer gets its `error`, a file over the recipe's limit
    fails the job."""
    output = require_output_bucket(store, job)
    access = auth.job_access(store.account, job.arn, job.params)
    key_name, limit, what = LIMITS[recipe]
    n = int(job.params.get("numResults") or DEFAULT_USERS)
    path = str(job.params["jobInput"]["s3DataSource"]["path"])
    for key, body in inputs(store, path, access):
        values = json_lines(key, body)
        if len(values) > limit:
            raise WorkFailed(
                f"s3://{split_path(path)[0]}/{key}: {len(values)} lines; {recipe} takes at most {limit} {what} per "
                "input file. Split it."
            )
        lines = []
        for value in values:
            try:
                with store.lock:
                    users, error = _segment(version, recipe, key_name, value, n), None
            except PersonalizeError as exc:
                users, error = None, exc.message
            answer = {"usersList": users} if users is not None else None
            lines.append(json.dumps({"input": value, "output": answer, "error": error}))
        write_output(store, access, output, key, lines)


def _segment(version: SolutionVersion, recipe: str, key_name: str, line: Any, n: int) -> list[str]:
    from autopersonalize import engine

    value = line.get(key_name) if isinstance(line, dict) else None
    if not isinstance(value, str) or not value:
        raise invalid(
            f"{key_name}: required in every input line of a {recipe} job, as a string, e.g. {_example(recipe)}."
        )
    try:
        if recipe == "aws-item-affinity":
            return list(version.model.users_for_item(value, n))
        return list(version.model.users_for_attributes(value, n))
    except engine.SegmentQueryError as exc:
        raise invalid(str(exc)) from None


def _example(recipe: str) -> str:
    return '{"itemId": "105"}' if recipe == "aws-item-affinity" else '{"itemAttributes": "ITEMS.GENRES = \\"Comedy\\""}'
