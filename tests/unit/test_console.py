"""What `demo` and `run` print: the live steps and the end-of-run report, rendered from a run document."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from autopersonalize.console import LiveSteps, render_report, state_name

NDCG = "normalized_discounted_cumulative_gain_at_10"


def _document(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "outcome": "DEPLOYED",
        "wallSeconds": 9.5,
        "resources": {"datasetGroup": ["arn:aws:personalize:us-east-1:1:dataset-group/ap-demo"], "campaigns": []},
        "export": {
            "datasets": {
                "interactions": {"rowsRead": 1203, "rowsWritten": 1200, "rowsRejected": 2, "duplicatesRemoved": 1},
                "items": {"rowsRead": 40, "rowsWritten": 40, "rowsRejected": 0, "duplicatesRemoved": 0},
            }
        },
        "imports": [
            {"datasetType": "Interactions", "action": "started", "status": "ACTIVE", "rowsCounted": 1200},
            {"datasetType": "Items", "action": "reused", "status": "ACTIVE", "rowsCounted": None},
        ],
        "metrics": {"up": {NDCG: 0.31}, "pop": {NDCG: 0.07}},
        "gate": [{"solution": "up", "passed": True, "checks": [{"metric": NDCG, "minimum": 0.05, "passed": True}]}],
        "notifications": ["autopersonalize demo: DEPLOYED"],
        "recommendations": [
            {"campaign": "ap-demo-up", "userId": "u1", "recentInteractions": ["i1"], "recommendations": ["i2", "i3"]}
        ],
    }
    document.update(overrides)
    return document


def _render(document: dict[str, Any]) -> str:
    console = Console(record=True, width=160, color_system=None)
    render_report(console, document)
    return console.export_text()


def _row(text: str, first_cell: str) -> list[str]:
    """The cells of the table row that starts with `first_cell`."""
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{text}")


def test_report_shows_exported_rejected_rows_and_what_each_import_job_reports() -> None:
    text = _render(_document())
    assert _row(text, "interactions") == ["interactions", "1203", "1200", "2", "1", "ACTIVE (started)", "~1200"]
    assert _row(text, "items") == ["items", "40", "40", "0", "0", "ACTIVE (reused)", "-"]
    assert "Personalize reports no record counts for an import" in " ".join(text.split())


def test_report_shows_a_failed_import_jobs_status() -> None:
    failed = [{"datasetType": "Interactions", "action": "started", "status": "CREATE FAILED", "rowsCounted": 1200}]
    text = _render(_document(imports=failed))
    assert _row(text, "interactions")[5:] == ["CREATE FAILED (started)", "~1200"]
    assert _row(text, "items")[5:] == ["-", "-"]


def test_report_shows_the_gate_outcome_and_the_sns_notification() -> None:
    text = _render(_document())
    assert "0.3100 (min 0.050)" in text
    assert "Outcome: DEPLOYED" in text
    assert "SNS notification sent: autopersonalize demo: DEPLOYED" in text
    assert "u1" in text and "i2 i3" in text


def test_report_of_a_rejected_run_gives_the_gate_reasons() -> None:
    gate = [{"solution": "up", "passed": False, "reasons": ["NDCG@10 0.01 < minimum 0.05"], "checks": []}]
    text = _render(_document(outcome="REJECTED", gate=gate))
    assert "Outcome: REJECTED" in text
    assert "gate up: NDCG@10 0.01 < minimum 0.05" in text


def test_report_of_a_failed_run_gives_the_error_and_cause() -> None:
    text = _render(_document(outcome="FAILED", error="InsufficientDataError", cause="200 interaction rows"))
    assert "Failed: InsufficientDataError: 200 interaction rows" in text


def test_live_steps_count_calls_and_mark_failures() -> None:
    steps = LiveSteps()
    steps.on_event("lambda", "ap-CheckTraining", "start", {})
    steps.on_event("lambda", "ap-CheckTraining", "end", {})
    steps.on_event("lambda", "ap-CheckTraining", "start", {})
    steps.on_event("lambda", "ap-CheckTraining", "fail", {"errorType": "ResourceConflictError"})
    steps.on_event("glue", "ap-export-items", "start", {})
    assert steps.rows["Check Training"]["calls"] == 2
    assert steps.rows["Check Training"]["status"] == "failed"
    assert steps.rows["Check Training"]["error"] == "ResourceConflictError"
    assert steps.rows["Glue job ap-export-items"]["status"] == "running"
    assert state_name("ap-CreateSolutionVersion") == "Create Solution Version"


REJECTED = {
    "interactions": {
        "rowsRejected": 7,
        "rejectedByReason": {"TIMESTAMP:not_a_timestamp": 1, "USER_ID:missing_required_value": 6},
        "rejectedLocation": "s3://bucket/exports/run-1/rejected/interactions/",
        "examples": {
            "TIMESTAMP:not_a_timestamp": [{"USER_ID": "u1", "ITEM_ID": "[bold]i1", "TIMESTAMP": "soon"}],
            "USER_ID:missing_required_value": [
                {"USER_ID": "", "ITEM_ID": f"i{n}", "TIMESTAMP": "1700000000"} for n in range(2, 7)
            ],
        },
    }
}


def test_report_shows_rejected_rows_by_reason_with_a_few_examples() -> None:
    text = _render(_document(rejected=REJECTED))
    assert "TIMESTAMP:not_a_timestamp" in text
    assert "USER_ID=u1 ITEM_ID=[bold]i1 TIMESTAMP=soon" in text  # user data is shown as is, never as markup
    assert 'USER_ID="" ITEM_ID=i2 TIMESTAMP=1700000000' in text
    assert "ITEM_ID=i4 " in text and "ITEM_ID=i5 " not in text  # three examples per reason on screen


def test_report_counts_each_rejection_reason() -> None:
    text = _render(_document(rejected=REJECTED))
    reasons = [line for line in text.splitlines() if "missing_required_value" in line or "not_a_timestamp" in line]
    assert [[c.strip() for c in line.split("│")[1:-1]][1:3] for line in reasons] == [
        ["TIMESTAMP:not_a_timestamp", "1"],
        ["USER_ID:missing_required_value", "6"],
    ]


def test_report_without_rejected_rows_has_no_rejected_table() -> None:
    text = _render(_document(rejected={}))
    assert "Rejected rows" not in text


def test_report_says_what_was_assumed_before_the_tables() -> None:
    assumptions = ["dataset group name 'run'", "EVENT_TYPE 'interaction' for every interaction"]
    text = _render(_document(assumptions=assumptions))
    lines = text.splitlines()
    assert lines[:2] == [f"Assumed: {a}" for a in assumptions]


def test_report_shows_each_recommender_its_gate_and_its_answers_through_the_handler() -> None:
    rejected = {
        "recommender": "top-picks",
        "recipe": "aws-vod-top-picks",
        "action": "rejected",
        "status": None,
        "metrics": {NDCG: 0.21},
        "passed": False,
        "checks": [{"metric": NDCG, "minimum": 0.99, "passed": False}],
    }
    popular = {"recommender": "popular", "recipe": "aws-vod-most-popular", "action": "unchanged", "status": "ACTIVE"}
    answers = [
        {"recommender": "popular", "userId": "u1", "status": 200, "recentInteractions": ["m1"],
         "recommendations": ["m2"]},
        {"recommender": "more", "userId": "u1", "itemId": "m1", "status": 404, "recentInteractions": ["m1"],
         "recommendations": []},
    ]  # fmt: skip
    text = _render(_document(recommendations=[], recommenders=[rejected, popular], servedRecommenders=answers))

    assert _row(text, "top-picks")[:5] == [
        "top-picks",
        "aws-vod-top-picks",
        "rejected",
        "deleted",
        "0.2100 (min 0.990)",
    ]
    assert _row(text, "top-picks")[-1] == "REJECTED"
    assert _row(text, "popular")[:4] == ["popular", "aws-vod-most-popular", "unchanged", "ACTIVE"]
    assert _row(text, "more")[1:] == ["u1, item m1", "m1", "HTTP 404"]
    assert "Recommendations (top 10) next to recent interactions" not in text  # no campaign in this run
