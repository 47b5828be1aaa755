"""`autopersonalize report --html` drawn in a real browser: the page's charts are plotly's, drawn by its JavaScript
(SVG traces in the DOM after the scripts ran, not only the data in the HTML), solutions per version and recommenders
per run with their gate minimums, and a script error shows in the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autopersonalize import html_report
from tests.browser import dump_dom, screenshot
from tests.history_fixture import COVERAGE, NDCG, recommender_records, records


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("report") / "report.html"
    target.write_text(html_report.render(records() + recommender_records(), "fixture history"))
    return target


def test_page_needs_no_network(page: Path) -> None:
    text = page.read_text()
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", text)  # plotly.js inlined, no CDN, no stylesheet link


def test_browser_draws_every_chart_with_its_traces(page: Path, tmp_path: Path) -> None:
    dom = dump_dom(page, tmp_path / "profile")
    assert dom.count('class="main-svg"') >= 8  # plotly draws two SVG layers per chart: four charts
    charts = [re.search(f'id="chart-{i}".*?(?=id="chart-{i + 1}"|$)', dom, re.S) for i in range(4)]
    runs, metrics, recommenders, rows = charts
    assert runs and metrics and recommenders and rows
    # timeline: one scatter trace per outcome; metrics: 3 metrics x 2 solutions + the gate minimum's dashed line
    assert runs.group(0).count('class="trace scatter') == 3
    assert metrics.group(0).count('class="trace scatter') == 7
    assert rows.group(0).count('class="trace bars"') == 4  # exported and rejected, interactions and items
    assert "gate minimum: normalized_discounted_cumulative_gain_at_10" in metrics.group(0)
    # recommenders: a panel each, 2 metrics x 3 recommenders + top-picks' NDCG and more-like-x's coverage minimums
    assert all(f">{name}<" in recommenders.group(0) for name in ("top-picks", "more-like-x", "most-popular"))
    assert recommenders.group(0).count('class="trace scatter') == 8
    assert f"gate minimum: {NDCG}" in recommenders.group(0) and f"gate minimum: {COVERAGE}" in recommenders.group(0)
    assert re.search(r'<pre id="errors"[^>]*></pre>', dom), "a script failed on the page"


def test_a_script_error_shows_in_the_page(page: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(page.read_text().replace("</body>", "<script>Plotly.newPlot(undefined.chart)</script></body>"))
    dom = dump_dom(broken, tmp_path / "profile")
    assert re.search(r'<pre id="errors"[^>]*>A chart failed to draw: [^<]*undefined', dom)


def test_screenshot_of_the_page(page: Path, tmp_path: Path) -> None:
    shot = screenshot(page, tmp_path / "profile", tmp_path / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_recommenders_chart_marks_each_run_and_the_table_names_the_rejected_one() -> None:
    figure = html_report.recommender_metrics(recommender_records())
    assert figure is not None
    [ndcg] = [t for t in figure.data if t.name == NDCG and t.xaxis == "x3"]  # panels sorted: top-picks is third
    [minimum] = [t for t in figure.data if t.name == f"gate minimum: {NDCG}"]
    assert list(ndcg.marker.symbol) == ["circle", "circle-open", "x"]  # created, unchanged, rejected
    assert list(minimum.y) == [0.01, None, 0.99]  # the unchanged run gated no new model: no minimum
    assert "recommender ap-vod-top-picks-run-7: rejected" in ndcg.text[2]
    table = html_report.render(recommender_records(), "fixture")
    assert "top-picks: recommender ap-vod-top-picks-run-7 (rejected: normalized_discounted" in table
    assert "more-like-x: recommender ap-vod-more-like-x-run-5 (unchanged)" in table
    assert html_report.solution_metrics(recommender_records()) is None  # a recommenders-only history
    assert html_report.recommender_metrics(records()) is None


def test_a_single_run_is_drawn_with_a_day_around_it_not_zoomed_to_the_millisecond() -> None:
    first = recommender_records()[:1]
    for figure in (html_report.timeline(first), html_report.recommender_metrics(first)):
        assert figure is not None
        ranges = {tuple(figure.layout[axis].range) for axis in figure.layout if axis.startswith("xaxis")}
        [(low, high)] = ranges
        assert (high - low).total_seconds() == 24 * 3600
    assert html_report.timeline(records()).layout.xaxis.range is None  # several runs: plotly's own range
