"""What `demo` and `run` show: a live view of each Glue job and state as it runs, then the run's report as tables."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from autopersonalize.local import patches

STYLE = {"running": "yellow", "done": "green", "failed": "bold red"}


def state_name(function_name: str) -> str:
    """`ap-CreateSolutionVersion` -> `Create Solution Version` (the template's naming chain, read backwards)."""
    logical = function_name.split("-", 1)[-1]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", logical)


class LiveSteps:
    """Rows of (step, status, calls, seconds), updated from the offline stack's Lambda and Glue events."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.started = time.monotonic()
        self._lock = threading.Lock()  # events come from the interpreter's threads, rendering from the main one

    def on_event(self, kind: str, name: str, phase: str, detail: dict[str, Any]) -> None:
        with self._lock:
            self._record(kind, name, phase, detail)

    def _record(self, kind: str, name: str, phase: str, detail: dict[str, Any]) -> None:
        label = f"Glue job {name}" if kind == "glue" else state_name(name)
        row = self.rows.setdefault(label, {"status": "running", "calls": 0, "seconds": 0.0, "since": 0.0})
        if phase == "start":
            row.update(status="running", since=time.monotonic())
            row["calls"] += 1
        else:
            row["seconds"] += time.monotonic() - row["since"]
            row["status"] = "failed" if phase == "fail" else "done"
            if phase == "fail":
                row["error"] = detail.get("errorType") or detail.get("errorMessage", "")

    def render(self) -> Table:
        table = Table(title=f"Pipeline ({time.monotonic() - self.started:5.1f} s)", title_justify="left")
        for column in ("step", "status", "calls", "seconds"):
            table.add_column(column, justify="right" if column in ("calls", "seconds") else "left")
        with self._lock:
            rows = [(label, dict(row)) for label, row in self.rows.items()]
        for label, row in rows:
            status = Text(
                row["status"] + (f" ({row['error']})" if row.get("error") else ""), style=STYLE[row["status"]]
            )
            table.add_row(label, status, str(row["calls"]), f"{row['seconds']:.2f}")
        return table


@contextmanager
def live_view(console: Console) -> Iterator[LiveSteps]:
    """Show each step as it starts and ends while the body runs (quiet when the console is not a terminal)."""
    steps = LiveSteps()
    patches.LISTENERS.append(steps.on_event)
    try:
        with Live(steps.render(), console=console, refresh_per_second=8, transient=False) as live:
            patches.LISTENERS.append(lambda *_: live.update(steps.render()))
            yield steps
            live.update(steps.render())
    finally:
        console.line()  # a non-terminal Live leaves its last line open: an error after it gets a line of its own
        patches.LISTENERS.clear()


SHOWN_METRICS = {
    "normalized_discounted_cumulative_gain_at_10": "NDCG@10",
    "precision_at_10": "precision@10",
    "mean_reciprocal_rank_at_25": "MRR@25",
    "coverage": "coverage",
}
SEGMENT_METRICS = {"hits_at_1_percent": "hit@1% users", "recall_at_1_percent": "recall@1% users"}
SEGMENT_USERS_SHOWN = 10


def _metrics_table(document: dict[str, Any]) -> Table:
    table = Table(title="Offline metrics (Personalize's split) and the gate", title_justify="left")
    table.add_column("solution")
    metrics = document.get("metrics") or {}
    shown = dict(SHOWN_METRICS)
    if any(set(SEGMENT_METRICS) & set(values) for values in metrics.values()):  # user-segmentation solutions
        shown |= SEGMENT_METRICS
    for label in shown.values():
        table.add_column(label, justify="right")
    table.add_column("gate")
    gates = {g["solution"]: g for g in document.get("gate") or []}
    for solution, values in metrics.items():
        checks = {c["metric"]: c for c in (gates.get(solution, {}).get("checks") or [])}
        cells = [_cell(values.get(metric), checks.get(metric)) for metric in shown]
        table.add_row(solution, *cells, _decision(gates.get(solution)))
    for name, values in (document.get("baselines") or {}).items():  # the export's estimates, not trained models
        cells = [f"{values[m]:.4f}" if m in values else "" for m in shown]
        table.add_row(Text(f"baseline: {name}", style="dim"), *cells, Text("(export)", style="dim"))
    return table


def _cell(value: float | None, check: dict[str, Any] | None) -> str:
    if value is None:
        return "-"
    if not check or check.get("minimum") is None:
        return f"{value:.4f}"
    colour = "green" if check.get("passed") else "red"
    return f"[{colour}]{value:.4f}[/] (min {check['minimum']:.3f})"


def _decision(gate: dict[str, Any] | None) -> str:
    if not gate or not gate.get("checks"):
        return "no gate"
    return "[green]passed[/]" if gate.get("passed") else "[bold red]REJECTED[/]"


def _recommendations_table(document: dict[str, Any]) -> Table:
    table = Table(title="Recommendations (top 10) next to recent interactions", title_justify="left")
    for column in ("campaign", "for", "recent interactions", "recommended"):
        table.add_column(column, overflow="fold")
    for sample in document.get("recommendations") or []:
        who = sample.get("userId") or f"item {sample.get('itemId')}"
        table.add_row(
            sample["campaign"].split("-", 2)[-1],  # <prefix>-<dataset group>-<campaign> -> <campaign>
            who,
            " ".join(sample["recentInteractions"]),
            " ".join(sample["recommendations"]),
        )
    return table


def _recommenders_table(document: dict[str, Any]) -> Table:
    """Each recommender: what the run did, its status now, its metrics against the gate, the decision."""
    table = Table(title="Recommenders (a new one is served only if it passes its gate)", title_justify="left")
    for column in ("recommender", "recipe", "action", "status"):
        table.add_column(column)
    for label in SHOWN_METRICS.values():
        table.add_column(label, justify="right")
    table.add_column("gate")
    for found in document.get("recommenders") or []:
        checks = {c["metric"]: c for c in found.get("checks") or []}
        values = found.get("metrics") or {}
        cells = [_cell(values.get(metric), checks.get(metric)) for metric in SHOWN_METRICS]
        status = found.get("status") or "deleted"
        table.add_row(found["recommender"], found["recipe"], found["action"], status, *cells, _decision(found))
    return table


def _served_table(document: dict[str, Any]) -> Table:
    table = Table(title="Recommenders through get_recommendations (top 10)", title_justify="left")
    for column in ("recommender", "for", "recent interactions", "recommended"):
        table.add_column(column, overflow="fold")
    for sample in document.get("servedRecommenders") or []:
        who = f"{sample['userId']}, item {sample['itemId']}" if sample.get("itemId") else sample["userId"]
        answer = " ".join(sample["recommendations"]) if sample["status"] == 200 else f"HTTP {sample['status']}"
        table.add_row(sample["recommender"], who, " ".join(sample["recentInteractions"]), answer)
    return table


def _segments_table(document: dict[str, Any]) -> Table:
    table = Table(title=f"User segments (first {SEGMENT_USERS_SHOWN} users of each)", title_justify="left")
    for column in ("job", "for", "users", "written to"):
        table.add_column(column, overflow="fold")
    for job in document.get("segments") or []:
        if not job.get("files"):
            table.add_row(str(job["job"]), f"{job.get('action')} {job.get('reason') or ''}".strip(), "", "")
        for found in job.get("files") or []:
            for segment in found["segments"]:
                users = segment.get("usersList")
                shown = " ".join(users[:SEGMENT_USERS_SHOWN]) if users is not None else f"error: {segment['error']}"
                table.add_row(str(job["job"]), json.dumps(segment["input"]), shown, found["file"])
    return table


EXPORT_COLUMNS = ("dataset", "rows read", "written", "rejected", "duplicates", "import job", "rows counted (estimate)")
IMPORT_CAPTION = (
    "import job: its status as Personalize reports it (DescribeDatasetImportJob), and whether this run started or "
    "reused it. Personalize reports no record counts for an import, so 'rows counted (estimate)' is the data rows the "
    "workflow counted in the job's files before starting it ('-': reused, or too big to count)."
)


def _import_cells(entry: dict[str, Any] | None) -> tuple[str, str]:
    """(import job, rows counted) cells of a dataset's import."""
    if entry is None:
        return "-", "-"
    job = " ".join(filter(None, [entry.get("status"), f"({entry['action']})" if entry.get("action") else None]))
    counted = entry.get("rowsCounted")
    return job or "-", "-" if counted is None else f"~{counted}"


def _export_table(document: dict[str, Any]) -> Table:
    table = Table(
        title="Export (Glue) and import", title_justify="left", caption=IMPORT_CAPTION, caption_justify="left"
    )
    for column in EXPORT_COLUMNS:
        table.add_column(column, justify="left" if column in ("dataset", "import job") else "right")
    imports = {str(i.get("datasetType", "")).lower(): i for i in document.get("imports") or []}
    for dataset, numbers in (document.get("export", {}).get("datasets") or {}).items():
        table.add_row(
            dataset,
            str(numbers.get("rowsRead", "")),
            str(numbers.get("rowsWritten", "")),
            str(numbers.get("rowsRejected", "")),
            str(numbers.get("duplicatesRemoved", "")),
            *_import_cells(imports.get(dataset)),
        )
    return table


SHOWN_EXAMPLES = 3  # per reason; the document holds up to report.EXAMPLES_PER_REASON
EMPTY = '""'


def _rejected_table(document: dict[str, Any]) -> Table:
    table = Table(title="Rejected rows by reason, with examples", title_justify="left")
    for column in ("dataset", "reason", "rows", "example rows"):
        table.add_column(column, justify="right" if column == "rows" else "left", overflow="fold")
    for dataset, found in (document.get("rejected") or {}).items():
        examples = found.get("examples") or {}
        for reason, count in (found.get("rejectedByReason") or {}).items():
            rows = [_example(row) for row in (examples.get(reason) or [])[:SHOWN_EXAMPLES]]
            table.add_row(dataset, Text(reason), str(count), Text("\n".join(rows) or "-"))  # Text: data, not markup
    return table


def _example(row: dict[str, str]) -> str:
    """One rejected row, compact: `USER_ID="" ITEM_ID=p1 TIMESTAMP=soon` (an empty value shown as "")."""
    return " ".join(f"{name}={value or EMPTY}" for name, value in row.items())


def render_report(console: Console, document: dict[str, Any]) -> None:
    """The end-of-run summary: what was assumed, resources, rows and rejected rows, metrics vs gate, decision,
    campaign, recommendations."""
    resources = document.get("resources", {})
    counts = Table(title="Personalize resources", title_justify="left")
    counts.add_column("kind")
    counts.add_column("count", justify="right")
    counts.add_column("example ARN", overflow="fold")
    for kind, arns in resources.items():
        counts.add_row(kind, str(len(arns)), arns[0] if arns else "")
    outcome = document.get("outcome", "UNKNOWN")
    colour = {"DEPLOYED": "bold green", "REJECTED": "bold yellow"}.get(outcome, "bold red")
    decision = Text.assemble(("Outcome: ", "bold"), (outcome, colour), f"   ({document.get('wallSeconds', 0):.1f} s)")
    parts: list[Any] = [Text(f"Assumed: {line}", style="cyan") for line in document.get("assumptions") or []]
    parts += [counts, _export_table(document)]
    if document.get("rejected"):
        parts.append(_rejected_table(document))
    parts.append(_metrics_table(document))
    parts += [Text(f"Warning: {line}", style="bold yellow") for line in document.get("warnings") or []]
    parts.append(decision)
    for gate in document.get("gate") or []:
        if gate.get("reasons"):
            parts.append(Text(f"  gate {gate['solution']}: " + "; ".join(gate["reasons"]), style="yellow"))
    if document.get("error"):
        parts.append(Text(f"Failed: {document['error']}: {document.get('cause')}", style="bold red"))
    for subject in document.get("notifications") or []:
        parts.append(Text(f"SNS notification sent: {subject}", style="dim"))
    if document.get("segments"):
        parts.append(_segments_table(document))
    if document.get("recommenders"):
        parts += [_recommenders_table(document), _served_table(document)]
    if document.get("recommendations") or not (document.get("segments") or document.get("recommenders")):
        parts.append(_recommendations_table(document))  # a segments-only or recommenders-only run has no campaign
    console.print(Group(*parts))
