"""`autopersonalize experiment report|promote|end` against offline AWS as a deployed stack holds an experiment (its SSM
parameter and its counts), and the emulator refusing a PutEvents attribution Personalize refuses."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from test_emulator_support import dataset_group, engine_ready, error_of  # noqa: F401

from autopersonalize import cli
from autopersonalize.local import offline_aws

TABLE = "ap-experiments"
DOCUMENT = {
    "name": "v2",
    "datasetGroup": "shop",
    "campaign": "home",
    "round": "abc123",
    "earlierRounds": [],
    "startedAt": "2026-12-01T00:00:00+00:00",
    "trafficShare": 0.5,
    "conversionEventType": "purchase",
    "minimumDetectableEffect": 0.5,
    "alpha": 0.05,
    "power": 0.8,
    "champion": {"campaignArn": "arn:aws:personalize:us-east-1:123456789012:campaign/ap-shop-home"},
    "challenger": {
        "campaign": "home-v2",
        "campaignArn": "arn:aws:personalize:us-east-1:123456789012:campaign/ap-shop-home-v2",
        "solutionVersionArn": "arn:aws:personalize:us-east-1:123456789012:solution/ap-shop-up/abc123",
    },
}


@pytest.fixture
def stack() -> Iterator[Any]:
    with offline_aws("immediate"):
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "userId")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "userId", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("ssm").put_parameter(Name="/ap/shop/experiments/home", Value=json.dumps(DOCUMENT), Type="String")
        counts = [("champion", 10, 1), ("challenger", 10, 3)]  # (variant, users, of them with a purchase)
        for variant, users, bought in counts:
            for n in range(users):
                item = {"pk": {"S": "shop#v2#abc123"}, "userId": {"S": f"{variant}-{n}"}, "variant": {"S": variant}}
                item["event:click"] = {"N": "2"}
                if n < bought:
                    item["event:purchase"] = {"N": "1"}
                dynamodb.put_item(TableName=TABLE, Item=item)
        yield dynamodb


def test_report_prints_each_variants_numbers_and_the_verdict(stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["experiment", "report", "v2", "--prefix", "ap", "--json"]) == 0
    readout = json.loads(capsys.readouterr().out)
    assert readout["variants"]["champion"] == {
        "users": 10,
        "converted": 1,
        "conversionRate": 0.1,
        "interval": pytest.approx([0.0179, 0.4042], abs=1e-4),  # Wilson at 95 %: Newcombe (1998), table I
        "events": {"click": 20, "purchase": 1},
    }
    assert readout["variants"]["challenger"]["converted"] == 3
    assert readout["verdict"] == "not enough data"
    assert readout["neededUsers"] == {"champion": 686, "challenger": 686}  # 10 % -> 15 %: the textbook's 686
    assert readout["usersStillNeeded"] == {"champion": 676, "challenger": 676}


def test_report_as_a_table_says_how_many_users_are_still_needed(stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["experiment", "report", "v2"]) == 0
    out = capsys.readouterr().out
    assert "Experiment v2 on shop/home" in out
    assert "676 more champion and 676 more challenger users are needed" in " ".join(out.split())


def test_report_of_an_unknown_experiment_names_what_runs(stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["experiment", "report", "v3"]) == 2
    err = capsys.readouterr().err
    assert "no experiment 'v3' is running under /ap/ (running: shop/v2)" in err


def test_promote_and_end_need_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["experiment", "promote"]) == 2
    assert "experiment promote needs the experiment's NAME" in capsys.readouterr().err
    assert cli.main(["experiment", "simulate"]) == 2
    assert "experiment simulate needs --params FILE" in capsys.readouterr().err


def test_end_deletes_the_parameter_and_the_counts(stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["experiment", "end", "v2", "--json"]) == 0
    outcome = json.loads(capsys.readouterr().out)["outcome"]
    assert outcome == {"experiment": "v2", "action": "ended", "solutionVersionArn": None}
    assert boto3.client("ssm").get_parameters_by_path(Path="/ap/", Recursive=True)["Parameters"] == []
    assert stack.scan(TableName=TABLE)["Count"] == 0


def test_emulator_refuses_a_put_events_attribution_personalize_refuses(engine_ready: Any) -> None:  # noqa: F811
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        group = dataset_group(pz, s3)["group"]
        tracking = pz.create_event_tracker(name="events", datasetGroupArn=group)["trackingId"]
        events = boto3.client("personalize-events")

        def put(source: str) -> None:
            event = {"itemId": "i1", "eventType": "click", "sentAt": time.time()}
            event["metricAttribution"] = {"eventAttributionSource": source}
            events.put_events(trackingId=tracking, userId="u0", sessionId="s", eventList=[event])

        put("home-v2")  # a campaign name: printable ASCII, at most 1024 (MetricAttribution, API reference)
        for bad in ("   ", "caf\u00e9", "x" * 1025):
            with pytest.raises(ClientError) as caught:
                put(bad)
            assert error_of(caught)[0] == "InvalidInputException", bad
