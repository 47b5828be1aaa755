"""`run --params` with the ml_ops sample format, end to end offline: its inline schemas are the exports', publish_params
fills it in its own shape, Load Params converts it, and the run deploys its campaigns."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest

from autopersonalize import pipeline, report
from autopersonalize.local import offline_aws
from autopersonalize.pipeline import Source
from autopersonalize.run_params import RunParams, prepare

MLOPS = Path(__file__).resolve().parents[2] / "params" / "mlops-sample.json"
SEED, USERS, ITEMS, PER_USER = 5, 40, 60, 30  # 1200 interactions, every user with >= 2: Personalize's minimums


def lake(seed: int) -> dict[str, Source]:
    """Interactions and items with the ml_ops sample's columns (no EVENT_TYPE; items have GENRE and YEAR)."""
    rng = random.Random(seed)
    interactions = pd.DataFrame(
        [
            {
                "USER_ID": f"u{u:03d}",
                "ITEM_ID": f"i{rng.randrange(ITEMS):03d}",
                "TIMESTAMP": 1_700_000_000 + u * 100 + k,
            }
            for u in range(USERS)
            for k in range(PER_USER)
        ]
    )
    genres = ("drama", "comedy", "action")
    items = pd.DataFrame([{"ITEM_ID": f"i{i:03d}", "GENRE": genres[i % 3], "YEAR": 1950 + i} for i in range(ITEMS)])
    return {"interactions": Source(frame=interactions), "items": Source(frame=items)}


@pytest.fixture(scope="module")
def ran() -> tuple[RunParams, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(prepared params, report document, published params, Personalize's Items schema) of one ml_ops run."""
    prepared = prepare(MLOPS, frozenset({"interactions", "items"}))
    with offline_aws(progression="immediate"):
        sources = lake(SEED)
        result = pipeline.run(
            sources, prepared.template, dataset_group=prepared.dataset_group, schemas=prepared.schemas
        )
        document = report.collect(result)
        published = json.loads(
            boto3.client("s3").get_object(Bucket=result.stack.bucket, Key="params/mlops-demo.json")["Body"].read()
        )
        personalize = boto3.client("personalize")
        items = next(
            d
            for d in personalize.list_datasets(datasetGroupArn=document["resources"]["datasetGroup"][0])["datasets"]
            if d["datasetType"] == "ITEMS"
        )
        schema_arn = personalize.describe_dataset(datasetArn=items["datasetArn"])["dataset"]["schemaArn"]
        items_schema = json.loads(personalize.describe_schema(schemaArn=schema_arn)["schema"]["schema"])
    return prepared, document, published, items_schema


def test_run_with_mlops_params_deploys_its_campaigns(ran: tuple[Any, ...]) -> None:
    _, document, _, _ = ran

    assert (document["outcome"], document["executionStatus"]) == ("DEPLOYED", "SUCCEEDED")
    counts = {kind: len(arns) for kind, arns in document["resources"].items()}
    assert counts == {
        "datasetGroup": 1,
        "datasets": 2,
        "solutions": 2,
        "solutionVersions": 2,
        "campaigns": 2,
        "filters": 1,
        "eventTrackers": 1,
        "batchSegmentJobs": 0,
        "recommenders": 0,
    }


def test_run_with_mlops_params_imports_with_the_files_own_inline_schemas(ran: tuple[Any, ...]) -> None:
    _, _, published, items_schema = ran

    sample = json.loads(MLOPS.read_text())
    assert items_schema == sample["datasets"]["Items"]["schema"]  # GENRE and YEAR, which the filter reads
    assert set(published["datasets"]) == {"Interactions", "Items"}  # publish_params kept the ml_ops shape
    assert published["datasets"]["Items"]["dataLocation"].endswith("/items/")
