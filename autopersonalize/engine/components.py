"""Model building blocks: popularity, windowed item transitions, recency-weighted ALS with fold-in, repeat rates."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import ThreadpoolController

from autopersonalize.engine.data import Encoded


@cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()  # scans the loaded libraries once; limiting through it is then ~0.05 ms


def one_blas_thread() -> AbstractContextManager[Any]:
    """Hold BLAS to one thread (implicit's advice for ALS; small per-request products are also faster so)."""
    return _blas_controller().limit(limits=1, user_api="blas")


def popularity(enc: Encoded) -> np.ndarray:
    """Interaction count per item index (float64)."""
    return np.bincount(enc.item, minlength=enc.n_items).astype(np.float64)


def positions(enc: Encoded) -> np.ndarray:
    """Each event's position in its user's history (0 = oldest)."""
    return np.arange(len(enc.item)) - enc.indptr[enc.user]


def transitions(enc: Encoded, *, window: int, backward: float) -> sp.csr_matrix:
    """C[i, j] = sum over users of w/d for j following i d <= window steps later (and `backward` x that for j -> i),
    w being the weight of the event on j (1 without an eventsConfig)."""
    n = len(enc.item)
    shape = (enc.n_items, enc.n_items)
    matrix = sp.csr_matrix(shape, dtype=np.float32)
    weights = enc.weights()
    for d in range(1, min(window, max(n - 1, 0)) + 1):  # one distance at a time keeps peak memory near the result's
        a = np.flatnonzero(enc.user[: n - d] == enc.user[d:])
        src, dst = enc.item[a], enc.item[a + d]
        keep = src != dst
        src, dst = src[keep], dst[keep]
        w = (weights[a + d][keep] / d).astype(np.float32)  # an eventsConfig weight counts where it leads
        forward = sp.csr_matrix((w, (src, dst)), shape=shape)
        matrix = matrix + forward + np.float32(backward) * forward.T.tocsr()
    return matrix.tocsr()


def discount(matrix: sp.csr_matrix, pop: np.ndarray, exponent: float, *, row_normalise: bool) -> sp.csr_matrix:
    """Divide column j by pop_j ** exponent (popularity discount), then optionally make each row sum to 1."""
    out = (matrix @ sp.diags((1.0 / np.maximum(pop, 1.0) ** exponent).astype(np.float32))).tocsr()
    if row_normalise:
        sums = np.asarray(out.sum(axis=1)).ravel()
        out = (sp.diags((1.0 / np.where(sums > 0, sums, 1.0)).astype(np.float32)) @ out).tocsr()
    return out


def once_per_second(enc: Encoded) -> Encoded:
    """The events without same-second copies: an event on an item the same user already has at the same timestamp.

    Two events on one item in one second are one action logged twice (a click and a watch written together, the
    export's "same-second duplicates"); their order within the second is arbitrary. Learning from them would teach
    the sequence model that an item follows itself, so it would put the last item first whenever a copy might come.
    """
    key = (enc.user.astype(np.int64) * max(enc.n_items, 1) + enc.item).astype(np.int64)
    order = np.lexsort((np.arange(len(key)), enc.ts, key))
    first = np.ones(len(key), dtype=bool)
    same = (key[order][1:] == key[order][:-1]) & (enc.ts[order][1:] == enc.ts[order][:-1])
    first[order[1:][same]] = False
    if first.all():
        return enc
    weight = None
    if enc.weight is not None:  # the action weighs what its heaviest copy does (a click and a purchase: a purchase)
        starts = np.flatnonzero(np.concatenate([[True], ~same]))
        weight = enc.weight.copy()
        weight[order[starts]] = np.maximum.reduceat(enc.weight[order], starts)
        weight = weight[first]
    counts = np.bincount(enc.user[first], minlength=enc.n_users)
    indptr = np.zeros(enc.n_users + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return Encoded(enc.users, enc.items, enc.user[first], enc.item[first], enc.ts[first], indptr, weight)


def history_once_per_second(items: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A history (oldest first) without same-second copies, as once_per_second."""
    if len(items) < 2:
        return items, ts
    pairs = np.stack([items.astype(np.int64), ts.astype(np.int64)], axis=1)
    _, first = np.unique(pairs, axis=0, return_index=True)
    if len(first) == len(items):
        return items, ts
    keep = np.sort(first)
    return items[keep], ts[keep]


def decayed_counts(items: np.ndarray, n_items: int, decay: float, last: int) -> np.ndarray:
    """Vector over items: sum of decay ** (steps from the end) over the `last` most recent events."""
    recent = items[-last:] if last > 0 else items[:0]
    weights = decay ** np.arange(len(recent) - 1, -1, -1, dtype=np.float64)
    return np.bincount(recent, weights=weights, minlength=n_items)


@dataclass(frozen=True)
class Factors:
    """Item factors of an implicit-feedback ALS model, with what fold-in of a new history needs."""

    item_factors: np.ndarray
    gram: np.ndarray  # Y^T Y
    alpha: float
    regularization: float

    def fold_in(self, weights: np.ndarray) -> np.ndarray:
        """Scores over all items for a user with confidence 1 + alpha * w_i on items with w_i > 0 (one ALS step)."""
        seen = np.flatnonzero(weights > 0)
        if len(seen) == 0:
            return np.zeros(len(self.item_factors))
        y = self.item_factors[seen]
        c = self.alpha * weights[seen]
        a = self.gram + (y.T * c) @ y + self.regularization * np.eye(y.shape[1])
        x = np.linalg.solve(a, ((1.0 + c)[:, None] * y).sum(axis=0))
        return self.item_factors @ x


def fit_als(matrix: sp.csr_matrix, *, factors: int, regularization: float, alpha: float, seed: int) -> Factors:
    """Fit implicit's CPU ALS on a user x item confidence matrix, with BLAS held to one thread (implicit's advice).

    One solver thread too: on a 2-core machine shared with other work, implicit's OpenMP threads were measured slower
    (MovieLens 0.7 s with 1 thread vs 1.3 s with 2; 1M interactions 4.7 s vs 5.1 s), and the result is the same.
    """
    with one_blas_thread():
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=15,
            random_state=seed,
            num_threads=1,
        )
        model.fit(matrix, show_progress=False)
    y = np.asarray(model.item_factors, dtype=np.float64)
    return Factors(y, y.T @ y, alpha, regularization)


def user_item_matrix(enc: Encoded, weights: np.ndarray) -> sp.csr_matrix:
    """User x item matrix of summed event weights."""
    matrix = sp.csr_matrix((weights.astype(np.float32), (enc.user, enc.item)), shape=(enc.n_users, enc.n_items))
    matrix.sum_duplicates()
    return matrix


@dataclass(frozen=True)
class RepeatRates:
    """How often a user's next event repeats an item seen k events ago (k = 1..K), or earlier; learned from data.

    `far_per_item` is the rate per candidate: far repeats divided by the number of distinct items seen more than K
    events back, summed over events; a history with many old items thus shares more mass than a short one.

    Rates are conditioned on one bit of sequence state, as a sequence model would: whether the last event itself
    repeated the event before it (index 1) or not (index 0). With every action logged twice, this learns "after the
    first copy comes the second; after the second, something new".
    """

    by_distance: np.ndarray  # [state, k - 1]: P(next item == the item k steps back, first match)
    far_per_item: np.ndarray  # [state]: P(next item == one given item last seen more than K steps back)
    any: np.ndarray  # [state]: P(next item is one the user already interacted with)

    def state(self, items: np.ndarray) -> int:
        """The state after a history (oldest first)."""
        return int(len(items) >= 2 and items[-1] == items[-2])


def repeat_rates(enc: Encoded, horizon: int = 5) -> RepeatRates:
    """Estimate RepeatRates from consecutive events of each user."""
    pos = positions(enc)
    n = len(enc.item)
    state = np.zeros(n, dtype=np.int64)
    after_two = np.flatnonzero(pos >= 2)
    state[after_two] = enc.item[after_two - 1] == enc.item[after_two - 2]
    found = np.zeros(n, dtype=bool)
    by_distance = np.zeros((2, horizon))
    for k in range(1, horizon + 1):
        eligible = np.flatnonzero(pos >= k)
        hit = (enc.item[eligible - k] == enc.item[eligible]) & ~found[eligible]
        found[eligible[hit]] = True
        by_distance[:, k - 1] = _rate_by_state(hit, state[eligible])
    keys = enc.user.astype(np.int64) * max(enc.n_items, 1) + enc.item
    _, first = np.unique(keys, return_index=True)
    repeated = np.ones(n, dtype=bool)
    repeated[first] = False
    distinct_so_far = np.cumsum(~repeated)
    distinct_before = distinct_so_far - (~repeated) - (distinct_so_far - (~repeated))[enc.indptr[enc.user]]
    later = np.flatnonzero(pos >= 1)
    far = np.maximum(distinct_before[later] - horizon, 0).astype(np.float64)
    far_per_item = _per_candidate(repeated[later] & ~found[later], far, state[later])
    return RepeatRates(by_distance, far_per_item, _rate_by_state(repeated[later], state[later]))


def _per_candidate(hit: np.ndarray, candidates: np.ndarray, state: np.ndarray) -> np.ndarray:
    hits = np.bincount(state, weights=hit.astype(np.float64), minlength=2)
    total = np.bincount(state, weights=candidates, minlength=2)
    return np.where(total > 0, hits / np.maximum(total, 1e-300), 0.0)


def _rate_by_state(hit: np.ndarray, state: np.ndarray) -> np.ndarray:
    totals = np.bincount(state, minlength=2)
    hits = np.bincount(state, weights=hit.astype(np.float64), minlength=2)
    return np.where(totals > 0, hits / np.maximum(totals, 1), 0.0)
