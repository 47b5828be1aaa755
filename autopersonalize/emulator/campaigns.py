"""Campaigns (+ UpdateCampaign), event trackers, filters and batch inference jobs."""

from __future__ import annotations

import uuid
from typing import Any

from autopersonalize.emulator import defaults, filters
from autopersonalize.emulator.datasets import DatasetGroup, require_active
from autopersonalize.emulator.lifecycle import Lifecycle, run_work
from autopersonalize.emulator.model import PersonalizeError, in_use, invalid
from autopersonalize.emulator.solutions import Solution, SolutionVersion
from autopersonalize.emulator.store import Resource, Store, delete, describe, operation, paginate

LATEST = "/$LATEST"


class Campaign(Resource):
    kind, arn_key = "campaign", "campaignArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        super().__init__(store, arn, name, params)
        self.update: tuple[Lifecycle, dict[str, Any]] | None = None
        self.lifecycle.finish()

    def refresh(self) -> None:
        """Apply a finished UpdateCampaign: from then on the campaign serves the new version and config."""
        if self.update and self.update[0].current() == "ACTIVE" and not self.update[1].get("_applied"):
            self.params.update({k: v for k, v in self.update[1].items() if not k.startswith("_")})
            self.update[1]["_applied"] = True

    def serving(self) -> SolutionVersion:
        """The solution version requests are answered with (the previous one while an update runs)."""
        self.refresh()
        arn = self.params["solutionVersionArn"]
        if arn.endswith(LATEST):
            solution = self.store.get(Solution, arn.removesuffix(LATEST))
            active = sorted((v for v in solution.versions() if v.status == "ACTIVE"), key=lambda v: v.created)
            if not active:
                raise in_use(f"Campaign {self.arn} follows {arn} but the solution has no ACTIVE version yet.")
            return active[-1]
        return self.store.get(SolutionVersion, arn)

    def recipe(self, version_arn: str) -> str | None:
        """The recipe behind a solution version ARN or `<solutionArn>/$LATEST` (None once it is gone)."""
        found = self.store.find(version_arn.removesuffix(LATEST))
        if isinstance(found, SolutionVersion):
            found = self.store.find(found.params["solutionArn"])
        return found.recipe if isinstance(found, Solution) else None

    def view(self) -> dict[str, Any]:
        self.refresh()
        view = {"minProvisionedTPS": 1, **super().view()}
        view["campaignConfig"] = defaults.campaign_config(
            self.params.get("campaignConfig"), self.recipe(self.params["solutionVersionArn"])
        )
        if self.update:
            lifecycle, request = self.update
            view["latestCampaignUpdate"] = {
                **request,
                "campaignConfig": defaults.campaign_config(
                    request.get("campaignConfig"), self.recipe(request["solutionVersionArn"])
                ),
                "status": lifecycle.current(),
                "failureReason": lifecycle.failure_reason,
                "creationDateTime": request["_created"],
                "lastUpdatedDateTime": lifecycle.updated,
            }
        return view


class EventTracker(Resource):
    kind, arn_key = "event-tracker", "eventTrackerArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        super().__init__(store, arn, name, params)
        self.tracking_id = str(uuid.uuid4())
        self.lifecycle.finish()

    def view(self) -> dict[str, Any]:
        return {**super().view(), "trackingId": self.tracking_id, "accountId": self.store.account}


class Filter(Resource):
    kind, arn_key = "filter", "filterArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        super().__init__(store, arn, name, params)
        self.parts = filters.parse(params["filterExpression"])
        self.lifecycle.finish()


class BatchInferenceJob(Resource):
    kind, arn_key = "batch-inference-job", "batchInferenceJobArn"

    def view(self) -> dict[str, Any]:
        return {"numResults": 25, **super().view(), "jobName": self.name}


def _version_for_deploy(store: Store, arn: str, config: dict[str, Any]) -> None:
    sync = bool(config.get("syncWithLatestSolutionVersion"))
    if arn.endswith(LATEST) != sync:
        raise invalid(
            "campaignConfig.syncWithLatestSolutionVersion=true requires solutionVersionArn '<solutionArn>/$LATEST' "
            f"(and $LATEST requires it); got solutionVersionArn {arn} with syncWithLatestSolutionVersion={sync}."
        )
    if sync:
        require_active(store.get(Solution, arn.removesuffix(LATEST)), "Solution")
    else:
        require_active(store.get(SolutionVersion, arn), "Solution version")


