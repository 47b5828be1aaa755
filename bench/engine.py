"""Benchmark of the offline engine on MovieLens (Personalize's split, seeds 0-4), and of CreateSolutionVersion's work
(training, then metrics: a second fit on the training split) on 1M synthetic interactions."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autopersonalize.engine import solution_metrics, train
from autopersonalize.engine.components import Factors, fit_als, user_item_matrix
from autopersonalize.engine.data import Encoded, encode, prepare
from autopersonalize.engine.evaluate import Scorable, Task, evaluate_split
from autopersonalize.engine.recipes import RECIPES
from autopersonalize.engine.scorers import RelatedScorer
from autopersonalize.engine.split import Split, personalize_split
from autopersonalize.engine.synthetic import synthetic_interactions
from autopersonalize.engine.train import fit

# `autopersonalize fetch-movielens` puts MovieLens (not shipped: its licence) in data/; the development machines keep a
# copy beside the checkout, which the tests read too.
DATA_DIRS = (
    Path(__file__).resolve().parents[1] / "data" / "ml-latest-small",
    Path(__file__).resolve().parents[2] / "shared" / "data" / "movielens-latest-small",
)
SEEDS = (0, 1, 2, 3, 4)
NDCG10 = "normalized_discounted_cumulative_gain_at_10"
METRIC_COLUMNS = (NDCG10, "precision_at_10", "mean_reciprocal_rank_at_25", "coverage")
ONE_MILLION = {"n_users": 20_000, "n_items": 20_000, "events_per_user": 50}


@dataclass
class AlsBaseline:
    """implicit ALS as users run it: test users folded in from their input, already-seen items filtered out."""

    factors: Factors
    related: RelatedScorer | None = None

    def history_scores(self, items: np.ndarray, ts: np.ndarray) -> np.ndarray:
        weights = np.zeros(len(self.factors.item_factors))
        weights[items] = 1.0
        scores = self.factors.fold_in(weights)
        scores[items] = -np.inf  # implicit's recommend(filter_already_liked_items=True), its default
        return scores


def als_baseline(factors: int, regularization: float, alpha: float) -> Callable[[Encoded, pd.DataFrame], Scorable]:
    def build(enc: Encoded, _: pd.DataFrame) -> Scorable:
        matrix = user_item_matrix(enc, np.ones(len(enc.item)))
        return AlsBaseline(fit_als(matrix, factors=factors, regularization=regularization, alpha=alpha, seed=0))

    return build


def recipe_model(recipe: str) -> Callable[[Encoded, pd.DataFrame], Scorable]:
    def build(enc: Encoded, movies: pd.DataFrame) -> Scorable:
        items = movies if recipe == "aws-similar-items" else None
        return fit(recipe, RECIPES[recipe], enc, items=items, hyperparameters=None, seed=0)

    return build


ROWS: list[tuple[str, Task, Callable[[Encoded, pd.DataFrame], Scorable]]] = [
    ("aws-user-personalization (= v2)", "held_out", recipe_model("aws-user-personalization")),
    ("aws-personalized-ranking (= v2)", "held_out", recipe_model("aws-personalized-ranking")),
    ("aws-popularity-count", "held_out", recipe_model("aws-popularity-count")),
    ("baseline: implicit ALS defaults", "held_out", als_baseline(100, 0.01, 1.0)),
    ("baseline: ALS as Spark (16, 0.1, 60)", "held_out", als_baseline(16, 0.1, 60.0)),
    ("aws-similar-items (+ genres)", "next_item", recipe_model("aws-similar-items")),
    ("aws-sims", "next_item", recipe_model("aws-sims")),
    ("aws-popularity-count", "next_item", recipe_model("aws-popularity-count")),
    ("aws-user-personalization (= v2)", "next_item", recipe_model("aws-user-personalization")),
]


def load_movielens() -> tuple[pd.DataFrame, pd.DataFrame]:
    """All ratings as implicit events, and movies as an Items dataset (GENRES, multi-valued)."""
    found = [d for d in DATA_DIRS if (d / "ratings.csv").is_file()]
    if not found:
        sys.exit(f"bench/engine.py reads MovieLens latest-small in {DATA_DIRS[0]}: autopersonalize fetch-movielens")
    ratings = pd.read_csv(found[0] / "ratings.csv")
    interactions = pd.DataFrame(
        {"USER_ID": ratings["userId"], "ITEM_ID": ratings["movieId"], "TIMESTAMP": ratings["timestamp"]}
    )
    movies = pd.read_csv(found[0] / "movies.csv")
    return interactions, pd.DataFrame({"ITEM_ID": movies["movieId"].astype(str), "GENRES": movies["genres"]})


def measure_row(
    build: Callable[[Encoded, pd.DataFrame], Scorable], task: Task, splits: list[Split], movies: pd.DataFrame, n: int
) -> dict[str, float]:
    """Mean metrics and fit seconds over the seeds; peak traced memory of one more fit (seed 0's split)."""
    results, seconds = [], []
    for split in splits:
        started = time.perf_counter()
        model = build(split.train, movies)
        seconds.append(time.perf_counter() - started)
        results.append(evaluate_split(model, split, n_items=n, task=task))
    tracemalloc.start()
    build(splits[0].train, movies)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    row = {key: float(np.mean([r[key] for r in results])) for key in results[0]}
    return row | {"fit_seconds": float(np.mean(seconds)), "peak_mib": peak / 2**20}


def print_table(rows: list[tuple[str, Task, dict[str, float]]]) -> None:
    header = ["model", "task", "NDCG@10", "P@10", "MRR@25", "coverage", "fit s", "peak MiB"]
    lines = [
        [name, task, *(f"{r[key]:.4f}" for key in METRIC_COLUMNS), f"{r['fit_seconds']:.2f}", f"{r['peak_mib']:.0f}"]
        for name, task, r in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    for cells in [header, ["-" * w for w in widths], *lines]:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |")


def one_million_child(recipe: str) -> None:
    """Runs in a subprocess: what CreateSolutionVersion (trainingMode FULL) does with `recipe` on 1M synthetic
    interactions, as the emulator runs it: `train` on all of them, then `solution_metrics` (a second fit, on
    Personalize's training split, and the evaluation). Prints the seconds of each and the peak RSS as JSON."""
    data = synthetic_interactions(**ONE_MILLION, seed=0)
    started = time.perf_counter()
    model = train(recipe, data, seed=0)
    trained = time.perf_counter()
    metrics = solution_metrics(recipe, data, seed=0)
    finished = time.perf_counter()
    if model.recipe_type == "RELATED_ITEMS":
        model.related_items("i1", 25)
    else:
        model.recommend("u1", 25)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "rows": len(data), "train_seconds": trained - started, "metrics_seconds": finished - trained,
        "seconds": finished - started, "peak_rss_gib": peak_kib / 2**20, NDCG10: metrics[NDCG10],
    }  # fmt: skip
    print(json.dumps(result))


def one_million(recipe: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--one-million-child", recipe]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def target(name: str, measured: float, unit: str, op: str, goal: float) -> str:
    holds = measured >= goal if op == ">=" else measured <= goal if op == "<=" else measured > goal
    return f"TARGET {name}: {measured:.2f}{unit} (goal {op} {goal:g}{unit}) {'HOLDS' if holds else 'MISSES'}"


def main() -> None:
    interactions, movies = load_movielens()
    enc = encode(prepare(interactions))
    n_items = int(interactions["ITEM_ID"].nunique())
    splits = [personalize_split(enc, seed) for seed in SEEDS]
    print(f"MovieLens latest-small: {len(interactions)} events, {enc.n_users} users, {n_items} items; seeds {SEEDS}")
    rows = [(name, task, measure_row(build, task, splits, movies, n_items)) for name, task, build in ROWS]
    print_table(rows)

    started = time.perf_counter()
    train("aws-user-personalization", interactions)
    solution_metrics("aws-user-personalization", interactions, seed=0)
    up_seconds = time.perf_counter() - started

    big = {recipe: one_million(recipe) for recipe in ("aws-user-personalization", "aws-similar-items")}
    print(f"\n1M synthetic interactions ({ONE_MILLION}), CreateSolutionVersion's work, one subprocess per recipe:")
    for recipe, r in big.items():
        print(
            f"  {recipe}: train {r['train_seconds']:.1f} s + metrics {r['metrics_seconds']:.1f} s (second fit on "
            f"the training split, evaluation) = {r['seconds']:.1f} s, peak RSS {r['peak_rss_gib']:.2f} GiB, "
            f"NDCG@10 {r[NDCG10]:.4f}"
        )

    by_name = {(name, task): r[NDCG10] for name, task, r in rows}
    up = by_name[("aws-user-personalization (= v2)", "held_out")]
    best_als = max(by_name[(n, "held_out")] for n, _, _ in ROWS if n.startswith("baseline"))
    similar_vs_pop = (
        by_name[("aws-similar-items (+ genres)", "next_item")] / by_name[("aws-popularity-count", "next_item")]
    )
    slowest = max(r["seconds"] for r in big.values())
    heaviest = max(r["peak_rss_gib"] for r in big.values())
    print()
    print(
        target(
            "user-personalization NDCG@10 vs popularity",
            up / by_name[("aws-popularity-count", "held_out")],
            "x",
            ">=",
            1.7,
        )
    )
    print(target("user-personalization NDCG@10 vs best ALS baseline", up / best_als, "x", ">=", 1.0))
    print(target("user-personalization training + metrics", up_seconds, " s", "<=", 15))
    print(target("similar-items next-item NDCG@10 vs popularity", similar_vs_pop, "x", ">", 1.0))
    print(target("1M interactions CreateSolutionVersion time (train + metrics)", slowest, " s", "<=", 60))
    print(target("1M interactions CreateSolutionVersion peak memory", heaviest, " GiB", "<=", 2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one-million-child", metavar="RECIPE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_million_child:
        one_million_child(args.one_million_child)
    else:
        main()
