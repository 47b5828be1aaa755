"""`autopersonalize report --html FILE`: one self-contained page of the run history, drawn with plotly.

Four charts and a table: a timeline of the runs (when, how long, how each ended), each solution's offline metrics
per trained version and each recommender's per run, with the gate's minimums drawn in (a rejected model is an x), the
rows each run's export wrote and rejected. plotly.js is inlined once, so the page needs no network when it is opened;
a script error shows in the page instead of an empty chart.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from autopersonalize.errors import PipelineError

OUTCOME_COLOURS = {"DEPLOYED": "#2ca02c", "REJECTED": "#ff7f0e", "FAILED": "#d62728"}
OTHER_COLOUR = "#7f7f7f"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
DATASET_COLOURS = {"interactions": "#1f77b4", "items": "#2ca02c", "users": "#9467bd"}
CONFIG = {"displaylogo": False, "responsive": True}
LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 60, "b": 50}, "hovermode": "closest"}

STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; }
.sub { color: #666; margin-top: 0; } .note { color: #666; font-style: italic; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } .DEPLOYED { color: #2ca02c; } .REJECTED { color: #ff7f0e; } .FAILED { color: #d62728; }
#errors { display: none; background: #fdecea; color: #b71c1c; padding: 8px 12px; border-radius: 4px; }
.warnings { background: #fff8e1; padding: 8px 12px; border-radius: 4px; font-size: 13px; }
"""
# Before plotly.js: any script error on the page is shown at its top (a chart that failed to draw is not just blank).
ERROR_HOOK = """window.addEventListener("error", function (event) {
  var box = document.getElementById("errors");
  box.style.display = "block";
  box.textContent += "A chart failed to draw: " + event.message + "\\n";
});"""


def _label(record: dict[str, Any], number: int) -> str:
    started = datetime.fromisoformat(record["startedAt"])
    return f"#{number} {started:%m-%d %H:%M}"


def _dates_around(figure: go.Figure, records: Sequence[dict[str, Any]]) -> None:
    """A history of one run (or runs started together) gets a day around it on its time axes: plotly would zoom to
    the millisecond around a single date."""
    starts = {r["startedAt"] for r in records}
    if len(starts) == 1:
        moment = datetime.fromisoformat(starts.pop())
        figure.update_xaxes(range=[moment - timedelta(hours=12), moment + timedelta(hours=12)])


def _short(arn: str | None) -> str:
    return (arn or "").rsplit("/", 1)[-1] or "-"


def timeline(records: Sequence[dict[str, Any]]) -> go.Figure:
    """Each run at its start time, its height how long it took, its colour how it ended."""
    figure = go.Figure()
    for outcome in sorted({r["outcome"] for r in records}):
        runs = [(i, r) for i, r in enumerate(records, start=1) if r["outcome"] == outcome]
        figure.add_trace(
            go.Scatter(
                x=[r["startedAt"] for _, r in runs],
                y=[r.get("durationSeconds") for _, r in runs],
                mode="markers",
                name=outcome,
                marker={"size": 14, "color": OUTCOME_COLOURS.get(outcome, OTHER_COLOUR), "line": {"width": 1}},
                text=[
                    f"{_label(r, i)} {r.get('datasetGroup') or ''} ({r.get('source')})<br>{_short(r['execution'])}"
                    + (f"<br>{html.escape(str(r.get('error') or ''))}" if r.get("error") else "")
                    for i, r in runs
                ],
                hovertemplate="%{text}<br>%{y} s<extra>%{fullData.name}</extra>",
            )
        )
    figure.update_layout(title="Runs: when, how long, how they ended", yaxis_title="duration (s)", height=360, **LAYOUT)
    figure.update_yaxes(rangemode="tozero")
    _dates_around(figure, records)
    return figure


@dataclass(frozen=True)
class Gated:
    """What one metrics chart draws: the records' list (`key`) of solutions or recommenders, the field naming each,
    the ARN of the model the gate read, and what a point is."""

    key: str
    name: str
    arn: str
    point: str
    title: str


SOLUTIONS = Gated(
    "solutions",
    "solution",
    "solutionVersionArn",
    "version",
    "Offline metrics per solution and version (x: rejected by the gate; dashed: the gate's minimum)",
)
# A recommender has no versions: a point is the run, its model the recommender the run made (or served, open circle).
RECOMMENDERS = Gated(
    "recommenders",
    "recommender",
    "recommenderArn",
    "recommender",
    "Offline metrics per recommender and run (x: rejected; open: no new model; dashed: the gate's minimum)",
)
NO_NEW_MODEL = frozenset({"unchanged", "updated", "started"})  # recommenders.py: actions that gate no new model


