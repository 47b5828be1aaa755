"""Shared helpers for the emulator tests: small generated data, a dataset group set up with plain boto3."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from tests.e2e.workflow_support import personalize_access

ROOT = Path(__file__).resolve().parents[2]
INTERACTIONS_SCHEMA = (ROOT / "schemas" / "interactions.avsc").read_text()
ITEMS_SCHEMA = (ROOT / "schemas" / "items.avsc").read_text()
USERS_SCHEMA = (ROOT / "schemas" / "users.avsc").read_text()
ROLE = "arn:aws:iam::123456789012:role/personalize"
BUCKET = "emulator-data"
RECIPE = "arn:aws:personalize:::recipe/"


def interactions(n_users: int = 60, n_items: int = 40, per_user: int = 24, seed: int = 0) -> pd.DataFrame:
    """Users in 4 taste groups, each group favouring its own quarter of the items; clicks plus some purchases."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        group = u % 4
        for k in range(per_user):
            own = rng.random() < 0.8
            base = group * (n_items // 4) if own else 0
            span = n_items // 4 if own else n_items
            item = base + int(rng.integers(0, span))
            event = "purchase" if rng.random() < 0.2 else "click"
            rows.append((f"u{u}", f"i{item}", 1_700_000_000 + u * 1000 + k * 10, event, float(rng.integers(1, 6))))
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"])


def items(n_items: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ITEM_ID": [f"i{i}" for i in range(n_items)],
            "CATEGORY": [["books", "games", "music", "films"][i // (n_items // 4) % 4] for i in range(n_items)],
            "PRICE": [float(5 + i) for i in range(n_items)],
            "CREATION_TIMESTAMP": [1_600_000_000 + i for i in range(n_items)],
        }
    )


def users(n_users: int = 60) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USER_ID": [f"u{u}" for u in range(n_users)],
            "SEGMENT": ["gold" if u % 2 else "basic" for u in range(n_users)],
            "AGE_GROUP": ["adult" for _ in range(n_users)],
        }
    )


def put_csv(s3: Any, key: str, frame: pd.DataFrame | str) -> str:
    body = frame if isinstance(frame, str) else frame.to_csv(index=False)
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    return f"s3://{BUCKET}/{key}"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """(code, message) of a botocore ClientError: what a negative test asserts."""
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def dataset_group(pz: Any, s3: Any, name: str = "dg", *, with_metadata: bool = True) -> dict[str, str]:
    """An ACTIVE dataset group with imported interactions (and items/users); needs "immediate" progression."""
    personalize_access(BUCKET)
    arns = {"group": pz.create_dataset_group(name=name)["datasetGroupArn"]}
    sets = [("Interactions", INTERACTIONS_SCHEMA, interactions())]
    if with_metadata:
        sets += [("Items", ITEMS_SCHEMA, items()), ("Users", USERS_SCHEMA, users())]
    for kind, schema, frame in sets:
        schema_arn = pz.create_schema(name=f"{name}-{kind.lower()}", schema=schema)["schemaArn"]
        arns[kind] = pz.create_dataset(
            name=f"{name}-{kind.lower()}", schemaArn=schema_arn, datasetGroupArn=arns["group"], datasetType=kind
        )["datasetArn"]
        location = put_csv(s3, f"{name}/{kind.lower()}/part-0.csv", frame)
        job = pz.create_dataset_import_job(
            jobName=f"{name}-{kind.lower()}-1",
            datasetArn=arns[kind],
            dataSource={"dataLocation": location},
            roleArn=ROLE,
        )["datasetImportJobArn"]
        status = pz.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]
        assert status["status"] == "ACTIVE", status
    return arns


def train(pz: Any, group: str, recipe: str, name: str, **solution: Any) -> str:
    """An ACTIVE solution version of `recipe` in `group` (immediate progression)."""
    solution_arn = pz.create_solution(
        name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe, performAutoTraining=False, **solution
    )["solutionArn"]
    version = pz.create_solution_version(solutionArn=solution_arn)["solutionVersionArn"]
    described = pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "ACTIVE", described
    return str(version)


@pytest.fixture
def engine_ready() -> types.ModuleType:
    """The real engine, nothing in its place: if it does not import, the emulator tests fail with its error."""
    from autopersonalize import engine
    from autopersonalize.engine import DataRequirementError, solution_metrics, train  # noqa: F401 - must exist

    return engine


def schema_fields(text: str) -> list[str]:
    return [f["name"] for f in json.loads(text)["fields"]]
