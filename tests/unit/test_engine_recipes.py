"""Each recipe trains on a small synthetic set and answers like Personalize's runtime (order, filters, events)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from autopersonalize.engine import RECIPES, Exploration, Model, UnknownRecipeError, WrongRecipeTypeError, train
from autopersonalize.engine.scorers import RelatedScorer, SequenceScorer
from autopersonalize.engine.synthetic import synthetic_interactions

# 400 users x 20 events over 160 items in 8 groups of 20 (chains i0 -> i1 -> ... -> i19 -> i0 in group 0, etc.).
DATA = synthetic_interactions(400, 160, 20, n_groups=8, seed=5)


@pytest.fixture(scope="module")
def up() -> Model:
    return train("aws-user-personalization", DATA, seed=0)


def _ids(pairs: list[tuple[str, float]]) -> list[str]:
    return [item for item, _ in pairs]


def test_recipes_map_names_to_personalize_recipe_types() -> None:
    assert RECIPES == {
        "aws-user-personalization": "USER_PERSONALIZATION",
        "aws-user-personalization-v2": "USER_PERSONALIZATION",
        "aws-popularity-count": "USER_PERSONALIZATION",
        "aws-similar-items": "RELATED_ITEMS",
        "aws-sims": "RELATED_ITEMS",
        "aws-personalized-ranking": "PERSONALIZED_RANKING",
        "aws-personalized-ranking-v2": "PERSONALIZED_RANKING",
        "aws-item-affinity": "USER_SEGMENTATION",
        "aws-item-attribute-affinity": "USER_SEGMENTATION",
    }


# USER_SEGMENTATION recipes answer with users, not items: tests/unit/test_engine_segments.py
@pytest.mark.parametrize("recipe", sorted(r for r, kind in RECIPES.items() if kind != "USER_SEGMENTATION"))
def test_every_recipe_trains_and_answers_with_scores_in_0_1_descending(recipe: str) -> None:
    model = train(recipe, DATA, seed=0)
    assert model.recipe == recipe and model.recipe_type == RECIPES[recipe]
    assert model.training_seconds > 0 and set(model.items) == set(DATA["ITEM_ID"])
    if model.recipe_type == "RELATED_ITEMS":
        result = model.related_items("i3", 10)
    elif model.recipe_type == "PERSONALIZED_RANKING":
        result = model.rank("u1", [f"i{i}" for i in range(10)])
    else:
        result = model.recommend("u1", 10)
    scores = [score for _, score in result]
    assert len(result) == 10 and len(set(_ids(result))) == 10
    assert scores[0] == 1.0 and all(0 < s <= 1 for s in scores) and scores == sorted(scores, reverse=True)


def test_recipe_arn_is_accepted() -> None:
    assert train("arn:aws:personalize:::recipe/aws-sims", DATA).recipe == "aws-sims"


def test_unknown_recipe_is_refused_with_the_supported_names() -> None:
    with pytest.raises(
        UnknownRecipeError,
        match=r"Unknown recipe 'aws-trending-now': the offline engine trains "
        r"aws-item-affinity, aws-item-attribute-affinity, aws-personalized-ranking, ",
    ):
        train("aws-trending-now", DATA)


def test_training_is_deterministic_for_a_seed_and_survives_pickling(up: Model) -> None:
    again = train("aws-user-personalization", DATA, seed=0)
    restored = pickle.loads(pickle.dumps(up))
    assert up.recommend("u7", 25) == again.recommend("u7", 25) == restored.recommend("u7", 25)


def test_put_events_change_the_users_next_recommendations(up: Model) -> None:
    # GIVEN a user of another taste group WHEN they watch i42, i43, i44 of group 2 THEN the chain's next items lead.
    before = _ids(up.recommend("u0", 10))
    events = [("i42", 1_700_000_001), ("i43", 1_700_000_002), ("i44", 1_700_000_003)]
    after = _ids(up.recommend("u0", 10, extra_history=events))
    assert after != before
    assert "i45" in after and "i45" not in before


def test_user_personalization_weighs_recent_events_more(up: Model) -> None:
    old_then_new = [("i12", 1), ("i13", 2), ("i14", 3), ("i62", 4), ("i63", 5), ("i64", 6)]
    new_then_old = [("i62", 1), ("i63", 2), ("i64", 3), ("i12", 4), ("i13", 5), ("i14", 6)]
    first = _ids(up.recommend("stranger", 2, extra_history=old_then_new))
    second = _ids(up.recommend("stranger", 2, extra_history=new_then_old))
    assert "i65" in first and "i15" in second


def test_unknown_users_get_the_most_popular_items(up: Model) -> None:
    counts = DATA["ITEM_ID"].value_counts()
    assert [counts[item] for item in _ids(up.recommend("nobody", 3))] == counts.iloc[:3].tolist()


def test_items_the_user_interacted_with_are_not_removed_when_users_repeat() -> None:
    # Every event repeated one second later: the model learns that an item comes back once, right after itself.
    spaced = DATA.assign(TIMESTAMP=DATA["TIMESTAMP"] * 10)
    model = train("aws-user-personalization", pd.concat([spaced, spaced.assign(TIMESTAMP=spaced["TIMESTAMP"] + 1)]))
    one = _ids(model.recommend("u3", 5, extra_history=[("i50", 20_000_000_000)]))
    both = _ids(model.recommend("u3", 5, extra_history=[("i50", 20_000_000_000), ("i50", 20_000_000_001)]))
    assert one[0] == "i50"
    assert both[0] != "i50"  # after the repeat, something new comes next


def test_copies_in_the_same_second_are_one_action_not_a_repeat() -> None:
    # Every event logged twice in the same second (a click and a watch written together): no repeat to learn.
    model = train("aws-user-personalization", pd.concat([DATA, DATA]).sort_index(kind="stable"))
    one = _ids(model.recommend("u3", 5, extra_history=[("i50", 2_000_000_000)]))
    assert one[0] != "i50"
    assert _ids(model.recommend("u3", 5, extra_history=[("i50", 2_000_000_000)] * 2)) == one


def test_popularity_count_gives_everyone_the_same_list_including_seen_items() -> None:
    model = train("aws-popularity-count", DATA)
    counts = DATA["ITEM_ID"].value_counts()
    top = _ids(model.recommend("nobody", 5))
    assert [counts[item] for item in top] == counts.iloc[:5].tolist()
    seen_top = DATA[DATA["ITEM_ID"] == top[0]]["USER_ID"].iloc[0]
    assert _ids(model.recommend(seen_top, 5)) == top
    assert _ids(model.recommend("u1", 5, extra_history=[("i70", 2_000_000_000)])) == top


def test_allowed_mask_removes_items_and_can_shorten_the_list(up: Model) -> None:
    even = _ids(up.recommend("u2", 10, allowed=lambda ids: np.array([int(i[1:]) % 2 == 0 for i in ids])))
    assert len(even) == 10 and all(int(i[1:]) % 2 == 0 for i in even)
    few = up.recommend("u2", 10, allowed=lambda ids: np.isin(ids, ["i1", "i2", "i3"]))
    assert sorted(_ids(few)) == ["i1", "i2", "i3"]


def test_related_items_follow_the_chain_and_never_return_the_item_itself() -> None:
    model = train("aws-sims", DATA)
    related = _ids(model.related_items("i23", 5))
    assert "i23" not in related and {"i22", "i24"} <= set(related)


def test_related_items_of_an_unknown_item_are_popular_items() -> None:
    model = train("aws-sims", DATA)
    counts = DATA["ITEM_ID"].value_counts()
    assert [counts[item] for item in _ids(model.related_items("never-seen", 3))] == counts.iloc[:3].tolist()


def test_similar_items_uses_item_metadata_for_items_without_interactions() -> None:
    ids = [f"i{i}" for i in range(160)] + ["cold"]
    items = pd.DataFrame({"ITEM_ID": ids, "GENRE": [f"g{int(i[1:]) // 20}" if i != "cold" else "g3" for i in ids]})
    model = train("aws-similar-items", DATA, items=items)
    assert "cold" in set(model.items)
    assert all(60 <= int(i[1:]) < 80 for i in _ids(model.related_items("cold", 5)))


def test_rank_orders_given_items_and_puts_unknown_items_last(up: Model) -> None:
    events = [("i41", 2_000_000_000), ("i42", 2_000_000_001)]
    ranked = up.rank("u0", ["mystery", "i90", "i43", "i30"], extra_history=events)
    assert _ids(ranked)[0] == "i43" and _ids(ranked)[-1] == "mystery"
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True) and ranked[-1][1] > 0


def test_user_calls_on_a_related_items_model_are_refused_with_the_reason() -> None:
    model = train("aws-sims", DATA)
    with pytest.raises(WrongRecipeTypeError, match=r"Recipe aws-sims \(RELATED_ITEMS\) cannot recommend for a userId"):
        model.recommend("u1", 5)


def test_item_calls_on_a_user_model_are_refused_with_the_reason(up: Model) -> None:
    with pytest.raises(
        WrongRecipeTypeError,
        match=r"aws-user-personalization \(USER_PERSONALIZATION\) recommends "
        r"for a userId, not an itemId",
    ):
        up.related_items("i1", 5)


def test_hyperparameters_use_personalize_names() -> None:
    model = train(
        "aws-user-personalization",
        DATA,
        hyperparameters={"hidden_dimension": "8", "bptt": "5", "recency_mask": "false"},
    )
    scorer = model.scorer
    assert isinstance(scorer, SequenceScorer) and scorer.factors is not None
    assert scorer.factors.item_factors.shape[1] == 8
    assert scorer.history_length == 5 and scorer.sequence_decay == scorer.factor_decay == 1.0


def test_a_malformed_hyperparameter_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError) as info:
        train("aws-user-personalization", DATA, hyperparameters={"hidden_dimension": "big"})
    assert str(info.value) == (
        "Hyperparameter 'hidden_dimension' must be a number, found 'big'. Fix solutionConfig.algorithmHyperParameters."
    )


def test_events_on_items_the_model_does_not_know_are_ignored(up: Model) -> None:
    assert up.recommend("u4", 10, extra_history=[("brand-new", 2_000_000_000)]) == up.recommend("u4", 10)


def test_num_results_zero_gives_an_empty_list(up: Model) -> None:
    assert up.recommend("u4", 0) == []


def test_similar_items_ignores_numeric_item_fields_even_as_text() -> None:
    ids = [f"i{i}" for i in range(160)]
    items = pd.DataFrame({"ITEM_ID": ids, "PRICE": ["9.99"] * 160, "GENRE": [f"g{i // 20}" for i in range(160)]})
    model = train("aws-similar-items", DATA, items=items)
    assert isinstance(model.related, RelatedScorer) and model.related.metadata is not None
    assert model.related.metadata.shape == (160, 8)  # the 8 genres; PRICE is not a token


def test_exploration_without_item_metadata_lifts_only_the_young_items_near_the_users_taste() -> None:
    """Without an Items dataset a young item's only relevance is the model's own score, which exploration multiplies
    by 1 + weight x 3.5 / sqrt(1 + interactions): the young items five of group 7's users just tried move up for
    another group-7 user as the weight grows, and stay where they were for a user who never touched group 7."""
    group = DATA["ITEM_ID"].str[1:].astype(int) // 20
    share = (group == 7).groupby(DATA["USER_ID"]).mean()
    fans, others = list(share[share > 0.5].index), list(share[share == 0].index)
    latest = int(DATA["TIMESTAMP"].max())
    tried = pd.DataFrame(
        {"USER_ID": np.repeat(fans[:5], 2), "ITEM_ID": ["n0", "n1"] * 5, "TIMESTAMP": latest + np.arange(10)}
    )
    model = train("aws-user-personalization", pd.concat([DATA, tried], ignore_index=True), seed=0)

    def ranks(user: str, weight: float) -> list[int]:
        ids = _ids(model.recommend(user, len(model.items), exploration=Exploration(weight, 30)))
        return [ids.index("n0"), ids.index("n1")]

    fan = [ranks(fans[5], weight) for weight in (0.0, 0.3, 1.0)]
    assert all(a > b > c for a, b, c in zip(*fan, strict=True)), fan
    assert ranks(others[0], 1.0) == ranks(others[0], 0.0)
