"""solution_metrics(): Personalize's keys, determinism, and metrics that move the way Personalize's do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autopersonalize.engine import METRIC_NAMES, DataRequirementError, solution_metrics
from autopersonalize.engine.data import encode, prepare
from autopersonalize.engine.evaluate import evaluate_split
from autopersonalize.engine.split import Split, personalize_split
from autopersonalize.engine.synthetic import synthetic_interactions
from autopersonalize.engine.train import fit

DATA = synthetic_interactions(300, 200, 20, seed=1)
NDCG10 = "normalized_discounted_cumulative_gain_at_10"
P10 = "precision_at_10"
MRR = "mean_reciprocal_rank_at_25"


def test_solution_metrics_returns_personalize_keys_deterministically() -> None:
    first = solution_metrics("aws-user-personalization", DATA, seed=3)
    assert list(first) == list(METRIC_NAMES)
    assert first == solution_metrics("aws-user-personalization", DATA, seed=3)
    assert first != solution_metrics("aws-user-personalization", DATA, seed=4)
    assert all(0.0 <= value <= 1.0 for value in first.values())


def test_user_personalization_beats_popularity_by_a_wide_margin() -> None:
    # precision counts the hits; NDCG's ideal is the list's own hits sorted first, so one early hit already fills it
    popular = solution_metrics("aws-popularity-count", DATA)[P10]
    personal = solution_metrics("aws-user-personalization", DATA)[P10]
    assert personal >= 1.5 * popular > 0


def test_similar_items_beats_popularity_on_the_next_item() -> None:
    enc = encode(prepare(DATA))
    split = personalize_split(enc, seed=0)
    n_items = enc.n_items
    popular = fit("aws-popularity-count", "USER_PERSONALIZATION", split.train, items=None, hyperparameters=None, seed=0)
    similar = fit("aws-similar-items", "RELATED_ITEMS", split.train, items=None, hyperparameters=None, seed=0)
    baseline = evaluate_split(popular, split, n_items=n_items, task="next_item")[NDCG10]
    assert evaluate_split(similar, split, n_items=n_items, task="next_item")[NDCG10] >= 1.5 * baseline


def test_same_second_copies_do_not_raise_metrics_but_real_repeats_do() -> None:
    # Users of 11 to 20 events, so that for some the newest 10 % cuts a doubled pair in two; history is not filtered
    # out, so a held-out copy of an input item is a hit if the model puts the item it just saw first.
    varied = DATA[DATA.groupby("USER_ID").cumcount() < 11 + DATA["USER_ID"].str[1:].astype(int) % 10]
    varied = varied.assign(TIMESTAMP=varied["TIMESTAMP"] * 10)
    same_second = pd.concat([varied, varied]).sort_index(kind="stable")
    a_second_later = pd.concat([varied, varied.assign(TIMESTAMP=varied["TIMESTAMP"] + 1)]).sort_index(kind="stable")
    plain = solution_metrics("aws-user-personalization", varied)[MRR]
    # one action logged twice in one second is one action: nothing to learn about repeats (measured 0.45 vs 0.54)
    assert solution_metrics("aws-user-personalization", same_second)[MRR] < 1.1 * plain
    # users who come back to an item a second later do repeat: the model learns it (measured 0.75)
    assert solution_metrics("aws-user-personalization", a_second_later)[MRR] > 1.2 * plain


def test_solution_metrics_honours_the_event_type_filter() -> None:
    typed = DATA.assign(EVENT_TYPE=["click" if i % 10 else "buy" for i in range(len(DATA))])
    with pytest.raises(DataRequirementError, match=r"found 600 after filtering \(eventType='buy'\)"):
        solution_metrics("aws-popularity-count", typed, event_type="buy")
    clicks = solution_metrics("aws-popularity-count", typed, event_type="click")
    assert clicks != solution_metrics("aws-popularity-count", typed)


@pytest.mark.parametrize("recipe", ["aws-sims", "aws-personalized-ranking-v2"])
def test_solution_metrics_for_related_and_ranking_recipes(recipe: str) -> None:
    metrics = solution_metrics(recipe, DATA)
    assert metrics[NDCG10] > 0 and metrics["coverage"] > 0


class _Echo:
    """A scorer that recommends only the items of the history it is given, newest first, and records that history."""

    related = None

    def __init__(self) -> None:
        self.seen: list[tuple[list[int], list[int]]] = []

    def history_scores(self, items: np.ndarray, ts: np.ndarray) -> np.ndarray:
        self.seen.append((items.tolist(), ts.tolist()))
        scores = np.full(10, -np.inf)
        scores[items] = 1.0 + np.arange(len(items))
        return scores


def test_last_item_task_gives_all_but_the_newest_event_and_scores_only_its_item() -> None:
    # GIVEN a test user whose input is [1, 2] and held-out part [3, 4]; an echo model ranks its history newest first
    split = Split(
        train=encode(prepare(DATA)),  # any Encoded: the task never reads the training data
        test_users=np.array([0]),
        inputs=[(np.array([1, 2]), np.array([10, 20]))],
        holdouts=[np.array([3, 4])],
        holdout_ts=[np.array([30, 40])],
    )
    echo = _Echo()
    # WHEN scored with the 2019 protocol
    metrics = evaluate_split(echo, split, n_items=10, task="last_item")
    # THEN the model saw everything but the newest event, and only item 4 (never shown, so no hit) was relevant
    assert echo.seen == [([1, 2, 3], [10, 20, 30])]
    assert metrics[MRR] == 0.0 and metrics["precision_at_5"] == 0.0
    # and with the newest item repeated in the history, the echo ranks it first: one hit of one relevant item
    split_repeat = Split(split.train, split.test_users, split.inputs, [np.array([4, 4])], [np.array([30, 40])])
    assert evaluate_split(_Echo(), split_repeat, n_items=10, task="last_item")[MRR] == 1.0
    assert evaluate_split(_Echo(), split_repeat, n_items=10, task="last_item")["precision_at_5"] == 0.2
