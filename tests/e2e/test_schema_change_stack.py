"""Source schema changes through the offline stack (issue 16): the Glue workflow of a deployed stack runs three times
on one lake. A renamed mapped column stops the workflow before any Personalize resource is touched, with the diff in
the notification; an unmapped column change goes on, and the training run's notification carries the note."""

from __future__ import annotations

import json
from typing import Any

import awswrangler as wr
import boto3
import pandas as pd

from autopersonalize.local import offline_aws
from autopersonalize.local.stack import REPO, deploy_stack
from autopersonalize.local.template import Template
from autopersonalize.pipeline import Source, export, glue_failure, stack_parameters, write_lake

MAPPING = "USER_ID=user,ITEM_ID=item,TIMESTAMP=ts"


def params_template() -> dict[str, Any]:
    """The demo's params with interactions and the popularity solution only (quick to train)."""
    document = json.loads((REPO / "params" / "demo.json").read_text())
    document.pop("$schema")
    document["datasetGroup"] = {"name": "shop"}
    document["datasets"] = [d for d in document["datasets"] if d["datasetType"] == "Interactions"]
    document["solutions"] = [s for s in document["solutions"] if s["recipe"] == "aws-popularity-count"]
    document.update(metricsGate=[], campaigns=[], filters=[])
    return document


def events() -> pd.DataFrame:
    """40 users x 30 events over 60 items, with a column the mapping does not read."""
    rows = [(f"u{u}", f"i{(u * 7 + k) % 60}", 1_700_000_000 + u * 100 + k, k % 3) for u in range(40) for k in range(30)]
    return pd.DataFrame(rows, columns=["user", "item", "ts", "note"])


def import_jobs() -> int:
    personalize = boto3.client("personalize")
    return sum(
        len(personalize.list_dataset_import_jobs(datasetArn=d["datasetArn"])["datasetImportJobs"])
        for d in personalize.list_datasets()["datasets"]
    )


def test_a_renamed_mapped_column_stops_the_workflow_and_an_unmapped_change_goes_on_with_a_note() -> None:
    template = params_template()
    with offline_aws():
        # GIVEN a stack whose first export published and trained
        stack, _ = export({"interactions": Source(frame=events(), mapping=MAPPING)}, template, dataset_group="shop")
        [first] = stack.executions("TrainingStateMachine")
        assert stack.wait(first)["status"] == "SUCCEEDED"
        imported, notified = import_jobs(), len(stack.notifications())

        # WHEN the source renames the mapped `user` column THEN the export stops: no params, no execution, no import
        renamed = Source(frame=events().rename(columns={"user": "customer"}), mapping=MAPPING)
        write_lake(stack.bucket, {"interactions": renamed}, template)
        stack.run_glue_workflow()
        assert stack.executions("TrainingStateMachine") == [first] and import_jobs() == imported
        failure = glue_failure(stack)
        assert (
            "SchemaChangeError" in failure and "renamed (guessed from position and type): user -> customer" in failure
        )
        [stopped] = stack.notifications()[notified:]
        assert stopped["subject"] == "autopersonalize shop: interactions source schema changed, export stopped"
        assert "the mapping reads user" in stopped["message"] and "nothing is published" in stopped["message"]

        # WHEN only the unmapped `note` changes THEN the export publishes and the run's notification has the note
        unmapped = Source(frame=events().rename(columns={"note": "comment"}), mapping=MAPPING)
        write_lake(stack.bucket, {"interactions": unmapped}, template)
        stack.run_glue_workflow()
        second = stack.executions("TrainingStateMachine")[0]
        assert second != first and stack.wait(second)["status"] == "SUCCEEDED"
        later = stack.notifications()[notified + 1 :]
        assert [n["subject"] for n in later] == [
            "autopersonalize shop: interactions source schema changed, export continued",
            "autopersonalize shop: DEPLOYED",
        ]
        warnings = later[-1]["message"].split("Warnings:\n", 1)[1]
        assert "renamed (guessed from position and type): note -> comment" in warnings
        assert "Went on (no mapped column is affected)" in warnings


def test_a_crawled_catalog_source_follows_the_data_and_a_retyped_mapped_column_stops_the_export() -> None:
    # GIVEN a stack with a crawler over raw/events/ and the interactions read from the table it keeps
    template = params_template()
    with offline_aws():
        bucket = Template.read(REPO / "template.yaml").names["DataBucket"]
        parameters = {
            **stack_parameters(bucket, {"interactions": Source(frame=events(), mapping=MAPPING)}, "shop"),
            "CrawlerS3Path": f"s3://{bucket}/raw/events/",
            "InteractionsSourceType": "catalog",
            "InteractionsSource": "autopersonalize_raw.events",
        }
        stack = deploy_stack(parameters=parameters)
        write_lake(stack.bucket, {}, template)
        wr.s3.to_parquet(events(), f"s3://{bucket}/raw/events/part-0.parquet")

        # WHEN the workflow runs THEN the crawler made the table, and the export read it and recorded its version
        assert stack.run_glue_workflow()["Statistics"]["FailedActions"] == 0
        [first] = stack.executions("TrainingStateMachine")
        assert stack.wait(first)["status"] == "SUCCEEDED"
        table = boto3.client("glue").get_table(DatabaseName="autopersonalize_raw", Name="events")["Table"]
        assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
            ("user", "string"),
            ("item", "string"),
            ("ts", "bigint"),
            ("note", "bigint"),
        ]
        state = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key="exports/_state/shop.json")["Body"].read())
        recorded = state["sourceSchemas"]["interactions"]
        assert (recorded["sourceType"], recorded["catalogVersion"], recorded["typed"]) == ("catalog", "1", True)

        # WHEN the data's time becomes text THEN the crawler updates the table and the export stops on the new version
        wr.s3.to_parquet(events().astype({"ts": str}), f"s3://{bucket}/raw/events/part-0.parquet")
        stack.run_glue_workflow()
        assert stack.executions("TrainingStateMachine") == [first]
        failure = glue_failure(stack)
        assert "retyped: ts integer -> string" in failure and "the mapping reads ts" in failure
        crawler = boto3.client("glue").get_crawler(Name=stack.name("SourceCrawler"))["Crawler"]
        assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
        versions = boto3.client("glue").get_table_versions(DatabaseName="autopersonalize_raw", TableName="events")
        assert len(versions["TableVersions"]) == 2
