"""Personalize's split: seeded 10 % of users are test users; the newest 10 % of each one's history is held out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autopersonalize.engine.data import Encoded, encode
from autopersonalize.engine.split import n_held_out, personalize_split


def _encoded(n_users: int = 200, per_user: int = 23) -> tuple[pd.DataFrame, Encoded]:
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "USER_ID": np.repeat([f"u{u}" for u in range(n_users)], per_user),
            "ITEM_ID": [f"i{i}" for i in rng.integers(0, 50, n_users * per_user)],
            "TIMESTAMP": rng.permutation(n_users * per_user).astype(np.int64),  # shuffled times: the split must sort
        }
    )
    return df, encode(df)


@pytest.mark.parametrize(("n", "held"), [(1, 1), (2, 1), (10, 1), (11, 2), (23, 3), (100, 10)])
def test_split_holds_out_newest_tenth_rounded_up_at_least_one(n: int, held: int) -> None:
    assert n_held_out(n) == held


def test_split_takes_ten_percent_of_users_as_test_users() -> None:
    _, enc = _encoded()
    split = personalize_split(enc, seed=0)
    assert len(split.test_users) == 20
    assert split.train.n_users == 180
    assert set(split.train.users).isdisjoint(set(enc.users[split.test_users]))


def test_split_is_seeded() -> None:
    _, enc = _encoded()
    assert np.array_equal(personalize_split(enc, 7).test_users, personalize_split(enc, 7).test_users)
    assert not np.array_equal(personalize_split(enc, 7).test_users, personalize_split(enc, 8).test_users)


def test_split_holds_out_the_newest_interactions_of_each_test_user() -> None:
    df, enc = _encoded()
    split = personalize_split(enc, seed=1)
    for u, (items, ts), held, held_ts in zip(
        split.test_users, split.inputs, split.holdouts, split.holdout_ts, strict=True
    ):
        rows = df[df["USER_ID"] == enc.users[u]].sort_values("TIMESTAMP")
        assert len(held) == 3 and len(items) == 20
        assert list(enc.items[held]) == list(rows["ITEM_ID"].iloc[-3:])
        assert list(enc.items[items]) == list(rows["ITEM_ID"].iloc[:-3])
        assert np.all(np.diff(ts) >= 0)
        assert list(held_ts) == list(rows["TIMESTAMP"].iloc[-3:])


def test_split_train_keeps_item_indices_of_the_full_encoding() -> None:
    _, enc = _encoded()
    split = personalize_split(enc, seed=2)
    first = split.train.users[0]
    u = list(enc.users).index(first)
    assert np.array_equal(split.train.history(0)[0], enc.history(u)[0])
    assert split.train.n_items == enc.n_items
