"""A small run history for the report's tests: five runs of two solutions over five days, as the training state
machine returns them (DescribeExecution, its output the summary Notify writes) with their export manifests: a first
deploy, a version the gate rejects, a failed run, and rows rejected by the export on two runs. Then three runs of a
VIDEO_ON_DEMAND group's recommenders (params/vod.json's): created and gated, reused unchanged, and a new top-picks
model the gate rejects while the served one stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from autopersonalize import history

NDCG, MRR, COVERAGE = (
    "normalized_discounted_cumulative_gain_at_10",
    "mean_reciprocal_rank_at_25",
    "coverage",
)
START = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
ARN = "arn:aws:states:us-east-1:123456789012:execution:ap-training:"
VERSION = "arn:aws:personalize:us-east-1:123456789012:solution/ap-demo-{}/{}"
RECOMMENDER = "arn:aws:personalize:us-east-1:123456789012:recommender/ap-vod-{}-{}"
VOD_GATE = {"top-picks": NDCG, "more-like-x": COVERAGE}  # params/vod.json's metricsGate: the metric with a minimum


def _solution(name: str, day: int, ndcg: float, minimum: float | None) -> dict[str, Any]:
    passed = minimum is None or ndcg >= minimum
    checks = [{"metric": NDCG, "value": ndcg, "minimum": minimum, "passed": passed}] if minimum is not None else []
    return {
        "solution": name,
        "solutionVersionArn": VERSION.format(name, f"v{day:07d}"),
        "trainingMode": "FULL",
        "metrics": {NDCG: ndcg, MRR: ndcg * 0.8, COVERAGE: 0.3 + day / 50},
        "passed": passed,
        "reasons": [] if passed else [f"{NDCG} {ndcg:.3f} < minimum {minimum:.3f}"],
        "checks": checks,
    }


def executions() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(execution, export manifest) per run, oldest first."""
    runs = []
    plan = [  # day, NDCG of user-personalization, its minimum, NDCG of popularity, rows rejected
        (0, 0.21, 0.15, 0.05, 0),
        (1, 0.23, 0.15, 0.06, 12),
        (2, 0.12, 0.15, 0.05, 0),
        (3, None, None, None, 0),
        (4, 0.25, 0.2, 0.06, 40),
    ]
    for day, personal, minimum, popular, rejected in plan:
        started = START + timedelta(days=day)
        execution: dict[str, Any] = {
            "executionArn": f"{ARN}run-{day}",
            "name": f"run-{day}",
            "startDate": started,
            "stopDate": started + timedelta(seconds=95 + 10 * day),
        }
        if personal is None or popular is None:
            execution |= {"status": "FAILED", "error": "ResourceFailedError", "cause": "import job failed"}
        else:
            solutions = [
                _solution("user-personalization", day, personal, minimum),
                _solution("popularity", day, popular, None),
            ]
            outcome = "DEPLOYED" if all(s["passed"] for s in solutions) else "REJECTED"
            imports = [{"datasetType": "Interactions", "rowsCounted": 20_000 + 500 * day}]
            execution |= {
                "status": "SUCCEEDED",
                "output": {"outcome": outcome, "datasetGroup": "demo", "solutions": solutions, "imports": imports},
            }
        manifest = {
            "runId": f"export-{day}",
            "datasets": {
                "interactions": {"rowsWritten": 20_000 + 500 * day, "rowsRejected": rejected},
                "items": {"rowsWritten": 400, "rowsRejected": 0},
            },
        }
        runs.append((execution, manifest))
    return runs


def records() -> list[dict[str, Any]]:
    return [history.record_of(e, m, source="demo", dataset_group="demo") for e, m in executions()]


def _recommender(name: str, day: int, action: str, served: str | None, minimum: float | None) -> dict[str, Any]:
    """A recommender as Notify's summary gives it: what the run did, its modelMetrics, the gate's decision (a check on
    the gated metric for a new model, none for one reused)."""
    arn = served if action == "unchanged" else RECOMMENDER.format(name, f"run-{day}")
    made = int(str(arn).rsplit("-", 1)[-1])  # an unchanged recommender's metrics are the served one's
    metrics = {NDCG: 0.1 + made / 100, COVERAGE: 0.2 + made / 100}
    checked = VOD_GATE.get(name) if action != "unchanged" else None
    passed = not (checked and minimum is not None and metrics[checked] < minimum)
    checks = [{"metric": checked, "value": metrics[checked], "minimum": minimum, "passed": passed}] if checked else []
    return {
        "recommender": name,
        "recipe": f"aws-vod-{name}",
        "action": action if passed else "rejected",
        "recommenderArn": arn,
        "servedArn": served,
        "metrics": metrics,
        "passed": passed,
        "reasons": [] if passed else [f"{checked} {metrics[checked]:.3f} < minimum {minimum:.3f}"],
        "checks": checks,
        "notes": [] if checked or action != "unchanged" else ["no new model (unchanged): the served recommender stays"],
    }


def recommender_executions() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(execution, export manifest) per run of the vod group, oldest first, the days after executions()'."""
    first = {name: RECOMMENDER.format(name, "run-5") for name in ("top-picks", "more-like-x", "most-popular")}
    plan = [  # day, action of each recommender, the top-picks minimum
        (5, {name: ("created", None) for name in first}, 0.01),
        (6, {name: ("unchanged", first[name]) for name in first}, 0.01),
        (7, {"top-picks": ("candidate", first["top-picks"]), "more-like-x": ("unchanged", first["more-like-x"]),
             "most-popular": ("unchanged", first["most-popular"])}, 0.99),
    ]  # fmt: skip
    runs = []
    for day, actions, top_minimum in plan:
        started = START + timedelta(days=day)
        minimums = {"top-picks": top_minimum, "more-like-x": 0.01, "most-popular": None}
        found = [_recommender(n, day, action, served, minimums[n]) for n, (action, served) in actions.items()]
        outcome = "DEPLOYED" if all(r["passed"] for r in found) else "REJECTED"
        execution = {
            "executionArn": f"{ARN}vod-{day}",
            "name": f"vod-{day}",
            "startDate": started,
            "stopDate": started + timedelta(seconds=300),
            "status": "SUCCEEDED",
            "output": {"outcome": outcome, "datasetGroup": "vod", "solutions": [], "recommenders": found},
        }
        manifest = {"runId": f"export-{day}", "datasets": {"interactions": {"rowsWritten": 100_836, "rowsRejected": 0}}}
        runs.append((execution, manifest))
    return runs


def recommender_records() -> list[dict[str, Any]]:
    return [history.record_of(e, m, source="run", dataset_group="vod") for e, m in recommender_executions()]
