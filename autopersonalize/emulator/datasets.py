"""Dataset groups, schemas, datasets and dataset import jobs."""

from __future__ import annotations

from typing import Any

import pandas as pd

from autopersonalize.emulator import auth, data
from autopersonalize.emulator.lifecycle import WorkFailed, run_work
from autopersonalize.emulator.model import PersonalizeError, in_use, invalid
from autopersonalize.emulator.store import Resource, Store, delete, describe, operation, paginate

MIN_INTERACTIONS = 1000


class DatasetGroup(Resource):
    kind, arn_key = "dataset-group", "datasetGroupArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        super().__init__(store, arn, name, params)
        self.revision = 0  # bumped on every data change (imports, PutEvents): UPDATE training needs a change
        self.events = pd.DataFrame(columns=["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"])
        self.lifecycle.finish()


class Schema(Resource):
    kind, arn_key = "schema", "schemaArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        super().__init__(store, arn, name, params)
        self.fields = data.parse_schema(params["schema"])

    def view(self) -> dict[str, Any]:
        return {k: v for k, v in super().view().items() if k not in ("status", "failureReason")}


class Dataset(Resource):
    kind, arn_key = "dataset", "datasetArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        super().__init__(store, arn, name, params)
        self.type = params["datasetType"].upper()
        self.data: pd.DataFrame | None = None  # bulk data (imports)
        self.lifecycle.finish()

    def view(self) -> dict[str, Any]:
        from autopersonalize.emulator.campaigns import EventTracker

        view = {**super().view(), "datasetType": self.type}  # canonical upper case, whatever the request spelled
        if self.type == "INTERACTIONS":
            group = self.params["datasetGroupArn"]
            trackers = [t for t in self.store.all(EventTracker) if t.params["datasetGroupArn"] == group]
            view["trackingId"] = trackers[0].tracking_id if trackers else None
        return view


class DatasetImportJob(Resource):
    kind, arn_key = "dataset-import-job", "datasetImportJobArn"

    def view(self) -> dict[str, Any]:
        return {**super().view(), "jobName": self.name, "importMode": self.params.get("importMode", "FULL")}


def group_of(store: Store, arn: str) -> DatasetGroup:
    return store.get(DatasetGroup, arn)


def require_active(resource: Resource, what: str) -> None:
    if resource.status != "ACTIVE":
        raise in_use(f"{what} {resource.arn} is not ACTIVE (status: {resource.status}); wait until it is ACTIVE.")


def datasets_of(store: Store, group_arn: str) -> dict[str, Dataset]:
    return {d.type: d for d in store.all(Dataset) if d.params["datasetGroupArn"] == group_arn}


def interactions_frame(store: Store, group: DatasetGroup) -> pd.DataFrame:
    """Bulk interactions plus the events recorded with PutEvents."""
    dataset = datasets_of(store, group.arn).get("INTERACTIONS")
    parts = [df for df in (dataset.data if dataset else None, group.events) if df is not None and len(df)]
    if not parts:
        return group.events.copy()
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


