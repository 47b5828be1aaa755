"""Personalize's offline metrics with binary relevance: precision@K, NDCG@K, MRR@25 and coverage."""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Sequence

METRIC_NAMES = (
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
)
CUTOFFS = (5, 10, 25)


def precision_at_k(recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Hits in the top k divided by k (not by the list length, as Personalize does)."""
    return sum(1 for item in recommended[:k] if item in relevant) / k


def ndcg_at_k(recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """DCG of the top k with gain 1/log2(1 + rank), over the ideal DCG of those same k recommendations; 0 without hits.

    Personalize's definition: "The ideal DCG is where the top K recommendations are sorted by relevance" (developer
    guide, "Evaluating a solution version"), so the ideal puts the list's own hits first; relevant items the list
    missed do not enter it. The guide's printed HRNN output (NDCG@25 0.0828 with precision@25 0.0091) and the
    MovieLens runs (NDCG@10 above MRR) are only possible this way, not with an ideal over all held-out items.
    """
    hits = [item in relevant for item in recommended[:k]]
    dcg = sum(1.0 / math.log2(1 + rank) for rank, hit in enumerate(hits, 1) if hit)
    ideal = sum(1.0 / math.log2(1 + rank) for rank in range(1, sum(hits) + 1))
    return dcg / ideal if ideal else 0.0


def reciprocal_rank(recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int = 25) -> float:
    """1 / rank of the first relevant item within the top k, or 0 when there is none."""
    for rank, item in enumerate(recommended[:k], 1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def coverage(recommendations: Sequence[Sequence[Hashable]], n_items: int) -> float:
    """Distinct recommended items over all lists divided by `n_items`: the distinct items of the Interactions and
    Items datasets together ("includes both the Items and Interactions datasets", developer guide)."""
    distinct = {item for items in recommendations for item in items}
    return len(distinct) / n_items if n_items else 0.0


def evaluate(
    recommendations: Sequence[Sequence[Hashable]], truths: Sequence[Collection[Hashable]], n_items: int
) -> dict[str, float]:
    """Mean of each metric over test cases (one recommendation list and one set of held-out items each)."""
    if len(recommendations) != len(truths):
        raise ValueError(f"{len(recommendations)} recommendation lists for {len(truths)} sets of held-out items.")
    n = len(truths)
    if n == 0:
        return dict.fromkeys(METRIC_NAMES, 0.0)
    sets = [set(t) for t in truths]
    pairs = list(zip(recommendations, sets, strict=True))
    result = {"coverage": coverage(recommendations, n_items)}
    result["mean_reciprocal_rank_at_25"] = sum(reciprocal_rank(r, t, 25) for r, t in pairs) / n
    for k in CUTOFFS:
        result[f"normalized_discounted_cumulative_gain_at_{k}"] = sum(ndcg_at_k(r, t, k) for r, t in pairs) / n
    for k in CUTOFFS:
        result[f"precision_at_{k}"] = sum(precision_at_k(r, t, k) for r, t in pairs) / n
    return {name: result[name] for name in METRIC_NAMES}
