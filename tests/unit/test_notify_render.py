"""The notification text: the export's inflation warnings and baselines beside the models, the lift in gate lines."""

from __future__ import annotations

from workflow.notify import render, summary

NDCG = "normalized_discounted_cumulative_gain_at_10"


def test_notification_shows_baselines_warnings_and_the_lift_check() -> None:
    state = {
        "run": {"datasetGroup": "g", "bucket": "b", "key": "params/g.json", "executionId": "e"},
        "solutions": [
            {
                "solution": "up",
                "action": "created",
                "solutionVersionArn": "arn:v",
                "metrics": {NDCG: 0.81},
                "gate": {
                    "passed": False,
                    "reasons": ["lift"],
                    "checks": [
                        {"metric": NDCG, "value": 0.81, "baseline": 0.857, "minLift": 1.2, "passed": False},
                    ],
                },
            }
        ],
    }
    export = {"baselines": {"estimate": "text", "testUsers": 30, "history": {NDCG: 0.857}}, "inflation": {}}
    warning = "offline metrics will be inflated: 98% of likely test events repeat an item the user already has"

    text = render(summary(state, "REJECTED", [warning], export))

    assert f"      {NDCG} 0.810 (at least 1.2x the better baseline 0.857): FAILED" in text
    assert "Baselines (estimated by the export on Personalize's split definition):\n  history: " in text
    assert f"Warnings:\n  {warning}" in text


def test_notification_says_where_each_segment_job_wrote_and_why_one_was_skipped() -> None:
    state = {
        "run": {"datasetGroup": "g", "bucket": "b", "key": "params/g.json", "executionId": "e"},
        "segments": [
            {"job": "fans", "action": "started", "batchSegmentJobArn": "arn:job", "output": "s3://b/batch/fans/"},
            {"job": "genres", "action": "skipped", "reason": "solution genres did not pass its gate"},
        ],
    }

    data = summary(state, "DEPLOYED", [])
    text = render(data)

    assert [s["job"] for s in data["batchSegments"]] == ["fans", "genres"]
    assert "User segments: fans: started arn:job, written to s3://b/batch/fans/\n" in text
    assert "User segments: genres: skipped (solution genres did not pass its gate)\n" in text


def test_notification_says_how_many_users_a_batch_served_job_answers() -> None:
    state = {
        "run": {"datasetGroup": "g", "bucket": "b", "key": "params/g.json", "executionId": "e"},
        "batch": [
            {"job": "up", "action": "started", "batchInferenceJobArn": "arn:job", "load": {"loaded": 120, "failed": 2}},
            {"job": "plain", "action": "started", "batchInferenceJobArn": "arn:plain"},
        ],
    }

    text = render(summary(state, "DEPLOYED", []))

    assert (
        "Batch inference: up: started arn:job; serves 120 users from DynamoDB, 2 output line(s) with an error skipped"
        in text.splitlines()
    )
    assert "Batch inference: plain: started arn:plain" in text.splitlines()


def test_notification_says_what_each_recommender_serves_and_why_a_new_one_was_rejected() -> None:
    state = {
        "run": {"datasetGroup": "vod", "bucket": "b", "key": "params/vod.json", "executionId": "e"},
        "recommenders": [
            {
                "recommender": "top-picks",
                "recipe": "aws-vod-top-picks",
                "action": "rejected",
                "recommenderArn": "arn:new",
                "servedArn": "arn:old",
                "metrics": {NDCG: 0.2},
                "gate": {
                    "passed": False,
                    "reasons": [f"{NDCG} 0.200 < minimum 0.990"],
                    "checks": [{"metric": NDCG, "value": 0.2, "minimum": 0.99, "passed": False}],
                },
            },
            {
                "recommender": "popular",
                "recipe": "aws-vod-most-popular",
                "action": "candidate",
                "recommenderArn": "arn:p2",
                "servedArn": "arn:p1",
                "gate": {"passed": True},
            },
        ],
        "published": {"parameters": ["/ap/vod/recommenders/popular"], "retiredRecommenders": ["arn:p1"]},
    }

    data = summary(state, "REJECTED", [])
    text = render(data)

    assert (
        f"  top-picks: new aws-vod-top-picks recommender REJECTED and deleted: {NDCG} 0.200 < minimum 0.990; still "
        "served: arn:old\n"
    ) in text
    assert f"      {NDCG} 0.200 (minimum 0.990): FAILED\n" in text
    assert "  popular: candidate, serves arn:p2 (aws-vod-most-popular)\n  replaced and deleted: arn:p1\n" in text
    assert data["retiredRecommenders"] == ["arn:p1"]