def solution_metrics(records: Sequence[dict[str, Any]]) -> go.Figure | None:
    """One panel per solution: each offline metric of each trained version, and the gate's minimums dashed."""
    return model_metrics(records, SOLUTIONS)


def recommender_metrics(records: Sequence[dict[str, Any]]) -> go.Figure | None:
    """One panel per recommender: each offline metric at each run, and the gate's minimums dashed."""
    return model_metrics(records, RECOMMENDERS)


def _symbol(model: dict[str, Any]) -> str:
    if model.get("passed") is False:
        return "x"
    return "circle-open" if model.get("action") in NO_NEW_MODEL else "circle"


def model_metrics(records: Sequence[dict[str, Any]], kind: Gated) -> go.Figure | None:
    """One panel per solution or recommender (`kind`): each offline metric per run's model, the gate's minimums
    dashed; None when no record has any."""
    names = sorted({s[kind.name] for r in records for s in r.get(kind.key) or [] if s.get(kind.name)})
    if not names:
        return None
    metrics = sorted({m for r in records for s in r.get(kind.key) or [] for m in s.get("metrics") or {}})
    colour = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(metrics)}
    height = max(400, 330 * len(names))
    spacing = min(110 / height, 0.9 / max(len(names) - 1, 1))  # room for the dates and the next panel's title
    figure = make_subplots(rows=len(names), cols=1, subplot_titles=names, vertical_spacing=spacing)
    shown: set[str] = set()
    for row, name in enumerate(names, start=1):
        models = [
            (i, r, s) for i, r in enumerate(records, start=1) for s in r.get(kind.key) or [] if s[kind.name] == name
        ]
        for metric in metrics:
            points = [(i, r, s) for i, r, s in models if metric in (s.get("metrics") or {})]
            if not points:
                continue
            figure.add_trace(
                go.Scatter(
                    x=[r["startedAt"] for _, r, _ in points],
                    y=[s["metrics"][metric] for _, _, s in points],
                    mode="lines+markers",
                    name=metric,
                    legendgroup=metric,
                    showlegend=metric not in shown,
                    line={"color": colour[metric]},
                    marker={"size": 9, "symbol": [_symbol(s) for _, _, s in points]},
                    text=[
                        f"{_label(r, i)} {kind.point} {_short(s.get(kind.arn))}: "
                        + ("rejected" if s.get("passed") is False else s.get("action") or "passed")
                        for i, r, s in points
                    ],
                    hovertemplate="%{text}<br>" + metric + " %{y:.4f}<extra></extra>",
                ),
                row=row,
                col=1,
            )
            shown.add(metric)
            minimums = [(r, _minimum(s, metric)) for _, r, s in points]
            if any(value is not None for _, value in minimums):
                figure.add_trace(
                    go.Scatter(
                        x=[r["startedAt"] for r, _ in minimums],
                        y=[value for _, value in minimums],
                        mode="lines+markers",  # a marker too: a minimum of a single run is a point, not a line
                        name=f"gate minimum: {metric}",
                        legendgroup=metric,
                        showlegend=f"min {metric}" not in shown,
                        line={"color": colour[metric], "dash": "dash", "shape": "hv", "width": 2},
                        marker={"symbol": "line-ew-open", "size": 22, "line": {"width": 3, "color": colour[metric]}},
                        hovertemplate="gate minimum " + metric + " %{y:.4f}<extra></extra>",
                    ),
                    row=row,
                    col=1,
                )
                shown.add(f"min {metric}")
    figure.update_layout(title=kind.title, height=height, legend={"font": {"size": 11}}, **LAYOUT)
    figure.update_yaxes(rangemode="tozero")
    _dates_around(figure, [r for r in records if any(s.get(kind.name) for s in r.get(kind.key) or [])])
    return figure


def _minimum(model: dict[str, Any], metric: str) -> float | None:
    for check in model.get("checks") or []:
        if check.get("metric") == metric and check.get("minimum") is not None:
            return float(check["minimum"])
    return None


