"""Seeded generator of the demo's data lake: users, items, interactions with structure a personalized model learns.

Structure, so that a personalized model beats popularity by a wide margin (and a sequence-aware one by more):
- every user prefers two of the item categories (by segment) and mostly browses those;
- within a category, items form a chain: after item k, users most often go on to item k+1 (a "next episode" effect);
- popularity inside a category is Zipf-like, so there is a popularity signal too, but a weak one across categories.
Columns use data-lake names (customer_id, product_id, event_time...) so the demo also shows the column mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CATEGORIES = ["books", "music", "games", "garden", "kitchen", "sports", "toys", "travel"]
SEGMENTS = {f"segment-{i}": (CATEGORIES[i], CATEGORIES[(i + 3) % len(CATEGORIES)]) for i in range(len(CATEGORIES))}
AGE_GROUPS = ["18-24", "25-34", "35-49", "50+"]
START = pd.Timestamp("2026-06-01T00:00:00Z")
DAYS = 120


@dataclass(frozen=True)
class DataLake:
    """The three source tables, as they would sit in a data lake."""

    users: pd.DataFrame
    items: pd.DataFrame
    interactions: pd.DataFrame


# Column mapping from the lake's names to Personalize's (what the Glue jobs are told).
INTERACTIONS_MAPPING = (
    "USER_ID=customer_id,ITEM_ID=product_id,TIMESTAMP=event_time,EVENT_TYPE=event_type,EVENT_VALUE=amount"
)
ITEMS_MAPPING = "ITEM_ID=product_id,CATEGORY=category,PRICE=price,CREATION_TIMESTAMP=created_at"
USERS_MAPPING = "USER_ID=customer_id,SEGMENT=segment,AGE_GROUP=age_group"


def _items(rng: np.random.Generator, per_category: int) -> pd.DataFrame:
    n = len(CATEGORIES) * per_category
    return pd.DataFrame(
        {
            "product_id": [f"p{c:02d}{k:03d}" for c in range(len(CATEGORIES)) for k in range(per_category)],
            "category": np.repeat(CATEGORIES, per_category),
            "price": np.round(rng.gamma(2.0, 12.0, n) + 1.0, 2),
            "created_at": START - pd.to_timedelta(rng.integers(30, 400, n), unit="D"),
        }
    )


def _users(rng: np.random.Generator, n_users: int) -> pd.DataFrame:
    ages = np.array(AGE_GROUPS, dtype=object)[rng.integers(len(AGE_GROUPS), size=n_users)]
    ages[rng.random(n_users) < 0.1] = None
    return pd.DataFrame(
        {
            "customer_id": [f"u{u:05d}" for u in range(n_users)],
            "segment": np.array(list(SEGMENTS), dtype=object)[rng.integers(len(SEGMENTS), size=n_users)],
            "age_group": ages,
        }
    )


def _interactions(
    rng: np.random.Generator, users: pd.DataFrame, items: pd.DataFrame, per_category: int
) -> pd.DataFrame:
    """Every user's sessions, in time order: short chains through a preferred category, sometimes a detour."""
    zipf = 1.0 / np.arange(1, per_category + 1) ** 0.8
    zipf /= zipf.sum()
    # One row per session: whose, which category, where in the category it starts, how long it is.
    session_user = np.repeat(np.arange(len(users)), rng.integers(2, 9, len(users)))
    n = len(session_user)
    segment_categories = np.array([[CATEGORIES.index(c) for c in pair] for pair in SEGMENTS.values()])
    user_segment = pd.Categorical(users["segment"], categories=list(SEGMENTS)).codes
    preferred = segment_categories[user_segment][session_user]  # each session's user's two categories
    second = (rng.random(n) < 0.35).astype(np.int64)  # the segment's second category, a third of the time
    category = np.where(rng.random(n) >= 0.9, rng.integers(len(CATEGORIES), size=n), preferred[np.arange(n), second])
    length = rng.integers(2, 7, n)
    # Position j of each session: after item k, mostly item k+1 (a "next episode" effect), else a Zipf draw.
    steps = np.empty((n, int(length.max())), dtype=np.int64)
    steps[:, 0] = rng.choice(per_category, size=n, p=zipf)
    for j in range(1, steps.shape[1]):
        jump = rng.choice(per_category, size=n, p=zipf)
        steps[:, j] = np.where(rng.random(n) < 0.75, np.minimum(steps[:, j - 1] + 1, per_category - 1), jump)
    taken = np.arange(steps.shape[1]) < length[:, None]
    item = (category[:, None] * per_category + steps)[taken]
    event_session = np.repeat(np.arange(n), length)
    user = session_user[event_session]
    # Time: each user starts in the first third of the period; 1-89 minutes between events, 6 h-14 days between
    # sessions (the gap after a session's last event).
    gap = rng.integers(1, 90, len(item)).astype(np.int64)
    last = np.cumsum(length) - 1
    gap[last] += rng.integers(6, 24 * 14, n) * 60
    elapsed = np.cumsum(gap) - gap  # minutes since the first event overall, before this event's gap
    first_of_user = np.searchsorted(user, user)  # users are contiguous: index of each user's first event
    minutes = rng.integers(0, DAYS * 24 * 60 // 3, len(users))[user] + elapsed - elapsed[first_of_user]
    bought = rng.random(len(item)) < 0.12
    order = np.argsort(minutes, kind="stable")  # the lake's table is in time order
    user, item, minutes, bought = user[order], item[order], minutes[order], bought[order]
    return pd.DataFrame(
        {  # ids are taken from the Arrow-backed columns, so no Python string is made per event
            "customer_id": users["customer_id"].array.take(user),
            "product_id": items["product_id"].array.take(item),
            "event_time": START + pd.to_timedelta(minutes, unit="min"),
            "event_type": pd.Categorical.from_codes(bought.astype(np.int8), ["view", "purchase"]).astype("str"),
            "amount": np.where(bought, items["price"].to_numpy()[item], np.nan),
        }
    )


def generate(seed: int = 7, n_users: int = 25_000, per_category: int = 120) -> DataLake:
    """The demo's data lake; same seed, same data."""
    rng = np.random.default_rng(seed)
    items = _items(rng, per_category)
    users = _users(rng, n_users)
    return DataLake(users=users, items=items, interactions=_interactions(rng, users, items, per_category))
