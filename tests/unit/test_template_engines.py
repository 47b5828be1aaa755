"""The export engine per dataset (<Dataset>Engine: python-shell, spark, auto): the Spark jobs that exist, the job the
workflow runs, the Glue role's grant to start Spark jobs (only those of the datasets on auto), the Rule that keeps
query sources off Spark, and the engine choice in the Python shell job (glue_jobs/job_io.dispatch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from job_io import dispatch

from autopersonalize.local.template import RuleAssertionError, Template

REPO = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "123456789012", "us-east-1"
SOURCES = {"InteractionsSource": "s3://lake/clicks/", "ItemsSource": "s3://lake/items/", "UsersSource": "none"}
SPARK_JOBS = ("ExportInteractionsSparkJob", "ExportItemsSparkJob", "ExportUsersSparkJob")


def deployed(parameters: dict[str, str]) -> tuple[Template, dict[str, dict[str, Any]]]:
    template = Template.read(REPO / "template.yaml", {**SOURCES, **parameters})
    template.check_rules()
    resources = {
        logical_id: template.resolve(resource.get("Properties", {}))
        for logical_id, resource in template.resources.items()
        if template.included(resource)
    }
    return template, resources


def start_grants(resources: dict[str, dict[str, Any]]) -> list[str]:
    """The resources GlueJobRole may glue:StartJobRun on."""
    statements = [s for p in resources["GlueJobRole"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    return [r for s in statements if "glue:StartJobRun" in s.get("Action", []) for r in s["Resource"]]


def fan_out_jobs(resources: dict[str, dict[str, Any]]) -> list[str]:
    """The jobs the trigger after cleanup starts."""
    trigger = next(r for r in resources.values() if r.get("Actions") and len(r["Actions"]) == 3)
    return [a["JobName"] for a in trigger["Actions"]]


def test_python_shell_engine_makes_no_spark_job_and_no_grant() -> None:
    template, resources = deployed({})

    assert not set(SPARK_JOBS) & set(resources)
    assert start_grants(resources) == []
    assert fan_out_jobs(resources) == [template.names[f"Export{d}Job"] for d in ("Users", "Items", "Interactions")]


def test_spark_engine_runs_the_spark_job_in_the_python_shell_jobs_place_without_a_grant() -> None:
    template, resources = deployed({"InteractionsEngine": "spark"})

    assert set(SPARK_JOBS) & set(resources) == {"ExportInteractionsSparkJob"}
    assert template.names["ExportInteractionsSparkJob"] in fan_out_jobs(resources)
    assert template.names["ExportInteractionsJob"] not in fan_out_jobs(resources)
    assert start_grants(resources) == []  # the workflow starts it, not the role


def test_auto_engine_lets_the_role_start_only_the_spark_jobs_of_datasets_on_auto() -> None:
    template, resources = deployed({"InteractionsEngine": "auto", "ItemsEngine": "spark"})

    assert set(SPARK_JOBS) & set(resources) == {"ExportInteractionsSparkJob", "ExportItemsSparkJob"}
    assert template.names["ExportInteractionsJob"] in fan_out_jobs(resources)  # the Python shell job stays the node
    job = template.names["ExportInteractionsSparkJob"]
    assert start_grants(resources) == [f"arn:aws:glue:{REGION}:{ACCOUNT}:job/{job}"]
    arguments = resources["ExportInteractionsJob"]["DefaultArguments"]
    assert (arguments["--engine"], arguments["--spark_job"]) == ("auto", job)


@pytest.mark.parametrize("kind", ["athena", "postgresql", "mysql"])
def test_spark_engine_rule_refuses_a_query_source(kind: str) -> None:
    with pytest.raises(RuleAssertionError) as error:
        deployed(
            {
                "InteractionsEngine": "spark",
                "InteractionsSourceType": kind,
                "InteractionsSource": "SELECT user_id, item_id, ts FROM clicks",
                "DatabaseJdbcUrl": "jdbc:postgresql://db.internal:5432/shop",
                "DatabaseSecret": "shop/reader",
            }
        )

    assert str(error.value) == (
        "InteractionsEngine is spark but InteractionsSourceType is a query (athena, postgresql, mysql): the Spark "
        "engine reads S3 files and catalog tables; use python-shell, or auto (which exports a query on the Python "
        "shell job)."
    )


@pytest.mark.parametrize("kind", ["athena", "postgresql", "mysql"])
def test_auto_engine_exports_a_query_source_here_without_measuring_it(kind: str) -> None:
    """No AWS call is made (there is no AWS here): a query has no size to measure, and Spark does not read it."""
    args = {"engine": "auto", "spark_above_bytes": "0", "source_type": kind, "source": "public.clicks"}

    assert dispatch("interactions", args, lambda dataset, _: {"ranHere": dataset}) == {"ranHere": "interactions"}
