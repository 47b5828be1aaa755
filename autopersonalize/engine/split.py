"""Personalize's evaluation split: 10 % of users (seeded) are test users; their newest 10 % is held out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autopersonalize.engine.data import Encoded

TEST_USER_SHARE = 0.1


@dataclass(frozen=True)
class Split:
    """Training users' data, and for each test user the input (oldest ~90 %) and held-out items (newest ~10 %)."""

    train: Encoded
    test_users: np.ndarray  # user indices in the full encoding
    inputs: list[tuple[np.ndarray, np.ndarray]]  # (items, timestamps), oldest first
    holdouts: list[np.ndarray]  # items, oldest first
    holdout_ts: list[np.ndarray]  # their timestamps


def n_held_out(n: int) -> int:
    """Newest 10 % of a user's interactions, rounded up, at least 1."""
    return max(1, (n + 9) // 10)


def personalize_split(enc: Encoded, seed: int) -> Split:
    """Split as Personalize does for GetSolutionMetrics; the same seed always gives the same split."""
    rng = np.random.default_rng(seed)
    n_test = max(1, round(TEST_USER_SHARE * enc.n_users))
    test_users = np.sort(rng.permutation(enc.n_users)[:n_test])
    is_test = np.zeros(enc.n_users, dtype=bool)
    is_test[test_users] = True
    inputs, holdouts, holdout_ts = [], [], []
    for u in test_users:
        items, ts = enc.history(int(u))
        cut = len(items) - n_held_out(len(items))
        inputs.append((items[:cut], ts[:cut]))
        holdouts.append(items[cut:])
        holdout_ts.append(ts[cut:])
    return Split(subset(enc, np.flatnonzero(~is_test)), test_users, inputs, holdouts, holdout_ts)


def subset(enc: Encoded, users: np.ndarray) -> Encoded:
    """The events of the given (sorted) user indices, keeping the item universe and item indices."""
    counts = np.diff(enc.indptr)[users]
    rows = np.flatnonzero(np.isin(enc.user, users))  # events are grouped by user in index order
    indptr = np.zeros(len(users) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return Encoded(
        users=enc.users[users],
        items=enc.items,
        user=np.repeat(np.arange(len(users), dtype=np.int32), counts),
        item=enc.item[rows],
        ts=enc.ts[rows],
        indptr=indptr,
        weight=None if enc.weight is None else enc.weight[rows],
    )
