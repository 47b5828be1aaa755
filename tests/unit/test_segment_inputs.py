"""`run --segment-input JOB=FILE`: each batch segment job's input is given, checked line by line before anything
runs, and put in the offline bucket where the job reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autopersonalize import segment_inputs
from autopersonalize.errors import PipelineError
from autopersonalize.run_params import prepare
from tests.unit.test_cli_errors import _cli_in_fresh_process

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "params" / "segments.json"
BOTH = frozenset({"interactions", "items"})


def inputs(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_the_example_s_input_goes_where_its_job_reads_it() -> None:
    given = segment_inputs.parse_option([f"movie-fans={REPO / 'params' / 'segments-movies.jsonl'}"])
    prepared = prepare(EXAMPLE, BOTH, given)
    body = (REPO / "params" / "segments-movies.jsonl").read_bytes()
    assert prepared.job_inputs == {"batch/segments/input/movies.jsonl": body}
    assert any(a.startswith("batch segment job movie-fans: its input is ") for a in prepared.assumptions)


def test_a_segment_job_without_its_input_is_refused_with_the_option_to_give_it() -> None:
    with pytest.raises(PipelineError) as error:
        prepare(EXAMPLE, BOTH, {})
    assert str(error.value) == (
        "batchSegmentJobs[0] (movie-fans): offline, the bucket holds only the exports, so its input "
        "s3://BUCKET/batch/segments/input/movies.jsonl would not be found; give the file with --segment-input "
        'movie-fans=FILE (JSON lines of {"itemId": "1"})'
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((), "empty; give one {\"itemId\": \"1\"} per line"),
        (('{"itemId": "1"}', "{oops"), "line 2 is not JSON (Expecting property name enclosed in double quotes)"),
        (('{"itemAttributes": "ITEMS.GENRES = \\"Drama\\""}',), "line 1 has no 'itemId' string; aws-item-affinity "
         'takes {"itemId": "1"} per line'),
        (tuple(f'{{"itemId": "{i}"}}' for i in range(501)), "501 lines; aws-item-affinity takes at most 500 per job. "
         "Split it."),
    ],
)  # fmt: skip
def test_a_bad_input_file_is_refused_naming_the_line(tmp_path: Path, lines: tuple[str, ...], message: str) -> None:
    path = inputs(tmp_path, *lines)
    with pytest.raises(PipelineError) as error:
        prepare(EXAMPLE, BOTH, {"movie-fans": path})
    assert str(error.value) == f"--segment-input movie-fans={path}: {message}"


def test_an_input_for_no_job_and_a_malformed_option_are_refused(tmp_path: Path) -> None:
    path = inputs(tmp_path, '{"itemId": "1"}')
    with pytest.raises(PipelineError) as error:
        prepare(EXAMPLE, BOTH, {"movie-fans": path, "fans": path})
    assert str(error.value) == "--segment-input fans=...: the params have no batch segment job fans (movie-fans)"
    with pytest.raises(PipelineError, match=r"^--segment-input movie-fans: expected JOB=FILE"):
        segment_inputs.parse_option(["movie-fans"])


def test_the_jobs_move_to_the_offline_bucket_with_their_keys() -> None:
    template = json.loads(EXAMPLE.read_text())
    moved = segment_inputs.on_bucket(template, "offline-bucket")
    assert moved["batchSegmentJobs"][0]["jobInput"] == "s3://offline-bucket/batch/segments/input/movies.jsonl"
    assert moved["batchSegmentJobs"][0]["jobOutput"] == "s3://offline-bucket/batch/segments/movie-fans/"
    assert template["batchSegmentJobs"][0]["jobInput"].startswith("s3://BUCKET/")  # the caller's copy is untouched


def test_run_without_the_segment_input_stops_before_any_export(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("userId,movieId,timestamp\nu1,1,1700000000\n")
    movies = tmp_path / "movies.csv"
    movies.write_text("movieId,genres\n1,Comedy\n")
    mapping = "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp,GENRES=genres"
    args = ["--interactions", str(events), "--items", str(movies), "--map", mapping, "--params", str(EXAMPLE)]

    result, imported = _cli_in_fresh_process("run", *args)

    assert result.returncode == 2
    assert result.stderr.startswith("error: batchSegmentJobs[0] (movie-fans): offline, the bucket holds only")
    assert imported == []
