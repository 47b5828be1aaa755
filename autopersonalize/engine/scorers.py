"""Scorers: turn a user's history (or one item) into a non-negative score per item index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from autopersonalize.engine.components import (
    Factors,
    RepeatRates,
    decayed_counts,
    history_once_per_second,
    one_blas_thread,
)


@dataclass(frozen=True)
class PopularityScorer:
    """aws-popularity-count: the same counts for every user, history ignored."""

    counts: np.ndarray

    def score(self, items: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self.counts.copy()


@dataclass(frozen=True)
class SequenceScorer:
    """User-personalization: a mixture of "repeat a seen item" and "something new", with rates learned from data.

    The blend mixes item-to-item transitions from the most recent `history_length` events (decayed by position) and
    an ALS model folded in on the whole history with recency-decayed confidence. P(next = i) is
    - for items seen in the last K events: the learned rate of repeating the item seen that many events ago;
    - for items seen earlier: the learned per-item rate of such repeats, times the item's blend over their mean;
    - for new items: what is left, shared in proportion to the blend.
    On data without repeats (MovieLens) seen items sink to the bottom; with repeats they come back. No history:
    popularity.
    """

    transitions: sp.csr_matrix  # row-normalised, popularity-discounted
    factors: Factors | None
    popularity: np.ndarray
    repeats: RepeatRates
    sequence_decay: float
    factor_decay: float
    history_length: int
    sequence_weight: float
    factor_weight: float

    def score(self, items: np.ndarray, ts: np.ndarray) -> np.ndarray:
        if len(items) == 0:
            return self.popularity / max(self.popularity.sum(), 1.0)
        items, ts = history_once_per_second(items, ts)
        with one_blas_thread():
            blend = self.blend(items)
        state = self.repeats.state(items)
        seen, distance = _last_seen(items)
        near = distance <= self.repeats.by_distance.shape[1]
        far = seen[~near]
        scores = np.zeros(len(blend))
        scores[seen[near]] = self.repeats.by_distance[state, distance[near] - 1]
        if len(far):
            scores[far] = self.repeats.far_per_item[state] * blend[far] / blend[far].mean()
        new = blend.copy()
        new[seen] = 0.0
        scores += max(1.0 - scores.sum(), 0.0) * new / max(new.sum(), 1e-300)
        return scores + 1e-12 * blend  # keeps zero-probability items in the model's order (for rank)

    def blend(self, items: np.ndarray) -> np.ndarray:
        """Affinity of every item to this history: max-scaled transitions + max-scaled ALS fold-in, > 0."""
        n_items = len(self.popularity)
        blend = 1e-6 * self.popularity / max(self.popularity.max(), 1.0) + 1e-9
        recent = decayed_counts(items, n_items, self.sequence_decay, self.history_length)
        rows = np.flatnonzero(recent)
        blend += self.sequence_weight * _max_scaled(np.asarray(self.transitions[rows].T @ recent[rows]).ravel())
        if self.factors is not None:
            confidence = decayed_counts(items, n_items, self.factor_decay, len(items))
            blend += self.factor_weight * _max_scaled(np.maximum(self.factors.fold_in(confidence), 0.0))
        return blend


def _last_seen(items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct items of a history and how many events ago each was last seen (1 = the last event)."""
    distinct, last_from_end = np.unique(items[::-1], return_index=True)
    return distinct, last_from_end + 1


class Related(Protocol):
    """What a RELATED_ITEMS model offers: scores of every item for one query item, and item popularity."""

    @property
    def popularity(self) -> np.ndarray: ...

    def related(self, item: int) -> np.ndarray: ...


@dataclass(frozen=True)
class CooccurrenceScorer:
    """aws-sims: item-to-item collaborative filtering on users who interacted with both items.

    score(q, j) = c(q, j) / n_j ** (f / 2), where c counts the users with both q and j (each user once, as the SIMS
    page defines a co-interaction), pairs with fewer than `min_count` such users score 0 (min_cointeraction_count,
    default 3), n_j is j's number of users and f is popularity_discount_factor (default 0.5): 0 ranks by raw
    co-counts (popular items), 1 ranks by cosine similarity (the least popularity emphasis). Computed per query from
    the sparse user x item matrix, so memory stays that of the data.
    """

    user_items: sp.csr_matrix  # binary user x item
    item_users: sp.csr_matrix  # its transpose
    popularity: np.ndarray  # users per item
    discount: float
    min_count: int

    def related(self, item: int) -> np.ndarray:
        users = self.item_users[item].indices
        counts = np.asarray(self.user_items[users].sum(axis=0)).ravel()
        counts[counts < max(self.min_count, 1)] = 0.0
        scores = _max_scaled(counts / np.maximum(self.popularity, 1.0) ** (self.discount / 2))
        return scores + 1e-6 * self.popularity / max(self.popularity.max(), 1.0)


@dataclass(frozen=True)
class RelatedScorer:
    """Related items: popularity-discounted co-occurrence within users, plus item-metadata cosine when available."""

    cooccurrence: sp.csr_matrix
    metadata: sp.csr_matrix | None  # L2-normalised item x token rows
    popularity: np.ndarray
    metadata_weight: float

    def related(self, item: int) -> np.ndarray:
        scores = _max_scaled(self.cooccurrence[item].toarray().ravel().astype(np.float64))
        if self.metadata is not None and self.metadata_weight > 0:
            similarity = (self.metadata @ self.metadata[item].T).toarray().ravel()
            scores += self.metadata_weight * _max_scaled(similarity)
        return scores + 1e-6 * self.popularity / max(self.popularity.max(), 1.0)


def _max_scaled(values: np.ndarray) -> np.ndarray:
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else values
