"""What inflates Personalize's offline metrics, measured where the interactions are (the export), and the trivial
baselines a model must beat, on Personalize's split definition.

Personalize holds out each test user's newest 10 % of interactions (10 % of users, at random) and does not drop items
already in the user's history. Two common ways of logging make the held-out items copies of what the model has just
seen, and NDCG then looks excellent for a model that merely echoes history:
- the same (user, item) in the same second under two event types (a rating written as a "click" and a "watch");
- sessions that replay items (each user's newest events repeat items of their earlier ones).
The export measures both, and computes two baselines with Personalize's metric definitions: popularity, and "the
user's own history, newest first". They are estimates: Personalize's random test users are not ours.

Memory: 32 bytes per exported interaction (user, item and event-type digests, the timestamp), held until the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

WARN_SHARE = 0.05  # above 5 % of likely test events copying the history, the offline metrics are no longer the model's
TEST_USER_SHARE = 0.1  # Personalize: 10 % of users are test users (docs: "Evaluating a solution version")
CUTOFF = 25  # Personalize's lists for the metrics: MRR@25, and NDCG/precision at 5, 10 and 25
BASELINE_METRICS = (
    "normalized_discounted_cumulative_gain_at_10",
    "precision_at_10",
    "mean_reciprocal_rank_at_25",
)
POLICIES = ("keep", "collapse", "refuse")


class SameSecondError(ValueError):
    """--same_second_duplicates refuse, and the export found some: the message has the count and what to do."""


@dataclass(frozen=True)
class SameSecond:
    """What the export does with events of one (user, item) in one second under different event types."""

    policy: str = "keep"  # keep | collapse | refuse
    prefer: str = ""  # collapse: keep the event of this type when the group has one (else the first)

    @classmethod
    def parse(cls, text: str) -> SameSecond:
        policy, _, prefer = (text or "keep").partition(":")
        if policy not in POLICIES or (prefer and policy != "collapse"):
            raise ValueError(
                f"--same_second_duplicates {text!r} is not keep, collapse, collapse:<event type> or refuse"
            )
        return cls(policy, prefer)


@dataclass
class EventLog:
    """Digests of every exported interaction, chunk by chunk (the measures and baselines need them all at once)."""

    users: list[np.ndarray] = field(default_factory=list)
    items: list[np.ndarray] = field(default_factory=list)
    types: list[np.ndarray] = field(default_factory=list)
    stamps: list[np.ndarray] = field(default_factory=list)

    def add(self, users: np.ndarray, items: np.ndarray, types: np.ndarray, stamps: np.ndarray) -> None:
        self.users.append(users.astype(np.uint64, copy=False))
        self.items.append(items.astype(np.uint64, copy=False))
        self.types.append(types.astype(np.uint64, copy=False))
        self.stamps.append(stamps.astype(np.int64, copy=False))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.empty(0, dtype)

        return (
            joined(self.users, np.uint64),
            joined(self.items, np.uint64),
            joined(self.types, np.uint64),
            joined(self.stamps, np.int64),
        )


def n_held_out(n: np.ndarray) -> np.ndarray:
    """Personalize's held-out share of a user's n interactions: the newest 10 %, rounded up, at least 1."""
    return np.maximum(1, (n + 9) // 10)


def _by_user_time(users: np.ndarray, stamps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order: rows grouped by user, oldest first; group starts; group sizes)."""
    order = np.lexsort((np.arange(len(users)), stamps, users))
    grouped = users[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(grouped) else np.empty(0, np.int64)
    sizes = np.diff(np.r_[starts, len(grouped)])
    return order, starts, sizes


def measure(log: EventLog) -> dict[str, Any]:
    """The two inflation measures, their shares, and a plain warning for each above WARN_SHARE."""
    users, items, types, stamps = log.arrays()
    total = len(users)
    # same (user, item, second) under another event type: per group, every type beyond the first is a copy
    key = np.lexsort((types, stamps, items, users))
    u, i, s, t = users[key], items[key], stamps[key], types[key]
    new_group = np.r_[True, (u[1:] != u[:-1]) | (i[1:] != i[:-1]) | (s[1:] != s[:-1])] if total else np.empty(0, bool)
    new_type = np.r_[True, t[1:] != t[:-1]] if total else np.empty(0, bool)
    other_type = int((new_type & ~new_group).sum())
    # each user's newest 10 % (the events Personalize may hold out) that repeat an item of the user's earlier ones
    order, starts, sizes = _by_user_time(users, stamps)
    held = n_held_out(sizes)
    repeats = 0
    ordered_items = items[order]
    for start, size, n in zip(starts.tolist(), sizes.tolist(), held.tolist()):
        if size > n:
            earlier = ordered_items[start : start + size - n]
            repeats += int(np.isin(ordered_items[start + size - n : start + size], earlier).sum())
    newest = int(held.sum())
    result: dict[str, Any] = {
        "interactions": total,
        "sameSecondOtherType": other_type,
        "sameSecondOtherTypeShare": other_type / total if total else 0.0,
        "newestEvents": newest,
        "newestRepeatingHistory": repeats,
        "newestRepeatingHistoryShare": repeats / newest if newest else 0.0,
    }
    warnings = []
    if result["newestRepeatingHistoryShare"] > WARN_SHARE:
        warnings.append(
            f"offline metrics will be inflated: {100 * result['newestRepeatingHistoryShare']:.0f}% of likely test "
            "events repeat an item the user already has (Personalize holds out each test user's newest 10% and "
            "keeps repeats); compare the model with the history baseline, or collapse repeated events"
        )
    if result["sameSecondOtherTypeShare"] > WARN_SHARE:
        warnings.append(
            f"offline metrics will be inflated: {100 * result['sameSecondOtherTypeShare']:.0f}% of interactions "
            "repeat a (user, item) in the same second under another event type (one action logged twice); "
            "collapse them (same-second duplicates: collapse) unless they are really two actions"
        )
    result["warnings"] = warnings
    return result


def baselines(log: EventLog, seed: int = 0) -> dict[str, Any]:
    """Popularity and "the user's own history, newest first" on Personalize's split definition (a seeded 10 % of
    users; their newest 10 % held out; history not filtered from the lists), with Personalize's metrics."""
    users, items, _, stamps = log.arrays()
    order, starts, sizes = _by_user_time(users, stamps)
    n_users = len(starts)
    if n_users == 0:
        return {"testUsers": 0, "popularity": {}, "history": {}}
    rng = np.random.default_rng(seed)
    test = np.sort(rng.permutation(n_users)[: max(1, round(TEST_USER_SHARE * n_users))])
    ordered_items = items[order]
    held = n_held_out(sizes)
    in_test_holdout = np.zeros(len(ordered_items), bool)
    for g in test.tolist():
        end = starts[g] + sizes[g]
        in_test_holdout[end - held[g] : end] = True
    train_items, counts = np.unique(ordered_items[~in_test_holdout], return_counts=True)
    popular = train_items[np.lexsort((train_items, -counts))][:CUTOFF].tolist()
    totals = {"popularity": dict.fromkeys(BASELINE_METRICS, 0.0), "history": dict.fromkeys(BASELINE_METRICS, 0.0)}
    for g in test.tolist():
        start, end = int(starts[g]), int(starts[g] + sizes[g])
        cut = end - int(held[g])
        relevant = set(ordered_items[cut:end].tolist())
        past = ordered_items[start:cut][::-1].tolist()  # newest first, each item once (at its newest)
        history = list(dict.fromkeys(past))[:CUTOFF]
        for name, ranked in (("popularity", popular), ("history", history)):
            for metric, value in _metrics(ranked, relevant).items():
                totals[name][metric] += value
    n = len(test)
    return {
        "testUsers": n,
        **{name: {m: v / n for m, v in values.items()} for name, values in totals.items()},
    }


def _metrics(ranked: list[int], relevant: set[int]) -> dict[str, float]:
    """Personalize's definitions with binary relevance (as the emulator's engine computes them)."""
    hits = [item in relevant for item in ranked[:CUTOFF]]
    dcg = sum(1.0 / math.log2(rank + 1) for rank, hit in enumerate(hits[:10], 1) if hit)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), 10) + 1))
    first = next((rank for rank, hit in enumerate(hits, 1) if hit), 0)
    return {
        "normalized_discounted_cumulative_gain_at_10": dcg / ideal if ideal else 0.0,
        "precision_at_10": sum(hits[:10]) / 10,
        "mean_reciprocal_rank_at_25": 1.0 / first if first else 0.0,
    }
