"""params/vod.json offline end to end: a VIDEO_ON_DEMAND dataset group on MovieLens, its recommenders created, gated,
published and served through get_recommendations by name ("source": "recommender"), with the exact command of issue
15, the run's history record holding the recommenders that `report --html` draws; and a new model the gate rejects,
which leaves the served recommender and its SSM parameter as they were."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import boto3
import pandas as pd
import pytest

from autopersonalize import history, pipeline, report, run_params, userdata
from autopersonalize.cli import main
from autopersonalize.commands import run_sources
from autopersonalize.local import offline_aws
from tests.browser import dump_dom
from tests.e2e.test_segments_run import movielens_shaped

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
VOD = REPO / "params" / "vod.json"
MOVIELENS = REPO.parent / "shared" / "data" / "movielens-latest-small"
MAP = "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp,GENRES=genres"
RECOMMENDERS = ["top-picks", "more-like-x", "most-popular"]


def test_the_vod_example_runs_movielens_to_served_recommenders(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(REPO)  # the command as issue 15 gives it, run from the repository's root
    monkeypatch.setenv("AUTOPERSONALIZE_HISTORY", str(tmp_path / "history.jsonl"))  # this run's history only
    code = main(
        [
            "run", "--params", "params/vod.json",
            "--interactions", "../shared/data/movielens-latest-small/ratings.csv",
            "--items", "../shared/data/movielens-latest-small/movies.csv",
            "--map", MAP,
            "--json",
        ]
    )  # fmt: skip

    document = json.loads(capsys.readouterr().out)
    assert code == 0 and document["outcome"] == "DEPLOYED", document.get("cause")
    assert document["imports"][0]["rowsCounted"] == 100836  # every MovieLens rating, each a Watch event
    assert 'the interactions have no EVENT_TYPE column: every row gets "Watch"' in document["assumptions"][0]
    assert "the items have no CREATION_TIMESTAMP column: every row gets 788918400" in document["assumptions"][1]
    found = {r["recommender"]: r for r in document["recommenders"]}
    assert list(found) == RECOMMENDERS
    for name, result in found.items():
        assert result["action"] == "created" and result["status"] == "ACTIVE", name
        assert result["passed"] is True and result["metrics"]["coverage"] > 0, name
    assert len(document["resources"]["recommenders"]) == 3
    served = document["servedRecommenders"]
    assert {s["recommender"] for s in served} == set(RECOMMENDERS)
    for answer in served:
        assert answer["status"] == 200 and answer["source"] == "recommender", answer
        assert len(answer["recommendations"]) == 10, answer
    related = [s for s in served if s["recommender"] == "more-like-x"]
    assert all(s["route"] == "related-items" and s["itemId"] == s["recentInteractions"][-1] for s in related)
    watched = pd.read_csv(MOVIELENS / "ratings.csv", usecols=["movieId"], dtype=str)["movieId"].value_counts()
    popular = [s["recommendations"] for s in served if s["recommender"] == "most-popular"]
    assert all(p[0] == watched.index[0] for p in popular)  # the most watched film (every rating is a Watch event)

    [record] = history.read(tmp_path / "history.jsonl").records  # what `report --html` draws of the run
    assert (record["datasetGroup"], record["outcome"], record["solutions"]) == ("vod", "DEPLOYED", [])
    kept = {r["recommender"]: r for r in record["recommenders"]}
    assert list(kept) == RECOMMENDERS
    for name, result in found.items():
        assert (kept[name]["recommenderArn"], kept[name]["metrics"]) == (result["recommenderArn"], result["metrics"])
        assert (kept[name]["action"], kept[name]["passed"]) == ("created", True)
    gated = {name: {(c["metric"], c["minimum"]) for c in r["checks"] if c["minimum"]} for name, r in kept.items()}
    assert gated == {  # params/vod.json's metricsGate minimums; most-popular has none
        "top-picks": {("normalized_discounted_cumulative_gain_at_10", 0.01)},
        "more-like-x": {("coverage", 0.01)},
        "most-popular": set(),
    }
    page = tmp_path / "report.html"
    assert main(["report", "--html", str(page)]) == 0
    drawn = re.search(r'id="chart-2".*?(?=<h2>)', dump_dom(page, tmp_path / "profile"), re.S)
    assert drawn is not None  # the Recommenders section's chart
    assert all(f">{name}<" in drawn.group(0) for name in RECOMMENDERS)
    assert "gate minimum: coverage" in drawn.group(0)


def test_a_rejected_new_model_leaves_the_served_recommender_and_its_parameter(tmp_path: Path) -> None:
    ratings, movies = movielens_shaped(tmp_path)
    prepared = run_params.prepare(VOD, frozenset({"interactions", "items"}))  # the CLI's check of --params
    inputs = userdata.open_inputs({"interactions": ratings, "items": movies}, map=MAP)
    plan = userdata.plan(inputs, prepared, default_params=False)
    with offline_aws("immediate"):
        first = pipeline.run(
            run_sources(plan), plan.template, dataset_group="vod", schemas=plan.schemas, settings=plan.settings
        )
        assert first.execution["output"]["outcome"] == "DEPLOYED", first.execution
        ssm, bucket = boto3.client("ssm"), first.stack.bucket
        parameter = f"/{first.stack.ref('Prefix')}/vod/recommenders/top-picks"
        served = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]

        published = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key="params/vod.json")["Body"].read())
        changed = copy.deepcopy(published)
        top_picks = changed["recommenders"][0]
        top_picks["recommenderConfig"]["trainingDataConfig"] = {"excludedDatasetColumns": {"Items": ["GENRES"]}}
        changed["metricsGate"][0]["minimums"] = {"normalized_discounted_cumulative_gain_at_10": 0.99}
        second = first.stack.wait(first.stack.put_params("vod", changed))

        output = second["output"]
        assert second["status"] == "SUCCEEDED" and output["outcome"] == "REJECTED"
        results = {r["recommender"]: r for r in output["recommenders"]}
        assert results["top-picks"]["action"] == "rejected" and results["top-picks"]["servedArn"] == served
        assert results["top-picks"]["reasons"][0].endswith("< minimum 0.990")
        assert results["more-like-x"]["action"] == results["most-popular"]["action"] == "unchanged"
        assert ssm.get_parameter(Name=parameter)["Parameter"]["Value"] == served
        personalize = boto3.client("personalize")
        assert personalize.describe_recommender(recommenderArn=served)["recommender"]["status"] == "ACTIVE"
        names = [r["recommenderArn"] for r in personalize.list_recommenders()["recommenders"]]
        assert results["top-picks"]["recommenderArn"] not in names or (
            personalize.describe_recommender(recommenderArn=results["top-picks"]["recommenderArn"])["recommender"][
                "status"
            ].startswith("DELETE")
        )
        answers = report.served_recommenders(first.stack, "vod", [{**results["top-picks"], "action": "unchanged"}])
        assert answers and all(a["status"] == 200 and a["source"] == "recommender" for a in answers)
        assert (
            "top-picks: new aws-vod-top-picks recommender REJECTED and deleted"
            in first.stack.notifications()[-1]["message"]
        )

        teardown = first.stack.wait(first.stack.start("TeardownStateMachine", {"datasetGroup": "vod"}), timeout=300)
        assert teardown["status"] == "SUCCEEDED", teardown  # each phase as its own role: recommenders first
        assert personalize.list_recommenders()["recommenders"] == []
        assert personalize.list_dataset_groups()["datasetGroups"] == []
