"""Seeded synthetic interactions with structure (taste groups, item chains, a popularity tail) for tests and benches."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_interactions(
    n_users: int, n_items: int, events_per_user: int, *, n_groups: int = 10, seed: int = 0
) -> pd.DataFrame:
    """Users belong to a taste group and walk its item chain (k -> k+1 most often), with jumps and popular noise.

    Returns USER_ID, ITEM_ID (str) and TIMESTAMP (int64 seconds), n_users * events_per_user rows.
    """
    rng = np.random.default_rng(seed)
    group_size = max(n_items // n_groups, 1)
    group = rng.integers(0, n_groups, n_users)
    position = rng.integers(0, group_size, n_users)
    popular = np.minimum(rng.zipf(1.5, (n_users, events_per_user)) - 1, n_items - 1)
    draw = rng.random((n_users, events_per_user))
    jumps = rng.integers(0, group_size, (n_users, events_per_user))
    items = np.empty((n_users, events_per_user), dtype=np.int64)
    for step in range(events_per_user):
        position = np.where(draw[:, step] < 0.15, jumps[:, step], (position + 1) % group_size)
        in_group = group * group_size + position
        items[:, step] = np.where(draw[:, step] > 0.9, popular[:, step], in_group)
    start = rng.integers(1_600_000_000, 1_650_000_000, n_users)
    gaps = rng.integers(1, 3_600, (n_users, events_per_user)).cumsum(axis=1)
    return pd.DataFrame(
        {
            "USER_ID": np.repeat([f"u{u}" for u in range(n_users)], events_per_user),
            "ITEM_ID": np.char.add("i", items.ravel().astype(str)),
            "TIMESTAMP": (start[:, None] + gaps).ravel().astype(np.int64),
        }
    )