@operation("CreateDatasetGroup")
def create_dataset_group(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("kmsKeyArn") and not p.get("roleArn"):
        raise invalid("roleArn: required with kmsKeyArn; give an IAM role that has permissions to access the KMS key.")
    if p.get("roleArn") and not p.get("kmsKeyArn"):
        raise invalid("roleArn: supplying an IAM role is only valid when also specifying kmsKeyArn.")
    if p.get("kmsKeyArn"):
        group_arn = store.arn(f"dataset-group/{p['name']}")
        auth.require_key_access(store.account, str(p["roleArn"]), str(p["kmsKeyArn"]), group_arn)
    group = store.add(DatasetGroup(store, store.arn(f"dataset-group/{p['name']}"), p["name"], p), p.get("tags"))
    return {"datasetGroupArn": group.arn, "domain": p.get("domain")}


@operation("DescribeDatasetGroup")
def describe_dataset_group(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"datasetGroup": describe(store, DatasetGroup, p["datasetGroupArn"]).view()}


@operation("ListDatasetGroups")
def list_dataset_groups(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return paginate((g.view() for g in store.all(DatasetGroup)), p, "datasetGroups")


@operation("DeleteDatasetGroup")
def delete_dataset_group(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    from autopersonalize.emulator.campaigns import EventTracker, Filter
    from autopersonalize.emulator.recommenders import Recommender
    from autopersonalize.emulator.solutions import Solution

    group = store.get(DatasetGroup, p["datasetGroupArn"])
    for cls, what in (
        (Recommender, "recommenders"),
        (Dataset, "datasets"),
        (Solution, "solutions"),
        (EventTracker, "event trackers"),
        (Filter, "filters"),
    ):
        children = [r.arn for r in store.all(cls) if r.params.get("datasetGroupArn") == group.arn]
        if children:
            raise in_use(f"Dataset group {group.arn} still has {what}: {children}. Delete them first.")
    return delete(store, group)


@operation("CreateSchema")
def create_schema(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    schema = store.add(Schema(store, store.arn(f"schema/{p['name']}"), p["name"], p))
    schema.lifecycle.finish()
    return {"schemaArn": schema.arn}


@operation("DescribeSchema")
def describe_schema(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"schema": store.get(Schema, p["schemaArn"]).view()}


@operation("ListSchemas")
def list_schemas(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return paginate((s.view() for s in store.all(Schema)), p, "schemas")


@operation("DeleteSchema")
def delete_schema(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    schema = store.get(Schema, p["schemaArn"])
    users = [d.arn for d in store.all(Dataset) if d.params["schemaArn"] == schema.arn]
    if users:
        raise in_use(f"Schema {schema.arn} is used by datasets {users}. Delete them first.")
    store.remove(schema)
    return {}


@operation("CreateDataset")
def create_dataset(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = group_of(store, p["datasetGroupArn"])
    require_active(group, "Dataset group")
    schema = store.get(Schema, p["schemaArn"])
    kind = p["datasetType"].upper()
    if kind not in data.REQUIRED:
        raise invalid(f"datasetType: {p['datasetType']!r} is not one of Interactions, Items, Users.")
    data.check_dataset_type(kind, schema.fields)
    _check_domain(group, schema, kind)
    existing = datasets_of(store, group.arn).get(kind)
    if existing:
        raise PersonalizeError(
            "ResourceAlreadyExistsException",
            f"Dataset group {group.arn} already has a {kind.title()} dataset ({existing.arn}); one per type.",
        )
    arn = store.arn(f"dataset/{group.name}/{kind}")
    return {"datasetArn": store.add(Dataset(store, arn, p["name"], p), p.get("tags")).arn}


def _check_domain(group: DatasetGroup, schema: Schema, kind: str) -> None:
    """A Domain dataset group takes schemas created for its domain, checked against the domain's fields; a custom group
    takes schemas without a domain ("Domain DSGs ... need `domain` on both the schema and the DSG", personalize-facts;
    CreateSchema.domain: "specify the domain you chose when you created the Domain dataset group", botocore model)."""
    group_domain, schema_domain = group.params.get("domain"), schema.params.get("domain")
    if group_domain != schema_domain:
        raise invalid(
            f"schemaArn: schema {schema.arn} was created "
            f"{f'for the {schema_domain} domain' if schema_domain else 'without a domain'} and dataset group "
            f"{group.arn} {f'is a {group_domain} Domain dataset group' if group_domain else 'has no domain'}; create "
            f"the schema with {f'domain {group_domain}' if group_domain else 'no domain'}."
        )
    if group_domain:
        data.check_domain_fields(group_domain, kind, schema.fields)


@operation("DescribeDataset")
def describe_dataset(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"dataset": describe(store, Dataset, p["datasetArn"]).view()}


@operation("ListDatasets")
def list_datasets(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = p.get("datasetGroupArn")
    rows = (d.view() for d in store.all(Dataset) if group in (None, d.params["datasetGroupArn"]))
    return paginate(rows, p, "datasets")


@operation("DeleteDataset")
def delete_dataset(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    dataset = store.get(Dataset, p["datasetArn"])
    from autopersonalize.emulator.recommenders import Recommender
    from autopersonalize.emulator.solutions import SolutionVersion

    running = [
        j.arn for j in store.all(DatasetImportJob) if j.params["datasetArn"] == dataset.arn and not j.lifecycle.settled
    ]
    group = dataset.params["datasetGroupArn"]
    running += [v.arn for v in store.all(SolutionVersion) if v.group_arn == group and not v.lifecycle.settled]
    running += [r.arn for r in store.all(Recommender) if r.group_arn == group and not r.lifecycle.settled]
    if running:
        raise in_use(f"Dataset {dataset.arn} is in use by jobs in progress: {running}. Wait for them to finish.")
    return delete(store, dataset)


@operation("CreateDatasetImportJob")
def create_dataset_import_job(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    dataset = store.get(Dataset, p["datasetArn"])
    require_active(dataset, "Dataset")
    mode = p.get("importMode", "FULL")
    if mode == "INCREMENTAL" and dataset.data is None:
        raise invalid(f"Dataset {dataset.arn} has no bulk data yet: the first import must use importMode FULL.")
    job = store.add(
        DatasetImportJob(store, store.arn(f"dataset-import-job/{p['jobName']}"), p["jobName"], p), p.get("tags")
    )
    run_work(job.lifecycle, lambda: _import(store, dataset, job, mode), store.lock)
    return {"datasetImportJobArn": job.arn}


def _import(store: Store, dataset: Dataset, job: Resource, mode: str) -> None:
    location = job.params["dataSource"]["dataLocation"]
    fields = store.get(Schema, dataset.params["schemaArn"]).fields
    reads = data.read_objects(store.account, location, auth.job_access(store.account, job.arn, job.params))
    frames = [data.parse_csv(path, body, fields) for path, body in reads]
    new = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if dataset.type == "INTERACTIONS" and len(new) < MIN_INTERACTIONS:
        raise WorkFailed(
            f"Import from {location} has {len(new)} interaction records; an interactions import needs at least "
            f"{MIN_INTERACTIONS}."
        )
    with store.lock:
        dataset.data = data.merge(dataset.data, new, dataset.type, mode)
        group_of(store, dataset.params["datasetGroupArn"]).revision += 1


@operation("DescribeDatasetImportJob")
def describe_dataset_import_job(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"datasetImportJob": describe(store, DatasetImportJob, p["datasetImportJobArn"]).view()}


@operation("ListDatasetImportJobs")
def list_dataset_import_jobs(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    dataset = p.get("datasetArn")
    rows = (j.view() for j in store.all(DatasetImportJob) if dataset in (None, j.params["datasetArn"]))
    return paginate(rows, p, "datasetImportJobs")