@operation("CreateCampaign")
def create_campaign(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    _version_for_deploy(store, p["solutionVersionArn"], p.get("campaignConfig", {}))
    campaign = Campaign(store, store.arn(f"campaign/{p['name']}"), p["name"], p)
    return {"campaignArn": store.add(campaign, p.get("tags")).arn}


@operation("DescribeCampaign")
def describe_campaign(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    campaign = describe(store, Campaign, p["campaignArn"])
    if campaign.update:
        campaign.update[0].observe(store.lock)
    return {"campaign": campaign.view()}


@operation("ListCampaigns")
def list_campaigns(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    solution = p.get("solutionArn")
    rows = (
        c.view()
        for c in store.all(Campaign)
        if solution is None or c.params["solutionVersionArn"].startswith(solution + "/")
    )
    return paginate(rows, p, "campaigns")


@operation("UpdateCampaign")
def update_campaign(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    campaign = store.get(Campaign, p["campaignArn"])
    if campaign.status not in ("ACTIVE", "CREATE FAILED"):
        raise in_use(
            f"Campaign {campaign.arn} is {campaign.status}; it can be updated only when ACTIVE or CREATE FAILED."
        )
    if campaign.update and not campaign.update[0].settled:
        raise in_use(f"Campaign {campaign.arn} already has an update in progress ({campaign.update[0].current()}).")
    request = {k: v for k, v in p.items() if k != "campaignArn"}
    merged_config = {**campaign.params.get("campaignConfig", {}), **request.get("campaignConfig", {})}
    _version_for_deploy(store, request.get("solutionVersionArn", campaign.params["solutionVersionArn"]), merged_config)
    lifecycle = Lifecycle()
    lifecycle.finish()
    campaign.update = (
        lifecycle,
        {
            "solutionVersionArn": campaign.params["solutionVersionArn"],
            "minProvisionedTPS": campaign.params.get("minProvisionedTPS", 1),
            **request,
            "campaignConfig": merged_config,
            "_created": lifecycle.updated,
        },
    )
    return {"campaignArn": campaign.arn}


@operation("DeleteCampaign")
def delete_campaign(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return delete(store, store.get(Campaign, p["campaignArn"]))


@operation("CreateEventTracker")
def create_event_tracker(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = store.get(DatasetGroup, p["datasetGroupArn"])
    require_active(group, "Dataset group")
    existing = [t.arn for t in store.all(EventTracker) if t.params["datasetGroupArn"] == group.arn]
    if existing:
        raise PersonalizeError(
            "ResourceAlreadyExistsException",
            f"Dataset group {group.arn} already has an event tracker ({existing[0]}); only one is allowed per group.",
        )
    tracker = EventTracker(store, store.arn(f"event-tracker/{uuid.uuid4().hex[:8]}"), p["name"], p)
    store.add(tracker, p.get("tags"))
    return {"eventTrackerArn": tracker.arn, "trackingId": tracker.tracking_id}


@operation("DescribeEventTracker")
def describe_event_tracker(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"eventTracker": describe(store, EventTracker, p["eventTrackerArn"]).view()}


@operation("ListEventTrackers")
def list_event_trackers(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = p.get("datasetGroupArn")
    rows = (t.view() for t in store.all(EventTracker) if group in (None, t.params["datasetGroupArn"]))
    return paginate(rows, p, "eventTrackers")


@operation("DeleteEventTracker")
def delete_event_tracker(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return delete(store, store.get(EventTracker, p["eventTrackerArn"]))


@operation("CreateFilter")
def create_filter(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = store.get(DatasetGroup, p["datasetGroupArn"])
    require_active(group, "Dataset group")
    item = Filter(store, store.arn(f"filter/{p['name']}"), p["name"], p)
    return {"filterArn": store.add(item, p.get("tags")).arn}


@operation("DescribeFilter")
def describe_filter(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"filter": describe(store, Filter, p["filterArn"]).view()}


@operation("ListFilters")
def list_filters(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = p.get("datasetGroupArn")
    return paginate((f.view() for f in store.all(Filter) if group in (None, f.params["datasetGroupArn"])), p, "Filters")


@operation("DeleteFilter")
def delete_filter(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return delete(store, store.get(Filter, p["filterArn"]))


@operation("CreateBatchInferenceJob")
def create_batch_inference_job(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    from autopersonalize.emulator import batch

    version = store.get(SolutionVersion, p["solutionVersionArn"])
    require_active(version, "Solution version")
    if p.get("filterArn"):
        store.get(Filter, p["filterArn"])
    job = store.add(
        BatchInferenceJob(store, store.arn(f"batch-inference-job/{p['jobName']}"), p["jobName"], p), p.get("tags")
    )
    run_work(job.lifecycle, lambda: batch.run(store, job, version), store.lock)
    return {"batchInferenceJobArn": job.arn}


@operation("DescribeBatchInferenceJob")
def describe_batch_inference_job(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"batchInferenceJob": describe(store, BatchInferenceJob, p["batchInferenceJobArn"]).view()}


@operation("ListBatchInferenceJobs")
def list_batch_inference_jobs(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    version = p.get("solutionVersionArn")
    rows = (j.view() for j in store.all(BatchInferenceJob) if version in (None, j.params["solutionVersionArn"]))
    return paginate(rows, p, "batchInferenceJobs")
