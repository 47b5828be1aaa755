"""Batch jobs (optional), run with the version of their solution that passed the gate: batch inference jobs, and
batch segment jobs for USER_SEGMENTATION versions. Personalize's two APIs have the same shape (create, describe and
list by version; jobInput/jobOutput in S3; numResults, filterArn, tags), so one start and one check serve both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflow import aws, events, naming
from workflow.resources import is_ready, pages, personalize, tag_args, unless_limited

Result = Callable[[dict[str, Any], str | None, str, bool, str | None], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """One kind of batch job: its words in the API (`key`: batchInferenceJob; `api`: batch_inference_job), its name
    for messages, how its jobs are named, the event its completion emits, and the Map iteration's result."""

    label: str
    key: str
    api: str
    completed: str
    name: Callable[[str, str, str, str], str]
    result: Result


def _inference_result(
    job: dict[str, Any], arn: str | None, action: str, ready: bool, version: str | None
) -> dict[str, Any]:
    """`loaded` false: a served job's output is still to be loaded into DynamoDB (Load Batch Output's loop)."""
    served = arn is not None and job.get("serving") is not None
    result = {"job": job["name"], "batchInferenceJobArn": arn, "action": action, "ready": ready, "loaded": not served}
    return {**result, "solutionVersionArn": version} if served else result


def _segment_result(
    job: dict[str, Any], arn: str | None, action: str, ready: bool, version: str | None
) -> dict[str, Any]:
    return {"job": job["name"], "batchSegmentJobArn": arn, "action": action, "ready": ready, "output": job["jobOutput"]}


INFERENCE = Kind(
    "batch inference job",
    "batchInferenceJob",
    "batch_inference_job",
    "Batch Inference Completed",
    naming.batch_inference_job,
    _inference_result,
)
SEGMENT = Kind(
    "batch segment job",
    "batchSegmentJob",
    "batch_segment_job",
    "Batch Segment Completed",
    naming.batch_segment_job,
    _segment_result,
)


def start(
    kind: Kind, params: dict[str, Any], job: dict[str, Any], solutions: list[dict[str, Any]], serving: dict[str, Any]
) -> dict[str, Any]:
    """Start the job (named after the version it uses, so a resumed run reuses it); skipped when the gate said no."""
    solution = next((s for s in solutions if s.get("solution") == job["solution"]), {})
    if not (solution.get("gate") or {}).get("passed"):
        skipped = kind.result(job, None, "skipped", True, None)
        return {**skipped, "reason": f"solution {job['solution']} did not pass its gate"}
    version = str(solution["solutionVersionArn"])
    name = kind.name(aws.env("PREFIX"), params["datasetGroup"]["name"], job["name"], version.rsplit("/", 1)[-1])
    jobs = pages(f"list_{kind.api}s", f"{kind.key}s", solutionVersionArn=version)
    existing = next((j for j in jobs if j.get("jobName") == name), None)
    if existing is not None:
        arn, status = existing[f"{kind.key}Arn"], existing["status"]
        ready = is_ready(f"{kind.label} {name}", arn, status, existing.get("failureReason"))
        return kind.result(job, arn, "reused" if ready else "resumed", ready, version)
    extra: dict[str, Any] = {"numResults": job["numResults"]} if job.get("numResults") else {}
    if job.get("filter"):
        extra["filterArn"] = {f["name"]: f["filterArn"] for f in serving.get("filters") or []}[job["filter"]]
    create = getattr(personalize(), f"create_{kind.api}")
    created = unless_limited(
        lambda: create(
            jobName=name,
            solutionVersionArn=version,
            roleArn=aws.env("PERSONALIZE_ROLE_ARN"),
            jobInput={"s3DataSource": {"path": job["jobInput"]}},
            jobOutput={"s3DataDestination": {"path": job["jobOutput"]}},
            **extra,
            **tag_args(params),
        )
    )
    return kind.result(job, created[f"{kind.key}Arn"] if created else None, "started", False, version)


def check(
    kind: Kind,
    params: dict[str, Any],
    job: dict[str, Any],
    solutions: list[dict[str, Any]],
    serving: dict[str, Any],
    job_arn: str | None,
    action: str,
) -> dict[str, Any]:
    if job_arn is None:  # the start was throttled (LimitExceeded): try again
        return start(kind, params, job, solutions, serving)
    describe = getattr(personalize(), f"describe_{kind.api}")
    found = describe(**{f"{kind.key}Arn": job_arn})[kind.key]
    ready = is_ready(f"{kind.label} {found['jobName']}", job_arn, found["status"], found.get("failureReason"))
    if ready:
        detail = {"job": job["name"], f"{kind.key}Arn": job_arn, "output": job["jobOutput"]}
        events.emit(kind.completed, params, detail)
    result = kind.result(job, job_arn, action, ready, found.get("solutionVersionArn"))
    if ready and "solutionVersionArn" in result:  # served: read-time filters count events from the job's start
        result["createdAt"] = found["creationDateTime"].timestamp()
    return result
