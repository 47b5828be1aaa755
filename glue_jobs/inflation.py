"""What inflates Personalize's offline metrics, measured where the interactions are (the export), and the trivial
baselines a model must beat, on Personalize's split definition.

Personalize holds out each test user's newest 10 % of interactions (10 % of users, at random) and does not drop items
already in the user's history. Two common ways of logging make the held-out items copies of what the model has just
seen, and NDCG then looks excellent for a model that merely echoes history:
- the same (user, item) in the same second under two event types (a rating written as a "click" and a "watch");
- sessions that replay items (each user's newest events repeat items of their earlier ones).
The export measures both, and computes two baselines with Personalize's metric definitions: popularity, and "the
user's own history, newest first". They are estimates: Personalize's random test users are not ours.

Memory stays bounded: the log keeps every interaction (32 bytes: user, item and event-type digests, the timestamp)
up to EXACT_ROWS, then only those of a sample of users (by their digest: 10 %, halved while it holds more than
EXACT_ROWS), so the measures are exact up to 250,000 interactions and estimates from 125,000-250,000 sampled ones
beyond. The baselines' test users are the 10 % sample (Personalize's share), or the smaller one past 2.5 M rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EXACT_ROWS = 250_000  # interactions the log holds at most (8 MB): measured exactly up to here, sampled beyond
# Warning thresholds. One action logged twice in a second is a logging artifact: warn from 5 %. Repeats among the
# newest events are normal in commerce (a view, then the purchase of the same item; the demo has 16 %) and inflate
# the metrics only when they dominate the held-out events: warn from 25 % (the replay test data has 98 %).
WARN_SAME_SECOND_SHARE = 0.05
WARN_REPEAT_SHARE = 0.25
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


def sampled(users: np.ndarray, level: int = 0) -> np.ndarray:
    """A sample of users by their 64-bit digest (the same users in every chunk and run): 10 % at level 0, the
    baselines' test users, halved at each further level."""
    tenth = ((users >> np.uint64(32)) % np.uint64(10)) == 0
    return tenth & (((users >> np.uint64(8)) & np.uint64((1 << level) - 1)) == 0) if level else tenth


