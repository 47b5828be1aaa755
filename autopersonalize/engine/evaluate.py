"""GetSolutionMetrics: train on Personalize's split and score the held-out interactions of the test users."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from autopersonalize.engine.data import EVENTS_CONFIG_RECIPES, EventParameters, encode, prepare
from autopersonalize.engine.metrics import evaluate
from autopersonalize.engine.recipes import RELATED_ITEMS, USER_SEGMENTATION, recipe_name, recipe_type
from autopersonalize.engine.scorers import Related
from autopersonalize.engine.segments import segment_metrics
from autopersonalize.engine.split import Split, personalize_split
from autopersonalize.engine.train import fit

CUTOFF = 25
Task = Literal["held_out", "next_item", "related", "last_item"]


class Scorable(Protocol):
    """What evaluation needs of a model: a Model, or a baseline trained on the same split (see bench/engine.py)."""

    @property
    def related(self) -> Related | None: ...

    def history_scores(self, items: np.ndarray, ts: np.ndarray) -> np.ndarray: ...


def solution_metrics(
    recipe: str,
    interactions: pd.DataFrame,
    *,
    items: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    event_type: str | None = None,
    event_value_threshold: float | None = None,
    events: EventParameters | None = None,
    hyperparameters: Mapping[str, str] | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Personalize's offline metrics for `recipe` on these interactions (the keys GetSolutionMetrics returns):
    METRIC_NAMES, or SEGMENT_METRIC_NAMES for the USER_SEGMENTATION recipes. Filters as `train`."""
    kind = recipe_type(recipe)
    data = prepare(
        interactions,
        event_type=event_type,
        event_value_threshold=event_value_threshold,
        events=events if recipe_name(recipe) in EVENTS_CONFIG_RECIPES else None,
    )
    enc = encode(data, items["ITEM_ID"].to_numpy() if items is not None and "ITEM_ID" in items.columns else None)
    if kind == USER_SEGMENTATION:  # their own split and metrics (hit and recall at the top 1 % of users)
        return segment_metrics(recipe_name(recipe), enc, items, hyperparameters, seed)
    split = personalize_split(enc, seed)
    model = fit(recipe_name(recipe), kind, split.train, items=items, hyperparameters=hyperparameters, seed=seed)
    task: Task = "related" if kind == RELATED_ITEMS else "held_out"
    return evaluate_split(model, split, n_items=catalogue_size(interactions, items), task=task)


def catalogue_size(interactions: pd.DataFrame, items: pd.DataFrame | None) -> int:
    """Coverage's denominator: "the total number of unique items in the training data (includes both the Items and
    Interactions datasets)" (developer guide, "Evaluating a solution version"); the datasets as imported, before any
    eventType or eventValueThreshold filter."""
    ids = set(interactions["ITEM_ID"].astype(str))
    if items is not None and "ITEM_ID" in items.columns:
        ids |= set(items["ITEM_ID"].astype(str))
    return len(ids)


def evaluate_split(model: Scorable, split: Split, *, n_items: int, task: Task = "held_out") -> dict[str, float]:
    """Metrics of a model trained on `split.train`.

    held_out: recommend from each test user's input, relevant = all held-out items (history NOT filtered out).
    next_item: related_items(last input item), relevant = the first held-out item; users without input are skipped.
    related: each distinct held-out item of a test user is a query, relevant = the user's other held-out items
    (RELATED_ITEMS recipes, see related_cases).
    last_item: the 2019 protocol of the retired HRNN recipes (see last_item_cases); only bench/fidelity.py uses it.
    Works for any model on any task: a user-recipe model answers next_item from the full input history, and related
    from a history of the query item alone.
    """
    if task == "related":
        return evaluate(*related_cases(model, split), n_items)
    if task == "last_item":
        return evaluate(*last_item_cases(model, split), n_items)
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


def related_cases(model: Scorable, split: Split) -> tuple[list[list[int]], list[set[int]]]:
    """Queries and relevant sets for a RELATED_ITEMS recipe: what a test user consumed together in their newest 10 %.

    A related-items query is an item, not a user, so the held-out part of a test user (their newest ~10 %) is read as
    one basket: each distinct item in it asks for related items, and the other items of the basket are relevant. This
    asks the question the recipe answers (which items go together) on users the model never saw; the metrics are
    then of the size of Personalize's published SIMS metrics, which a single next item is not (it gave a tenth).
    """
    recommendations: list[list[int]] = []
    truths: list[set[int]] = []
    for held_out in split.holdouts:
        basket = list(dict.fromkeys(int(i) for i in held_out))
        for query in basket if len(basket) > 1 else []:
            if model.related is not None:
                scores = model.related.related(query)
            else:
                scores = model.history_scores(np.array([query], dtype=np.int32), np.zeros(1, dtype=np.int64))
            scores[query] = -np.inf
            recommendations.append(top_indices(scores, CUTOFF))
            truths.append(set(basket) - {query})
    return recommendations, truths


def last_item_cases(model: Scorable, split: Split) -> tuple[list[list[int]], list[set[int]]]:
    """Recommendations and relevant sets of the 2019 evaluation: each test user's history but its newest event is the
    input, and the newest event's item is the only relevant one.

    AWS's sample notebook "Personalize with temporal evaluation on hold-out set" (amazon-personalize-samples, 2019,
    next_steps/data_science/offline_performance_evaluation/personalize_temporal_holdout.ipynb): "the internal
    evaluations only hold out the last item in each user-history as the ground truth". The developer guide describes
    the newest 10 % only from January 2020 on, and the published runs of 2020 and later match the 10 % protocol
    (docs/engine.md, "Fidelity"); the 2019 aws-hrnn runs on MovieLens 100k were scored this way.
    """
    recommendations: list[list[int]] = []
    truths: list[set[int]] = []
    for (items, ts), held_out, held_ts in zip(split.inputs, split.holdouts, split.holdout_ts, strict=True):
        history = np.concatenate([items, held_out[:-1]])
        times = np.concatenate([ts, held_ts[:-1]])
        recommendations.append(top_indices(model.history_scores(history, times), CUTOFF))
        truths.append({int(held_out[-1])})
    return recommendations, truths
