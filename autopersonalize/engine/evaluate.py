"""GetSolutionMetrics: train on Personalize's split and score the held-out interactions of the test users."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from autopersonalize.engine.data import encode, prepare
from autopersonalize.engine.metrics import evaluate
from autopersonalize.engine.recipes import RELATED_ITEMS, recipe_name, recipe_type
from autopersonalize.engine.scorers import RelatedScorer
from autopersonalize.engine.split import Split, personalize_split
from autopersonalize.engine.train import fit

CUTOFF = 25
Task = Literal["held_out", "next_item"]


class Scorable(Protocol):
    """What evaluation needs of a model: a Model, or a baseline trained on the same split (see bench/engine.py)."""

    related: RelatedScorer | None

    def history_scores(self, items: np.ndarray, ts: np.ndarray) -> np.ndarray: ...


def solution_metrics(
    recipe: str,
    interactions: pd.DataFrame,
    *,
    items: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    event_type: str | None = None,
    event_value_threshold: float | None = None,
    hyperparameters: Mapping[str, str] | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Personalize's offline metrics for `recipe` on these interactions (the keys GetSolutionMetrics returns)."""
    kind = recipe_type(recipe)
    data = prepare(interactions, event_type=event_type, event_value_threshold=event_value_threshold)
    enc = encode(data, items["ITEM_ID"].to_numpy() if items is not None and "ITEM_ID" in items.columns else None)
    split = personalize_split(enc, seed)
    model = fit(recipe_name(recipe), kind, split.train, items=items, hyperparameters=hyperparameters, seed=seed)
    task: Task = "next_item" if kind == RELATED_ITEMS else "held_out"
    return evaluate_split(model, split, n_items=int(data["ITEM_ID"].nunique()), task=task)


def evaluate_split(model: Scorable, split: Split, *, n_items: int, task: Task = "held_out") -> dict[str, float]:
    """Metrics of a model trained on `split.train`.

    held_out: recommend from each test user's input, relevant = all held-out items (history NOT filtered out).
    next_item: related_items(last input item), relevant = the first held-out item; users without input are skipped.
    Works for any model on either task: a user-recipe model answers next_item from the full input history.
    """
    recommendations: list[list[int]] = []
    truths: list[set[int]] = []
    for (items, ts), held_out in zip(split.inputs, split.holdouts, strict=True):
        if task == "next_item":
            if len(items) == 0:
                continue
            truths.append({int(held_out[0])})
            if model.related is not None:
                scores = model.related.related(int(items[-1]))
                scores[items[-1]] = -np.inf
            else:
                scores = model.history_scores(items, ts)
        else:
            truths.append(set(held_out.tolist()))
            scores = model.history_scores(items, ts)
        recommendations.append(top_indices(scores, CUTOFF))
    return evaluate(recommendations, truths, n_items)


def top_indices(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the k highest finite scores, best first; ties go to the lower index."""
    picked = np.lexsort((np.arange(len(scores)), -scores))[:k]
    return [int(i) for i in picked if np.isfinite(scores[i])]
