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
    rows = []
    for c, category in enumerate(CATEGORIES):
        for k in range(per_category):
            created = START - pd.Timedelta(days=int(rng.integers(30, 400)))
            rows.append(
                {
                    "product_id": f"p{c:02d}{k:03d}",
                    "category": category,
                    "price": round(float(rng.gamma(2.0, 12.0)) + 1.0, 2),
                    "created_at": created,
                }
            )
    return pd.DataFrame(rows)


def _users(rng: np.random.Generator, n_users: int) -> pd.DataFrame:
    segments = list(SEGMENTS)
    return pd.DataFrame(
        {
            "customer_id": [f"u{u:05d}" for u in range(n_users)],
            "segment": [segments[int(rng.integers(len(segments)))] for _ in range(n_users)],
            "age_group": [
                AGE_GROUPS[int(rng.integers(len(AGE_GROUPS)))] if rng.random() > 0.1 else None for _ in range(n_users)
            ],
        }
    )


def _sessions(
    rng: np.random.Generator, user: str, segment: str, ids: list[str], prices: list[float], per_category: int
) -> list[tuple[str, str, pd.Timestamp, str, float | None]]:
    """One user's events: short chains through a preferred category, sometimes a detour elsewhere."""
    preferred = SEGMENTS[segment]
    zipf = 1.0 / np.arange(1, per_category + 1) ** 0.8
    zipf /= zipf.sum()
    events: list[tuple[str, str, pd.Timestamp, str, float | None]] = []
    when = START + pd.Timedelta(minutes=int(rng.integers(0, DAYS * 24 * 60 // 3)))
    for _ in range(int(rng.integers(2, 9))):
        detour = rng.random() >= 0.9
        category = CATEGORIES[int(rng.integers(len(CATEGORIES)))] if detour else preferred[int(rng.random() < 0.35)]
        c = CATEGORIES.index(category)
        k = int(rng.choice(per_category, p=zipf))
        for _ in range(int(rng.integers(2, 7))):
            index = c * per_category + k
            bought = rng.random() < 0.12
            events.append((user, ids[index], when, "purchase" if bought else "view", prices[index] if bought else None))
            when += pd.Timedelta(minutes=int(rng.integers(1, 90)))
            k = min(k + 1, per_category - 1) if rng.random() < 0.75 else int(rng.choice(per_category, p=zipf))
        when += pd.Timedelta(hours=int(rng.integers(6, 24 * 14)))
    return events


def generate(seed: int = 7, n_users: int = 800, per_category: int = 60) -> DataLake:
    """The demo's data lake; same seed, same data."""
    rng = np.random.default_rng(seed)
    items = _items(rng, per_category)
    users = _users(rng, n_users)
    ids, prices = items["product_id"].tolist(), items["price"].tolist()
    events = [
        event
        for user, segment in zip(users["customer_id"], users["segment"], strict=True)
        for event in _sessions(rng, user, segment, ids, prices, per_category)
    ]
    columns = ["customer_id", "product_id", "event_time", "event_type", "amount"]
    interactions = pd.DataFrame(events, columns=columns).sort_values("event_time", kind="stable").reset_index(drop=True)
    return DataLake(users=users, items=items, interactions=interactions)
