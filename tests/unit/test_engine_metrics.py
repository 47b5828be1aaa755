"""Golden tests of Personalize's offline metrics (worked examples from the Personalize developer guide)."""

from __future__ import annotations

import pytest

from autopersonalize.engine.metrics import (
    METRIC_NAMES,
    coverage,
    evaluate,
    ndcg_at_k,
    precision_at_k,
    reciprocal_rank,
)

# Relevant items at ranks 2 and 5 of a list of 5.
LIST = ["a", "b", "c", "d", "e"]
RELEVANT = {"b", "e"}


def test_precision_at_5_golden() -> None:
    assert precision_at_k(LIST, RELEVANT, 5) == pytest.approx(0.4)


def test_ndcg_at_5_golden() -> None:
    assert ndcg_at_k(LIST, RELEVANT, 5) == pytest.approx(0.6241, abs=1e-4)


def test_reciprocal_rank_golden() -> None:
    assert reciprocal_rank(LIST, RELEVANT) == pytest.approx(0.5)


def test_mean_reciprocal_rank_golden_first_hits_at_4_2_6() -> None:
    lists = [["x1", "x2", "x3", "h"], ["x1", "h"], ["x1", "x2", "x3", "x4", "x5", "h"]]
    result = evaluate(lists, [{"h"}, {"h"}, {"h"}], n_items=10)
    assert result["mean_reciprocal_rank_at_25"] == pytest.approx(0.3056, abs=1e-4)


def test_precision_divides_by_k_not_by_list_length() -> None:
    assert precision_at_k(["h"], {"h"}, 10) == pytest.approx(0.1)


def test_ndcg_ideal_is_the_list_itself_sorted_by_relevance() -> None:
    # GIVEN 10 held-out items of which the list finds one, at rank 1: the ideal ordering of the top K is the same list
    relevant = {"h", *(f"m{i}" for i in range(9))}
    assert ndcg_at_k(["h", "x1", "x2", "x3", "x4"], relevant, 5) == pytest.approx(1.0)
    # one hit at rank 3: 1/log2(4) over 1/log2(2)
    assert ndcg_at_k(["x1", "x2", "h", "x3", "x4"], relevant, 5) == pytest.approx(0.5)


def test_ndcg_is_one_for_an_ideal_list_and_zero_without_hits() -> None:
    assert ndcg_at_k(["a", "b", "c"], {"a", "b"}, 3) == pytest.approx(1.0)
    assert ndcg_at_k(["c", "d"], {"a"}, 2) == 0.0


def test_reciprocal_rank_ignores_hits_after_the_cutoff() -> None:
    assert reciprocal_rank([*map(str, range(25)), "h"], {"h"}, 25) == 0.0


def test_coverage_counts_distinct_recommended_items_over_all_items() -> None:
    assert coverage([["a", "b"], ["b", "c"]], n_items=10) == pytest.approx(0.3)


def test_evaluate_returns_exactly_personalize_metric_keys() -> None:
    result = evaluate([LIST], [RELEVANT], n_items=5)
    assert (
        set(result)
        == set(METRIC_NAMES)
        == {
            "coverage",
            "mean_reciprocal_rank_at_25",
            "normalized_discounted_cumulative_gain_at_5",
            "normalized_discounted_cumulative_gain_at_10",
            "normalized_discounted_cumulative_gain_at_25",
            "precision_at_5",
            "precision_at_10",
            "precision_at_25",
        }
    )
    assert result["precision_at_5"] == pytest.approx(0.4)
    assert result["coverage"] == pytest.approx(1.0)


def test_evaluate_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match=r"2 recommendation lists for 1 sets of held-out items"):
        evaluate([LIST, LIST], [RELEVANT], n_items=5)
