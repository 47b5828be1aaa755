"""params/segments.json offline end to end: `autopersonalize run` exports MovieLens-shaped files, trains
aws-item-affinity, gates it, runs the batch segment job, and the segment file is read back from the emulated S3."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autopersonalize.cli import main

REPO = Path(__file__).resolve().parents[2]
ACTION_FANS = {str(u) for u in range(1, 101)}  # users 1-100 watch action movies (ids 1-120), 101-200 dramas


def movielens_shaped(folder: Path, seed: int = 11) -> tuple[Path, Path]:
    """ratings.csv (userId, movieId, rating, timestamp: 200 users x 24 ratings, no movie rated twice) and movies.csv
    (movieId, title, genres), as MovieLens ships them."""
    rng = np.random.default_rng(seed)
    movies = pd.DataFrame(
        {
            "movieId": [*range(1, 121), *range(2501, 2621)],
            "title": [f"Movie {i}" for i in range(240)],
            "genres": ["Action|Adventure"] * 120 + ["Drama"] * 120,
        }
    )
    rows = []
    for user in range(1, 201):
        pool = movies["movieId"].to_numpy()[:120] if user <= 100 else movies["movieId"].to_numpy()[120:]
        for n, movie in enumerate(rng.choice(pool, 24, replace=False)):
            rows.append((user, int(movie), float(rng.integers(1, 6)), 1_500_000_000 + user * 10_000 + n * 60))
    ratings = folder / "ratings.csv"
    pd.DataFrame(rows, columns=["userId", "movieId", "rating", "timestamp"]).to_csv(ratings, index=False)
    movies.to_csv(folder / "movies.csv", index=False)
    return ratings, folder / "movies.csv"


def test_the_segments_example_writes_a_segment_file_offline(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ratings, movies = movielens_shaped(tmp_path)
    wanted = tmp_path / "fans.jsonl"
    wanted.write_text('{"itemId": "7"}\n{"itemId": "2571"}\n{"itemId": "99999"}\n')
    out = tmp_path / "out"

    code = main(
        [
            "run",
            "--params", str(REPO / "params" / "segments.json"),
            "--interactions", str(ratings),
            "--items", str(movies),
            "--map", "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp,GENRES=genres",
            "--segment-input", f"movie-fans={wanted}",
            "--out", str(out),
            "--json",
        ]
    )  # fmt: skip

    document = json.loads(capsys.readouterr().out)
    assert (code, document["outcome"]) == (0, "DEPLOYED")
    assert set(document["metrics"]["movie-fans"]) == {"hits_at_1_percent", "recall_at_1_percent"}
    assert document["gate"][0]["passed"] is True
    (job,) = document["segments"]
    assert (job["job"], job["action"]) == ("movie-fans", "started")
    (written,) = job["files"]  # read back from the emulated S3 by the report
    assert written["file"].endswith("/batch/segments/movie-fans/movies.jsonl.out")  # the jobInput key's name
    action, drama, unknown = written["segments"]
    assert action["input"] == {"itemId": "7"} and action["error"] is None
    assert len(action["usersList"]) == 50 and len(set(action["usersList"]) & ACTION_FANS) >= 45
    assert len(drama["usersList"]) == 50 and len(set(drama["usersList"]) - ACTION_FANS) >= 45
    assert unknown == {
        "input": {"itemId": "99999"},
        "usersList": None,
        "error": "itemId '99999' is not in the training data of this solution version; a segment can only be made "
        "for an item present when the version was trained.",
    }
    assert len(document["resources"]["batchSegmentJobs"]) == 1
    lines = (out / "segments" / "movie-fans" / "movies.jsonl.out").read_text().splitlines()
    assert [json.loads(line)["output"] for line in lines[:2]] == [
        {"usersList": action["usersList"]},
        {"usersList": drama["usersList"]},
    ]
    assert document["notifications"] == ["autopersonalize segments: DEPLOYED"]
