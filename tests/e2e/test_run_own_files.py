"""`autopersonalize run` on files as data teams have them: a semicolon CSV with an items file that names its ID
differently, a folder of parquet parts, the OTTO sessions (nested JSON lines, below Personalize's minimum)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from autopersonalize.cli import main

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MOVIELENS = DATA / "movielens-latest-small"
OTTO = DATA / "otto-sample" / "train.jsonl"


def test_a_semicolon_file_and_an_items_file_with_its_own_id_name_run_to_deployed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ratings = pd.read_csv(MOVIELENS / "ratings.csv", dtype=str)
    ratings.to_csv(tmp_path / "ratings.csv", sep=";", index=False)
    movies = pd.read_csv(MOVIELENS / "movies.csv", dtype=str).rename(columns={"movieId": "id"})
    movies.to_csv(tmp_path / "movies.csv", index=False)
    out = tmp_path / "out"

    code = main(
        [
            "run",
            "--interactions", str(tmp_path / "ratings.csv"),
            "--items", str(tmp_path / "movies.csv"),
            "--map", "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp",
            "--items-map", "ITEM_ID=id,CATEGORY=genres",
            "--out", str(out),
            "--json",
        ]
    )  # fmt: skip

    document = json.loads(capsys.readouterr().out)
    assert (code, document["outcome"]) == (0, "DEPLOYED")
    exported = document["export"]["datasets"]
    assert (exported["interactions"]["rowsWritten"], exported["items"]["rowsWritten"]) == (100836, 9742)
    assert any("the items schema is ITEM_ID, CATEGORY" in a for a in document["assumptions"])
    assert any("every event gets the type 'interaction'" in a for a in document["assumptions"])
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "rejected", "report.json"]
    assert json.loads((out / "report.json").read_text())["outcome"] == "DEPLOYED"


def test_a_folder_of_parquet_parts_is_one_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ratings = pd.read_csv(MOVIELENS / "ratings.csv")
    folder = tmp_path / "ratings"
    folder.mkdir()
    for n, start in enumerate(range(0, len(ratings), 40_000)):
        ratings.iloc[start : start + 40_000].to_parquet(folder / f"part-{n:05d}.parquet", index=False)
    (folder / "_SUCCESS").write_text("")  # what Spark leaves beside its parts: not data

    code = main(
        ["run", "--interactions", str(folder), "--map", "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp", "--json"]
    )

    document = json.loads(capsys.readouterr().out)
    assert (code, document["outcome"]) == (0, "DEPLOYED")
    assert document["export"]["datasets"]["interactions"]["rowsWritten"] == 100836


def test_otto_sessions_explode_and_end_with_the_shortfall(capsys: pytest.CaptureFixture[str]) -> None:
    """862 events of 20 sessions: exported like the Glue job exports them, then refused with what is missing."""
    mapping = "USER_ID=session,ITEM_ID=aid,TIMESTAMP=ts,EVENT_TYPE=type"

    code = main(["run", "--interactions", str(OTTO), "--explode", "events", "--map", mapping])

    err = capsys.readouterr().err
    assert code == 2
    assert "Personalize needs >= 1000 interactions; this run exported 862 (138 short)" in err
    assert "Traceback" not in err
