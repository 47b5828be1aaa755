"""Glue workflows offline: moto stores workflows and triggers but runs nothing; this walks the trigger graph.

`StartWorkflowRun` runs the actions (jobs and crawlers) of the ON_DEMAND/SCHEDULED trigger, then every CONDITIONAL
trigger whose predicate holds (all or any of its watched jobs and crawlers in the wanted State / CrawlState, as
AWS::Glue::Trigger's Condition names them), until nothing more fires. Jobs get `--WORKFLOW_NAME` and
`--WORKFLOW_RUN_ID` as on AWS; crawlers crawl at once (glue_crawler). The run ends COMPLETED (Glue's word even when a
job failed) with per-action statistics.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import utcnow
from moto.glue import models as glue_models

from autopersonalize.local import glue_crawler

_original_start_workflow_run = glue_models.GlueBackend.start_workflow_run


def _watched(condition: dict[str, Any]) -> tuple[tuple[str, str], str]:
    """((kind, name), wanted state) of a predicate condition: a job's State or a crawler's CrawlState."""
    if "CrawlerName" in condition:
        return ("crawler", condition["CrawlerName"]), condition.get("CrawlState", "SUCCEEDED")
    return ("job", condition.get("JobName", "")), condition.get("State", "SUCCEEDED")


def _predicate_holds(trigger: Any, states: dict[tuple[str, str], str]) -> bool:
    predicate = trigger.predicate.as_dict() if trigger.predicate else {}
    conditions = [_watched(c) for c in predicate.get("Conditions", [])]
    results = [states.get(action) == wanted for action, wanted in conditions]
    return bool(results) and (any(results) if predicate.get("Logical") == "ANY" else all(results))


def _run_action(backend: Any, action: dict[str, Any], workflow_name: str, run_id: str) -> tuple[tuple[str, str], str]:
    """Run one trigger action to its end: ((kind, name), final state)."""
    if "CrawlerName" in action:
        crawler = backend.crawlers[action["CrawlerName"]]
        crawler.start_crawler()
        return ("crawler", crawler.name), glue_crawler.last_state(crawler)
    job = backend.jobs[action["JobName"]]
    arguments = {**(action.get("Arguments") or {}), "--WORKFLOW_NAME": workflow_name, "--WORKFLOW_RUN_ID": run_id}
    job_run_id = job.start_job_run(None, None, None, None, None, None, None, None, arguments)
    return ("job", job.name), job.get_job_run(job_run_id).status


def _run_graph(backend: Any, workflow_name: str, run_id: str) -> None:
    triggers = [t for t in backend.triggers.values() if t.workflow_name == workflow_name]
    pending = [t for t in triggers if t.trigger_type in ("ON_DEMAND", "SCHEDULED")]
    fired: set[str] = set()
    states: dict[tuple[str, str], str] = {}
    while pending:
        trigger = pending.pop(0)
        fired.add(trigger.name)
        for action in (a.as_dict() for a in trigger.actions):
            watched, state = _run_action(backend, action, workflow_name, run_id)
            states[watched] = state
        pending += [
            t
            for t in triggers
            if t.trigger_type == "CONDITIONAL"
            and t.name not in fired
            and t not in pending
            and _predicate_holds(t, states)
        ]
    run = backend.workflows[workflow_name].get_run(run_id)
    run.statistics = {
        "TotalActions": len(states),
        "SucceededActions": sum(s == "SUCCEEDED" for s in states.values()),
        "FailedActions": sum(s == "FAILED" for s in states.values()),
    }
    run.status, run.completed_on = "COMPLETED", utcnow()


def _start_workflow_run(self: Any, workflow_name: str, properties: dict[str, str] | None) -> str:
    run_id: str = _original_start_workflow_run(self, workflow_name, properties)
    _run_graph(self, workflow_name, run_id)
    return run_id


_original_run_as_dict = glue_models.FakeWorkflowRun.as_dict


def _run_as_dict(self: Any) -> dict[str, Any]:
    data: dict[str, Any] = _original_run_as_dict(self)
    if getattr(self, "statistics", None):
        data["Statistics"] = self.statistics
    return data


def install() -> None:
    glue_crawler.install()
    glue_models.GlueBackend.start_workflow_run = _start_workflow_run  # type: ignore[method-assign]
    glue_models.FakeWorkflowRun.as_dict = _run_as_dict  # type: ignore[method-assign]