def rows(records: Sequence[dict[str, Any]]) -> go.Figure | None:
    """Rows each run's export wrote and rejected, per dataset."""
    datasets = sorted({d for r in records for d in r.get("rows") or {}})
    if not datasets:
        return None
    labels = [_label(r, i) for i, r in enumerate(records, start=1)]
    figure = make_subplots(rows=1, cols=2, subplot_titles=["rows exported", "rows rejected by the export"])
    for column, key in enumerate(("exported", "rejected"), start=1):
        for dataset in datasets:
            figure.add_trace(
                go.Bar(
                    x=labels,
                    y=[((r.get("rows") or {}).get(dataset) or {}).get(key) for r in records],
                    name=dataset,
                    legendgroup=dataset,
                    showlegend=column == 1,
                    marker={"color": DATASET_COLOURS.get(dataset, OTHER_COLOUR)},
                    hovertemplate=dataset + " %{y} rows " + key + "<extra>%{x}</extra>",
                ),
                row=1,
                col=column,
            )
    figure.update_layout(title="Rows per run", barmode="group", height=380, **LAYOUT)
    figure.update_yaxes(rangemode="tozero")
    figure.update_yaxes(type="log", title="rows (log scale)", row=1, col=1)  # items and users beside interactions
    rejected = [((r.get("rows") or {}).get(d) or {}).get("rejected") for r in records for d in datasets]
    if not any(rejected):  # an empty panel would look like a drawing that failed
        figure.update_yaxes(range=[0, 1], row=1, col=2)
        figure.add_annotation(text="no row rejected", x=0.5, y=0.5, xref="x2 domain", yref="y2 domain", showarrow=False)
    return figure


def _rejected(model: dict[str, Any]) -> str:
    return "" if model.get("passed") is not False else " (rejected: " + html.escape("; ".join(model["reasons"])) + ")"


def _table(records: Sequence[dict[str, Any]]) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in ("run", "started (UTC)", "dataset group", "from", "outcome", "seconds", "versions and recommenders")
    )
    body = []
    for number, record in reversed(list(enumerate(records, start=1))):
        versions = "<br>".join(
            html.escape(f"{s['solution']}: {_short(s.get('solutionVersionArn'))}") + _rejected(s)
            for s in record.get("solutions") or []
        )
        recommenders = "<br>".join(
            html.escape(f"{r['recommender']}: recommender {_short(r.get('recommenderArn'))}")
            + (_rejected(r) if r.get("passed") is False else html.escape(f" ({r.get('action')})"))
            for r in record.get("recommenders") or []
        )
        versions = "<br>".join(part for part in (versions, recommenders) if part)
        if record.get("error"):
            versions += html.escape(f"{record['error']}: {record.get('cause') or ''}")
        cells = (
            f"#{number}",
            html.escape(record["startedAt"][:19].replace("T", " ")),
            html.escape(str(record.get("datasetGroup") or "")),
            html.escape(str(record.get("source") or "")),
            f'<span class="{html.escape(record["outcome"])}">{html.escape(record["outcome"])}</span>',
            html.escape(str(record.get("durationSeconds") or "")),
            versions,
        )
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render(records: Sequence[dict[str, Any]], where: str, warnings: Sequence[str] = ()) -> str:
    """The page: the charts (plotly.js inlined once), the table of runs, the warnings of the history's reading."""
    sections = [
        ("Runs", timeline(records)),
        ("Solutions", solution_metrics(records)),
        ("Recommenders", recommender_metrics(records)),
        ("Rows", rows(records)),
    ]
    parts = []
    for index, (title, figure) in enumerate(sections):
        parts.append(f"<h2>{title}</h2>")
        if figure is None:
            parts.append(f'<p class="note">No {title.lower()} to draw: no run of this history has any.</p>')
            continue
        parts.append(figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{index}", config=CONFIG))
    warned = '<div class="warnings">' + "<br>".join(html.escape(w) for w in warnings) + "</div>" if warnings else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>autopersonalize: run history</title>
<style>{STYLE}</style>
<script>{ERROR_HOOK}</script>
<script>{get_plotlyjs()}</script>
</head><body>
<h1>autopersonalize: run history</h1>
<p class="sub">{len(records)} run{"" if len(records) == 1 else "s"} from {html.escape(where)}</p>
<pre id="errors"></pre>
{warned}
{"".join(parts)}
<h2>Every run</h2>
{_table(records)}
</body></html>
"""


def check_writable(path: Path) -> None:
    """Refuse an --html FILE that cannot be written before any run starts: a folder, or a file in a missing or
    read-only folder."""
    if path.is_dir():
        raise PipelineError(f"--html {path}: is a directory; give the file to write (e.g. {path / 'report.html'})")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise PipelineError(f"--html {path}: the folder {folder} does not exist; create it or give another path")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PipelineError(f"--html {path}: cannot write there (permission denied); give a writable path")


def write(path: Path, page: str) -> None:
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as error:
        raise PipelineError(f"--html {path}: cannot write it ({error.strerror}); give a writable path") from None
