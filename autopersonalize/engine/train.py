"""Training: build each recipe's scorers from encoded interactions (hyperparameters as Personalize names them)."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from autopersonalize.engine.components import (
    discount,
    fit_als,
    once_per_second,
    popularity,
    repeat_rates,
    transitions,
    user_item_matrix,
)
from autopersonalize.engine.data import EVENTS_CONFIG_RECIPES, Encoded, EventParameters, encode, prepare
from autopersonalize.engine.features import metadata_matrix
from autopersonalize.engine.model import Model
from autopersonalize.engine.recipes import (
    RELATED_ITEMS,
    USER_PERSONALIZATION,
    USER_SEGMENTATION,
    float_param,
    recipe_name,
    recipe_type,
)
from autopersonalize.engine.scorers import CooccurrenceScorer, PopularityScorer, Related, RelatedScorer, SequenceScorer
from autopersonalize.engine.segments import fit_segment_scorer
from autopersonalize.engine.split import subset

Hyperparameters = Mapping[str, str] | None


def train(
    recipe: str,
    interactions: pd.DataFrame,
    *,
    items: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    event_type: str | None = None,
    event_value_threshold: float | None = None,
    events: EventParameters | None = None,
    hyperparameters: Hyperparameters = None,
    seed: int = 0,
) -> Model:
    """Train `recipe` on all (filtered) interactions, as a FULL solution version does. `users` is accepted, unused;
    `events` (eventsConfig's eventParametersList) applies to the recipes that honour it (EVENTS_CONFIG_RECIPES)."""
    kind = recipe_type(recipe)
    started = time.perf_counter()
    data = prepare(
        interactions,
        event_type=event_type,
        event_value_threshold=event_value_threshold,
        events=events if recipe_name(recipe) in EVENTS_CONFIG_RECIPES else None,
    )
    enc = encode(data, items["ITEM_ID"].to_numpy() if items is not None and "ITEM_ID" in items.columns else None)
    model = fit(
        recipe_name(recipe), kind, enc, items=items, hyperparameters=hyperparameters, seed=seed, started=started
    )
    model.item_created = item_created(enc, items)
    if items is not None and kind == USER_PERSONALIZATION:
        model.item_metadata = metadata_matrix(items, enc.items)  # for exploration (see model.explore)
    return model


def item_created(enc: Encoded, items: pd.DataFrame | None) -> np.ndarray:
    """Per item index: CREATION_TIMESTAMP from the Items dataset, else the item's first interaction; NaN if neither."""
    created = np.full(enc.n_items, np.nan)
    np.fmin.at(created, enc.item, enc.ts.astype(np.float64))
    if items is not None and {"ITEM_ID", "CREATION_TIMESTAMP"} <= set(items.columns):
        stamps = pd.to_numeric(items["CREATION_TIMESTAMP"], errors="coerce").to_numpy(dtype=np.float64)
        index = {item: i for i, item in enumerate(enc.items)}
        rows = [
            (index[str(item)], stamp)
            for item, stamp in zip(items["ITEM_ID"], stamps, strict=True)
            if str(item) in index and not np.isnan(stamp)
        ]
        for i, stamp in rows:
            created[i] = stamp
    return created


def fit(
    recipe: str,
    kind: str,
    enc: Encoded,
    *,
    items: pd.DataFrame | None,
    hyperparameters: Hyperparameters,
    seed: int,
    started: float | None = None,
) -> Model:
    """Fit the scorer(s) of `recipe` on already encoded interactions."""
    started = time.perf_counter() if started is None else started
    if recipe == "aws-popularity-count":
        model = Model(recipe, kind, enc, PopularityScorer(popularity(enc)), None, 0.0)
    elif kind == RELATED_ITEMS:
        model = Model(recipe, kind, enc, None, related_scorer(recipe, enc, items, hyperparameters), 0.0)
    elif kind == USER_SEGMENTATION:
        segments = fit_segment_scorer(recipe, enc, items, hyperparameters, seed)
        model = Model(recipe, kind, enc, None, None, 0.0, segments=segments)
    else:
        model = Model(recipe, kind, enc, sequence_scorer(enc, hyperparameters, seed), None, 0.0)
    model.training_seconds = time.perf_counter() - started
    return model


def sequence_scorer(enc: Encoded, hp: Hyperparameters, seed: int) -> SequenceScorer:
    """User-personalization / personalized-ranking: transitions + recency-weighted ALS + learned repeat rates."""
    enc = once_per_second(enc)
    recency = str((hp or {}).get("recency_mask", "true")).lower() != "false"
    factor_decay = 0.995 if recency else 1.0
    pop = popularity(enc)
    steps_from_end = (enc.indptr[enc.user + 1] - 1) - np.arange(len(enc.item))
    factors = int(float_param(hp, "hidden_dimension", 64))
    als = fit_als(
        user_item_matrix(enc, factor_decay**steps_from_end * enc.weights()),
        factors=max(factors, 1),
        regularization=0.05,
        alpha=10.0,
        seed=seed,
    )
    return SequenceScorer(
        transitions=discount(transitions(enc, window=10, backward=0.5), pop, 0.25, row_normalise=True),
        factors=als,
        popularity=pop,
        repeats=repeat_rates(enc),
        sequence_decay=0.8 if recency else 1.0,
        factor_decay=factor_decay,
        history_length=int(float_param(hp, "bptt", 50)),
        sequence_weight=1.0,
        factor_weight=1.0,
    )


def related_scorer(recipe: str, enc: Encoded, items: pd.DataFrame | None, hp: Hyperparameters) -> Related:
    """aws-sims: co-interactions of users; aws-similar-items: forward-leaning co-occurrence plus item metadata."""
    if recipe == "aws-sims":
        return sims_scorer(enc, hp)
    pop = popularity(enc)
    cooccurrence = discount(
        transitions(enc, window=20, backward=0.5),
        pop,
        float_param(hp, "popularity_discount_factor", 0.5),
        row_normalise=False,
    )
    metadata = metadata_matrix(items, enc.items) if items is not None and recipe == "aws-similar-items" else None
    return RelatedScorer(cooccurrence, metadata, pop, metadata_weight=0.1)


def sims_scorer(enc: Encoded, hp: Hyperparameters) -> CooccurrenceScorer:
    """SIMS on the binary user x item matrix, with the recipe's documented hyperparameters and their defaults.

    Featurization as the SIMS page documents it: users whose history length lies outside the
    [min_user_history_length_percentile, max_user_history_length_percentile] percentiles (0.005, 0.995) do not train
    (very long histories "tend to contain noise", e.g. robots). The item-count percentiles are not applied: see
    docs/engine.md ("What is NOT reproduced").
    """
    lengths = np.diff(enc.indptr)
    if len(lengths):
        low = float_param(hp, "min_user_history_length_percentile", 0.005)
        high = float_param(hp, "max_user_history_length_percentile", 0.995)
        shortest, longest = np.quantile(lengths, [low, high])
        enc = subset(enc, np.flatnonzero((lengths >= shortest) & (lengths <= longest)))
    user_items = user_item_matrix(enc, np.ones(len(enc.item)))
    user_items.data[:] = 1.0
    return CooccurrenceScorer(
        user_items=user_items,
        item_users=user_items.T.tocsr(),
        popularity=np.asarray(user_items.sum(axis=0), dtype=np.float64).ravel(),
        discount=float_param(hp, "popularity_discount_factor", 0.5),
        min_count=int(float_param(hp, "min_cointeraction_count", 3)),
    )
