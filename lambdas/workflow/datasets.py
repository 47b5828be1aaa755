"""Dataset group, schemas and datasets: describe-first by deterministic name, created when absent, drift is an error."""

from __future__ import annotations

import json
from typing import Any

from workflow import aws, naming
from workflow.errors import ResourceConflictError
from workflow.resources import find, is_ready, pages, personalize, tag_args, tags

TEARDOWN_HINT = (
    "run the teardown machine for this dataset group (or use another dataset group name) and drop the params again"
)


def prefix() -> str:
    return aws.env("PREFIX")


def ensure_dataset_group(params: dict[str, Any]) -> dict[str, Any]:
    """Create the dataset group when absent; an existing one must have the params' domain and KMS key."""
    block = params["datasetGroup"]
    name = naming.dataset_group(prefix(), block["name"])
    summary = find("list_dataset_groups", "datasetGroups", name)
    if summary is None:
        wanted = {k: block[k] for k in ("domain", "kmsKeyArn", "roleArn") if block.get(k)}
        all_tags = tags({"tags": (block.get("tags") or []) + (params.get("tags") or [])})
        response = personalize().create_dataset_group(name=name, **wanted, **({"tags": all_tags} if all_tags else {}))
        return {"arn": response["datasetGroupArn"], "ready": False}
    group = personalize().describe_dataset_group(datasetGroupArn=summary["datasetGroupArn"])["datasetGroup"]
    for key in ("domain", "kmsKeyArn"):
        if (group.get(key) or None) != (block.get(key) or None):
            raise ResourceConflictError(
                f"dataset group {name} exists with {key} {group.get(key)!r}, but params datasetGroup.{key} is "
                f"{block.get(key)!r}; Personalize cannot change it: {TEARDOWN_HINT}"
            )
    ready = is_ready("dataset group", group["datasetGroupArn"], group["status"], group.get("failureReason"))
    return {"arn": group["datasetGroupArn"], "ready": ready}


def _fields(schema: dict[str, Any]) -> list[str]:
    return [f"{f['name']}:{json.dumps(f['type'], sort_keys=True)}" for f in schema.get("fields", [])]


def ensure_schema(group: str, dataset: dict[str, Any], domain: str | None) -> str:
    """The schema's ARN; created when absent. A schema of the same name with other fields is a conflict."""
    name = naming.schema(prefix(), group, dataset["datasetType"])
    wanted = dataset["schema"]
    summary = find("list_schemas", "schemas", name)
    if summary is None:
        extra = {"domain": domain} if domain else {}
        return str(personalize().create_schema(name=name, schema=json.dumps(wanted), **extra)["schemaArn"])
    found = json.loads(personalize().describe_schema(schemaArn=summary["schemaArn"])["schema"]["schema"])
    if _fields(found) != _fields(wanted):
        raise ResourceConflictError(
            f"schema {name} exists with fields {_fields(found)}, but the params' {dataset['datasetType']} schema has "
            f"{_fields(wanted)}; a dataset cannot change its schema: {TEARDOWN_HINT}"
        )
    return str(summary["schemaArn"])


def ensure_dataset(params: dict[str, Any], group_arn: str, dataset: dict[str, Any]) -> dict[str, Any]:
    """One dataset (and its schema): created when absent, its schema checked when present."""
    group = params["datasetGroup"]["name"]
    kind = dataset["datasetType"]
    schema_arn = ensure_schema(group, dataset, params["datasetGroup"].get("domain"))
    name = naming.dataset(prefix(), group, kind)
    # Personalize answers the type upper case ("INTERACTIONS") whatever CreateDataset was given ("Interactions").
    listed = pages("list_datasets", "datasets", datasetGroupArn=group_arn)
    existing = [d for d in listed if str(d["datasetType"]).upper() == kind.upper()]
    for other in existing:
        if other["name"] != name:
            raise ResourceConflictError(
                f"dataset group {naming.dataset_group(prefix(), group)} already has a {kind} dataset named "
                f"{other['name']} that autopersonalize did not create (expected {name}): {TEARDOWN_HINT}"
            )
    if not existing:
        arn = personalize().create_dataset(
            name=name, schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType=kind, **tag_args(params)
        )["datasetArn"]
        return {"datasetType": kind, "datasetArn": arn, "schemaArn": schema_arn, "ready": False}
    found = personalize().describe_dataset(datasetArn=existing[0]["datasetArn"])["dataset"]
    if found["schemaArn"] != schema_arn:
        raise ResourceConflictError(
            f"dataset {name} uses schema {found['schemaArn']}, not {schema_arn}: {TEARDOWN_HINT}"
        )
    ready = is_ready(f"dataset {name}", found["datasetArn"], found["status"], found.get("failureReason"))
    return {"datasetType": kind, "datasetArn": found["datasetArn"], "schemaArn": schema_arn, "ready": ready}


def ensure_datasets(params: dict[str, Any], group_arn: str) -> dict[str, Any]:
    """Every dataset of the params; `ready` once all are ACTIVE."""
    datasets = [ensure_dataset(params, group_arn, d) for d in params["datasets"]]
    return {"ready": all(d.pop("ready") for d in datasets), "datasets": datasets}
