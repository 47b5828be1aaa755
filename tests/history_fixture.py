"""A small run history for the report's tests: five runs of two solutions over five days, as the training state
machine returns them (DescribeExecution, its output the summary Notify writes) with their export manifests: a first
deploy, a version the gate rejects, a failed run, and rows rejected by the export on two runs."""

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
