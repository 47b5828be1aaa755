"""Dataset import jobs: start one, or reuse the one that already imported the same data (resume), then watch it."""

from __future__ import annotations

from typing import Any

from workflow import aws, data_check, events, naming
from workflow.errors import ResourceConflictError
from workflow.resources import ACTIVE, PENDING, is_ready, pages, personalize, tag_args, unless_limited

MAX_ATTEMPTS = 9  # import attempts for the same data (after failures); their names end -2 .. -9


def candidate_names(group: str, dataset_type: str, digest: str) -> list[str]:
    """The job names a run may use for this data: the fingerprint, then -2, -3... for retries after a failure."""
    token = f"d{digest[:12]}"
    tokens = [token] + [f"{token}-{n}" for n in range(2, MAX_ATTEMPTS + 1)]
    return [naming.import_job(aws.env("PREFIX"), group, dataset_type, t) for t in tokens]


def _latest_active(jobs: list[dict[str, Any]]) -> dict[str, Any] | None:
    active = [j for j in jobs if j["status"] == ACTIVE]
    return max(active, key=lambda j: j["creationDateTime"]) if active else None


def _result(job: dict[str, Any], dataset_type: str, rows: int | None, action: str, ready: bool) -> dict[str, Any]:
    """`status` is the job's as Personalize reports it (None right after CreateDatasetImportJob, which returns only
    the ARN). Personalize reports no record counts for an import job (the DatasetImportJob shape of botocore's
    personalize 2018-05-22 model, and the API reference's DescribeDatasetImportJob, have none), so `rowsCounted` is
    the data rows this workflow counted in the job's files before starting it: an estimate of what it imported,
    None when the job was reused or the files were too big to count here."""
    return {
        "datasetType": dataset_type,
        "jobArn": job.get("datasetImportJobArn"),
        "jobName": job.get("jobName"),
        "action": action,
        "status": job.get("status"),
        "rowsCounted": rows,
        "ready": ready,
    }


def start_import(params: dict[str, Any], dataset: dict[str, Any], dataset_arn: str) -> dict[str, Any]:
    """Reuse an import of the same data (the dataset's newest ACTIVE one, or one in progress), else start one."""
    group, kind = params["datasetGroup"]["name"], dataset["datasetType"]
    mode = dataset.get("importMode", "FULL")
    files = data_check.objects(dataset["dataLocation"])
    names = candidate_names(group, kind, data_check.fingerprint(dataset["dataLocation"], mode, files))
    jobs = list(pages("list_dataset_import_jobs", "datasetImportJobs", datasetArn=dataset_arn))
    ours = [j for j in jobs if j["jobName"] in names]
    latest = _latest_active(jobs)
    done = latest if latest is not None and latest["jobName"] in names else None
    if done is None and mode == "INCREMENTAL":  # an INCREMENTAL import of this data already added it
        done = _latest_active(ours)
    if done is not None:
        return _result(done, kind, None, "reused", True)
    running = next((j for j in ours if j["status"] in PENDING), None)
    if running is not None:
        return _result(running, kind, None, "resumed", False)
    rows = data_check.count_and_check(kind, dataset["dataLocation"], files)
    used = {j["jobName"] for j in jobs}
    name = next((n for n in names if n not in used), None)
    if name is None:
        raise ResourceConflictError(
            f"{kind} data at {dataset['dataLocation']} failed to import {MAX_ATTEMPTS} times ({names[0]} ...); "
            "fix the data (see the failureReason of those jobs), then drop the params again"
        )
    response = unless_limited(
        lambda: personalize().create_dataset_import_job(
            jobName=name,
            datasetArn=dataset_arn,
            dataSource={"dataLocation": dataset["dataLocation"]},
            roleArn=aws.env("PERSONALIZE_ROLE_ARN"),
            importMode=mode,
            **tag_args(params),
        )
    )
    if response is None:
        return _result({}, kind, rows, "limited", False)
    return _result(
        {"datasetImportJobArn": response["datasetImportJobArn"], "jobName": name}, kind, rows, "started", False
    )


def check_import(
    params: dict[str, Any], dataset: dict[str, Any], dataset_arn: str, job_arn: str | None, previous: dict[str, Any]
) -> dict[str, Any]:
    """The job's status (ResourceFailedError with Personalize's reason); retries a start refused for a quota."""
    if job_arn is None:
        return start_import(params, dataset, dataset_arn)
    job = personalize().describe_dataset_import_job(datasetImportJobArn=job_arn)["datasetImportJob"]
    ready = is_ready(f"import job {job['jobName']}", job_arn, job["status"], job.get("failureReason"))
    if ready:
        counted = {"rowsCounted": previous["rowsCounted"]} if previous.get("rowsCounted") is not None else {}
        events.emit("Import Completed", params, {"datasetType": dataset["datasetType"], "jobArn": job_arn, **counted})
    return _result(job, dataset["datasetType"], previous.get("rowsCounted"), previous.get("action", "started"), ready)
