"""Batch segment jobs (optional): one per job of the params, with the USER_SEGMENTATION version that passed the gate."""

from __future__ import annotations

from typing import Any

from workflow import aws, events, naming
from workflow.resources import is_ready, pages, personalize, tag_args, unless_limited


def _result(job: dict[str, Any], arn: str | None, action: str, ready: bool) -> dict[str, Any]:
    return {"job": job["name"], "batchSegmentJobArn": arn, "action": action, "ready": ready, "output": job["jobOutput"]}


def start_batch_segment(
    params: dict[str, Any], job: dict[str, Any], solutions: list[dict[str, Any]], serving: dict[str, Any]
) -> dict[str, Any]:
    """Start the job (named after the version it uses, so a resumed run reuses it); skipped when the gate said no."""
    solution = next((s for s in solutions if s.get("solution") == job["solution"]), {})
    if not (solution.get("gate") or {}).get("passed"):
        return {**_result(job, None, "skipped", True), "reason": f"solution {job['solution']} did not pass its gate"}
    version = str(solution["solutionVersionArn"])
    name = naming.batch_segment_job(
        aws.env("PREFIX"), params["datasetGroup"]["name"], job["name"], version.rsplit("/", 1)[-1]
    )
    jobs = pages("list_batch_segment_jobs", "batchSegmentJobs", solutionVersionArn=version)
    existing = next((j for j in jobs if j.get("jobName") == name), None)
    if existing is not None:
        arn, status = existing["batchSegmentJobArn"], existing["status"]
        ready = is_ready(f"batch segment job {name}", arn, status, existing.get("failureReason"))
        return _result(job, arn, "reused" if ready else "resumed", ready)
    extra: dict[str, Any] = {"numResults": job["numResults"]} if job.get("numResults") else {}
    if job.get("filter"):
        extra["filterArn"] = {f["name"]: f["filterArn"] for f in serving.get("filters") or []}[job["filter"]]
    created = unless_limited(
        lambda: personalize().create_batch_segment_job(
            jobName=name,
            solutionVersionArn=version,
            roleArn=aws.env("PERSONALIZE_ROLE_ARN"),
            jobInput={"s3DataSource": {"path": job["jobInput"]}},
            jobOutput={"s3DataDestination": {"path": job["jobOutput"]}},
            **extra,
            **tag_args(params),
        )
    )
    return _result(job, created["batchSegmentJobArn"] if created else None, "started", False)


def check_batch_segment(
    params: dict[str, Any],
    job: dict[str, Any],
    solutions: list[dict[str, Any]],
    serving: dict[str, Any],
    job_arn: str | None,
    action: str,
) -> dict[str, Any]:
    if job_arn is None:  # the start was throttled (LimitExceeded): try again
        return start_batch_segment(params, job, solutions, serving)
    found = personalize().describe_batch_segment_job(batchSegmentJobArn=job_arn)["batchSegmentJob"]
    ready = is_ready(f"batch segment job {found['jobName']}", job_arn, found["status"], found.get("failureReason"))
    if ready:
        events.emit(
            "Batch Segment Completed",
            params,
            {"job": job["name"], "batchSegmentJobArn": job_arn, "output": job["jobOutput"]},
        )
    return _result(job, job_arn, action, ready)
