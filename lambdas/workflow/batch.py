"""Batch inference jobs (optional): one per job of the params with the version that passed the gate."""

from __future__ import annotations

from typing import Any

from workflow import aws, events, naming
from workflow.resources import is_ready, pages, personalize, tag_args, unless_limited


def _result(
    job: dict[str, Any], arn: str | None, action: str, ready: bool, version: str | None = None
) -> dict[str, Any]:
    """`loaded` false: a served job's output is still to be loaded into DynamoDB (Load Batch Output's loop)."""
    served = arn is not None and job.get("serving") is not None
    result = {"job": job["name"], "batchInferenceJobArn": arn, "action": action, "ready": ready, "loaded": not served}
    return {**result, "solutionVersionArn": version} if served else result


def start_batch_inference(
    params: dict[str, Any], job: dict[str, Any], solutions: list[dict[str, Any]], serving: dict[str, Any]
) -> dict[str, Any]:
    """Start the job (named after the version it uses, so a resumed run reuses it); skipped when the gate said no."""
    solution = next((s for s in solutions if s.get("solution") == job["solution"]), {})
    if not (solution.get("gate") or {}).get("passed"):
        return {**_result(job, None, "skipped", True), "reason": f"solution {job['solution']} did not pass its gate"}
    version = str(solution["solutionVersionArn"])
    name = naming.batch_inference_job(
        aws.env("PREFIX"), params["datasetGroup"]["name"], job["name"], version.rsplit("/", 1)[-1]
    )
    jobs = pages("list_batch_inference_jobs", "batchInferenceJobs", solutionVersionArn=version)
    existing = next((j for j in jobs if j.get("jobName") == name), None)
    if existing is not None:
        arn, status = existing["batchInferenceJobArn"], existing["status"]
        ready = is_ready(f"batch inference job {name}", arn, status, existing.get("failureReason"))
        return _result(job, arn, "reused" if ready else "resumed", ready, version)
    filters = {f["name"]: f["filterArn"] for f in serving.get("filters") or []}
    extra: dict[str, Any] = {"numResults": job["numResults"]} if job.get("numResults") else {}
    if job.get("filter"):
        extra["filterArn"] = filters[job["filter"]]
    created = unless_limited(
        lambda: personalize().create_batch_inference_job(
            jobName=name,
            solutionVersionArn=version,
            roleArn=aws.env("PERSONALIZE_ROLE_ARN"),
            jobInput={"s3DataSource": {"path": job["jobInput"]}},
            jobOutput={"s3DataDestination": {"path": job["jobOutput"]}},
            **extra,
            **tag_args(params),
        )
    )
    return _result(job, created["batchInferenceJobArn"] if created else None, "started", False, version)


def check_batch_inference(
    params: dict[str, Any],
    job: dict[str, Any],
    solutions: list[dict[str, Any]],
    serving: dict[str, Any],
    job_arn: str | None,
    action: str,
) -> dict[str, Any]:
    if job_arn is None:
        return start_batch_inference(params, job, solutions, serving)
    found = personalize().describe_batch_inference_job(batchInferenceJobArn=job_arn)["batchInferenceJob"]
    ready = is_ready(f"batch inference job {found['jobName']}", job_arn, found["status"], found.get("failureReason"))
    if ready:
        events.emit(
            "Batch Inference Completed",
            params,
            {"job": job["name"], "batchInferenceJobArn": job_arn, "output": job["jobOutput"]},
        )
    return _result(job, job_arn, action, ready, found.get("solutionVersionArn"))
