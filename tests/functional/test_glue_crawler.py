"""The offline Glue crawler: the built-in classifiers' rules for parquet and CSV, one table per S3 target, a new
table version only when the data's schema changed, and the crawl made as the crawler's role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import awswrangler as wr
import boto3
import pandas as pd
import pyarrow as pa
import pytest

from autopersonalize.local import offline_aws
from autopersonalize.local.glue_crawler import CrawlError, csv_table, hive_type
from autopersonalize.local.stack import REPO, deploy_stack
from autopersonalize.local.template import Template

DATABASE = "autopersonalize_raw"


def test_csv_header_is_a_row_of_names_over_typed_data() -> None:
    # Built-in CSV classifier: a header when every value of the first row is a string name and some column's data
    # parses as another type; types bigint, double, boolean, else string
    columns, serde = csv_table("user,item,ts,score,ok\nu1,i1,1700000000,0.5,true\nu2,i2,1700000001,2,false\n")
    assert columns == [
        {"Name": "user", "Type": "string"},
        {"Name": "item", "Type": "string"},
        {"Name": "ts", "Type": "bigint"},
        {"Name": "score", "Type": "double"},
        {"Name": "ok", "Type": "boolean"},
    ]
    assert serde == {"field.delim": ",", "skip.header.line.count": "1"}


def test_csv_of_strings_only_has_no_header_and_other_delimiters_are_found() -> None:
    columns, serde = csv_table("name|colour\nsky|blue\ngrass|green\n")
    assert [c["Name"] for c in columns] == ["col1", "col2"] and serde == {"field.delim": "|"}
    with pytest.raises(CrawlError, match="no delimiter gives two columns and two rows"):
        csv_table("just one column\nand more\n")


def test_arrow_types_are_named_as_the_catalog_names_them() -> None:
    kinds = [pa.int32(), pa.int64(), pa.float64(), pa.string(), pa.timestamp("us"), pa.list_(pa.string())]
    assert [hive_type(k) for k in kinds] == ["int", "bigint", "double", "string", "timestamp", "array<string>"]


@pytest.fixture
def stack_bucket() -> Iterator[tuple[Any, str]]:
    with offline_aws():
        bucket = Template.read(REPO / "template.yaml").names["DataBucket"]
        parameters = {"CrawlerS3Path": f"s3://{bucket}/raw/events/", "ItemsSource": "none", "UsersSource": "none"}
        stack = deploy_stack(parameters={**parameters, "InteractionsSource": f"s3://{bucket}/raw/events/"})
        yield stack, bucket


def test_a_crawl_makes_the_table_and_versions_it_only_when_the_data_changes(stack_bucket: tuple[Any, str]) -> None:
    stack, bucket = stack_bucket
    glue = boto3.client("glue")
    name = stack.name("SourceCrawler")
    frame = pd.DataFrame({"user": ["u1", "u2"], "item": ["i1", "i2"], "ts": [1, 2]})
    wr.s3.to_parquet(frame, f"s3://{bucket}/raw/events/part-0.parquet")
    boto3.client("s3").put_object(Bucket=bucket, Key="raw/events/_SUCCESS", Body=b"")  # excluded by the stack

    glue.start_crawler(Name=name)
    glue.start_crawler(Name=name)  # nothing changed: no new version
    table = glue.get_table(DatabaseName=DATABASE, Name="events")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["user", "item", "ts"]
    assert table["Parameters"]["classification"] == "parquet"
    assert len(glue.get_table_versions(DatabaseName=DATABASE, TableName="events")["TableVersions"]) == 1
    assert glue.get_crawler(Name=name)["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"

    wr.s3.to_parquet(frame.assign(extra=1.5), f"s3://{bucket}/raw/events/part-0.parquet")
    glue.start_crawler(Name=name)
    assert len(glue.get_table_versions(DatabaseName=DATABASE, TableName="events")["TableVersions"]) == 2


def test_the_crawl_runs_as_the_crawlers_role(stack_bucket: tuple[Any, str]) -> None:
    # GIVEN the stack's crawler role, which may write tables in its own database only, WHEN a crawler with that role
    # targets another database THEN the crawl FAILS with the denial
    stack, bucket = stack_bucket
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "elsewhere"})
    wr.s3.to_parquet(pd.DataFrame({"a": [1], "b": [2]}), f"s3://{bucket}/raw/events/part-0.parquet")
    role = glue.get_crawler(Name=stack.name("SourceCrawler"))["Crawler"]["Role"]
    glue.create_crawler(
        Name="rogue",
        Role=role,
        DatabaseName="elsewhere",
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/raw/events/"}]},
    )

    glue.start_crawler(Name="rogue")

    last = glue.get_crawler(Name="rogue")["Crawler"]["LastCrawl"]
    assert last["Status"] == "FAILED" and "AccessDenied" in last["ErrorMessage"]