@dataclass
class EventLog:
    """Digests of the exported interactions, chunk by chunk: all of them up to EXACT_ROWS, then a sample of users
    (10 %, halved while it holds more than EXACT_ROWS), so its memory stays under 8 MB plus a chunk's sample."""

    users: list[np.ndarray] = field(default_factory=list)
    items: list[np.ndarray] = field(default_factory=list)
    types: list[np.ndarray] = field(default_factory=list)
    stamps: list[np.ndarray] = field(default_factory=list)
    rows: int = 0  # every interaction added, kept or not
    kept: int = 0
    level: int = -1  # -1: every interaction; k >= 0: the users of sampled(users, k)

    @property
    def sampling(self) -> bool:
        return self.level >= 0

    @property
    def share(self) -> float:
        """The share of users the log holds."""
        return 1.0 if self.level < 0 else 0.1 / 2**self.level

    def add(self, users: np.ndarray, items: np.ndarray, types: np.ndarray, stamps: np.ndarray) -> None:
        self.rows += len(users)
        if self.sampling:
            keep = sampled(users, self.level)
            users, items, types, stamps = users[keep], items[keep], types[keep], stamps[keep]
        self._append(users, items, types, stamps)
        while self.kept > EXACT_ROWS:
            self._resample(self.level + 1)

    def _append(self, users: np.ndarray, items: np.ndarray, types: np.ndarray, stamps: np.ndarray) -> None:
        self.users.append(users.astype(np.uint64, copy=False))
        self.items.append(items.astype(np.uint64, copy=False))
        self.types.append(types.astype(np.uint64, copy=False))
        self.stamps.append(stamps.astype(np.int64, copy=False))
        self.kept += len(users)

    def _resample(self, level: int) -> None:
        users, items, types, stamps = self.arrays()
        keep = sampled(users, level)
        self.users, self.items, self.types, self.stamps, self.kept, self.level = [], [], [], [], 0, level
        self._append(users[keep], items[keep], types[keep], stamps[keep])

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
    order = np.lexsort((stamps, users))  # stable: equal times keep file order
    grouped = users[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(grouped) else np.empty(0, np.int64)
    sizes = np.diff(np.r_[starts, len(grouped)])
    return order, starts, sizes


def measure(log: EventLog) -> dict[str, Any]:
    """The two inflation measures, their shares (exact, or from the 10 % sample of users past EXACT_ROWS), and a
    plain warning for each above its threshold."""
    users, items, types, stamps = log.arrays()
    measured = len(users)
    # same (user, item, second) under another event type: per group, every type beyond the first is a copy
    key = np.lexsort((types, stamps, items, users))
    u, i, s, t = users[key], items[key], stamps[key], types[key]
    new_group = np.r_[True, (u[1:] != u[:-1]) | (i[1:] != i[:-1]) | (s[1:] != s[:-1])] if measured else key > 0
    new_type = np.r_[True, t[1:] != t[:-1]] if measured else key > 0
    other_type = int((new_type & ~new_group).sum())
    del key, u, i, s, t, new_group, new_type
    # each user's newest 10 % (the events Personalize may hold out) whose item the user has among earlier events
    order, starts, sizes = _by_user_time(users, stamps)
    group = np.repeat(np.arange(len(starts)), sizes)
    position = np.arange(measured) - starts[group]
    cut = (sizes - n_held_out(sizes))[group]
    ordered = items[order]
    by_item = np.lexsort((position, ordered, group))  # each (user, item)'s events, oldest first
    firsts = np.r_[True, (group[by_item][1:] != group[by_item][:-1]) | (ordered[by_item][1:] != ordered[by_item][:-1])]
    first_position = np.empty(measured, np.int64)
    first_position[by_item] = position[by_item][np.maximum.accumulate(np.where(firsts, np.arange(measured), 0))]
    newest = position >= cut
    repeats = int((newest & (first_position < cut)).sum())
    newest_events = int(newest.sum())
    share = other_type / measured if measured else 0.0
    result: dict[str, Any] = {
        "interactions": log.rows,
        "measuredInteractions": measured,
        "measuredOn": f"a {100 * log.share:g}% sample of users" if log.sampling else "every interaction",
        "sameSecondOtherType": round(share * log.rows),
        "sameSecondOtherTypeShare": share,
        "newestEvents": newest_events,
        "newestRepeatingHistory": repeats,
        "newestRepeatingHistoryShare": repeats / newest_events if newest_events else 0.0,
    }
    warnings = []
    if result["newestRepeatingHistoryShare"] > WARN_REPEAT_SHARE:
        warnings.append(
            f"offline metrics will be inflated: {100 * result['newestRepeatingHistoryShare']:.0f}% of likely test "
            "events repeat an item the user already has (Personalize holds out each test user's newest 10% and "
            "keeps repeats); compare the model with the history baseline, or collapse repeated events"
        )
    if share > WARN_SAME_SECOND_SHARE:
        warnings.append(
            f"offline metrics will be inflated: {100 * share:.0f}% of interactions "
            "repeat a (user, item) in the same second under another event type (one action logged twice); "
            "collapse them (same-second duplicates: collapse) unless they are really two actions"
        )
    result["warnings"] = warnings
    return result


def baselines(log: EventLog, item_keys: np.ndarray, item_counts: np.ndarray) -> dict[str, Any]:
    """Popularity and "the user's own history, newest first" on Personalize's split definition: the sampled 10 % of
    users are the test users, their newest 10 % is held out, history is not filtered from the lists. `item_keys` and
    `item_counts`: every exported interaction's items and how often each occurs (the popularity)."""
    users, items, _, stamps = log.arrays()
    order, starts, sizes = _by_user_time(users, stamps)
    ordered_items, grouped = items[order], users[order]
    test = np.flatnonzero(sampled(grouped[starts], max(0, log.level))) if len(starts) else np.empty(0, np.int64)
    if len(test) == 0:
        return {"testUsers": 0, "popularity": {}, "history": {}}
    held = n_held_out(sizes)
    held_items = np.concatenate([ordered_items[starts[g] + sizes[g] - held[g] : starts[g] + sizes[g]] for g in test])
    gone_keys, gone = np.unique(held_items, return_counts=True)  # the held-out events are not training data
    counts = item_counts.astype(np.int64)
    where = np.searchsorted(item_keys, gone_keys)
    counts[where] -= gone
    popular = item_keys[np.lexsort((item_keys, -counts))][:CUTOFF].tolist()
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
    return {"testUsers": n, **{name: {m: v / n for m, v in values.items()} for name, values in totals.items()}}


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
