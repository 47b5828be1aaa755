"""USER_SEGMENTATION recipes: users ranked by affinity to an item or to item attributes, and their metrics."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from autopersonalize.engine import (
    SEGMENT_METRIC_NAMES,
    DataRequirementError,
    SegmentQueryError,
    WrongRecipeTypeError,
    solution_metrics,
    train,
)
from autopersonalize.engine.data import encode, prepare
from autopersonalize.engine.segments import hit_and_recall, parse_attributes, split_by_user, top_users


def two_tastes(*, picked: int = 12, times: int = 1, seed: int = 3) -> pd.DataFrame:
    """60 users like items a0..a19, 60 like b0..b19; each user meets `picked` of their 20 items, each `times` times
    in a row."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(120):
        group = "a" if u < 60 else "b"
        seq = np.repeat(rng.choice(20, picked, replace=False), times)
        rows += [(f"u{u}", f"{group}{i}", 1_600_000_000 + 60 * t) for t, i in enumerate(seq)]
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])


DATA = two_tastes()
ITEMS = pd.DataFrame(
    {
        "ITEM_ID": [f"{g}{i}" for g in "ab" for i in range(20)],
        "GENRE": ["Action" if g == "a" else "Comedy" for g in "ab" for _ in range(20)],
        "SIZE": ["big" if i < 5 else "small" for _ in "ab" for i in range(20)],
        "PRICE": [float(i) for _ in "ab" for i in range(20)],
    }
)
GROUP_A = {f"u{u}" for u in range(60)}


@pytest.fixture(scope="module")
def affinity() -> object:
    return train("aws-item-affinity", DATA, seed=0, hyperparameters={"hidden_dimension": "32"})


@pytest.fixture(scope="module")
def attributes() -> object:
    return train("aws-item-attribute-affinity", DATA, items=ITEMS, seed=0, hyperparameters={"hidden_dimension": "32"})


def test_item_affinity_segment_holds_the_item_s_taste_group_and_not_who_already_has_it(affinity: object) -> None:
    # GIVEN data without repeats (nobody meets an item twice), WHEN asking for the users of a0
    users = affinity.users_for_item("a0", 20)  # type: ignore[attr-defined]
    had_it = set(DATA.loc[DATA["ITEM_ID"] == "a0", "USER_ID"])
    # THEN they like a-items, and the users who already met a0 are not in front (the model learned no repeats)
    assert len(users) == 20 and len(set(users)) == 20
    assert set(users) <= GROUP_A - had_it


def test_item_affinity_keeps_users_who_know_the_item_when_the_data_has_repeats() -> None:
    data = two_tastes(picked=6, times=4)  # 3 events in 4 repeat an item the user knows
    model = train("aws-item-affinity", data, seed=0, hyperparameters={"hidden_dimension": "32"})
    had_it = set(data.loc[data["ITEM_ID"] == "a0", "USER_ID"])
    users = model.users_for_item("a0", 10)
    assert set(users) <= GROUP_A and set(users) <= had_it


def test_attribute_affinity_segment_holds_the_users_of_the_genre(attributes: object) -> None:
    assert set(attributes.users_for_attributes('ITEMS.GENRE = "Comedy"', 30)) <= {f"u{u}" for u in range(60, 120)}  # type: ignore[attr-defined]
    both = attributes.users_for_attributes("ITEMS.genre = 'Action' AND ITEMS.SIZE = \"big\"", 30)  # type: ignore[attr-defined]
    assert set(both) <= GROUP_A
    assert set(attributes.users_for_attributes('ITEMS.PRICE = "3"', 5)) <= GROUP_A | {f"u{u}" for u in range(60, 120)}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            'ITEMS.GENRE = "Action" OR ITEMS.GENRE = "Comedy"',
            "itemAttributes: expected AND at 'OR ITEMS.GENRE = \"Comedy\"' (character 24); OR is not supported: "
            "write one line per alternative.",
        ),
        (
            'ITEMS.GENRE IN ("Action")',
            'itemAttributes: expected ITEMS.<FIELD> = "value" at \'ITEMS.GENRE IN ("Action")\' (character 1); '
            "conditions are joined with AND, and only = is supported (no OR, IN or ranges).",
        ),
        (
            'ITEMS.COLOUR = "red"',
            "itemAttributes: ITEMS.COLOUR is not a field of the Items dataset; its fields: GENRE, SIZE, PRICE.",
        ),
        (
            'ITEMS.GENRE = "action"',
            'itemAttributes: no item of the training data has ITEMS.GENRE = "action"; values must match the Items '
            "dataset exactly (case included) and the item must have been there at training.",
        ),
        ('ITEMS.PRICE = "cheap"', 'itemAttributes: ITEMS.PRICE is numeric; "cheap" is not a number.'),
    ],
)
def test_attribute_query_errors_say_what_is_wrong(attributes: object, expression: str, message: str) -> None:
    with pytest.raises(SegmentQueryError) as error:
        attributes.users_for_attributes(expression, 5)  # type: ignore[attr-defined]
    assert str(error.value) == message


def test_parse_attributes_unescapes_quoted_values() -> None:
    expression = 'ITEMS.TITLE = "Say \\"hi\\"" AND items.G = \'x\''
    assert parse_attributes(expression) == [("TITLE", 'Say "hi"'), ("G", "x")]


def test_unknown_item_is_a_line_error(affinity: object) -> None:
    with pytest.raises(SegmentQueryError, match="itemId 'zz' is not in the training data of this solution version"):
        affinity.users_for_item("zz", 5)  # type: ignore[attr-defined]


def test_attribute_affinity_needs_items_with_metadata() -> None:
    with pytest.raises(DataRequirementError, match="aws-item-attribute-affinity needs an Items dataset"):
        train("aws-item-attribute-affinity", DATA)
    with pytest.raises(DataRequirementError, match="non-reserved metadata column"):
        train("aws-item-attribute-affinity", DATA, items=ITEMS[["ITEM_ID"]])


def test_segmentation_models_refuse_item_recommendations_and_others_refuse_segments(affinity: object) -> None:
    with pytest.raises(WrongRecipeTypeError, match=r"aws-item-affinity \(USER_SEGMENTATION\) cannot recommend"):
        affinity.recommend("u1", 5)  # type: ignore[attr-defined]
    with pytest.raises(WrongRecipeTypeError, match="cannot recommend related items"):
        affinity.related_items("a1", 5)  # type: ignore[attr-defined]
    popular = train("aws-popularity-count", DATA)
    with pytest.raises(WrongRecipeTypeError, match="cannot get users for an itemId; train aws-item-affinity"):
        popular.users_for_item("a1", 5)


def test_segments_are_deterministic_and_the_model_pickles(affinity: object) -> None:
    again = train("aws-item-affinity", DATA, seed=0, hyperparameters={"hidden_dimension": "32"})
    assert again.users_for_item("b3", 15) == affinity.users_for_item("b3", 15)  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(again)).users_for_item("b3", 15) == again.users_for_item("b3", 15)


def test_top_users_breaks_ties_by_the_lower_index() -> None:
    assert top_users(np.array([0.5, 0.9, 0.5, 0.9, 0.1]), 3).tolist() == [1, 3, 0]
    assert top_users(np.array([0.2, 0.1]), 5).tolist() == [0, 1]


def test_split_holds_out_each_user_s_newest_fifth_rounded_up() -> None:
    # u0: 5 events (1 held out), u1: 6 (2 held out), u2: 1 (none)
    rows = [("u0", f"i{t}", t) for t in range(5)] + [("u1", f"i{t}", t) for t in range(6)] + [("u2", "i0", 9)]
    enc = encode(pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"]))
    train_part, users, items = split_by_user(enc)
    assert np.diff(train_part.indptr).tolist() == [4, 4, 1]
    assert [(str(enc.users[u]), str(enc.items[i])) for u, i in zip(users, items, strict=True)] == [
        ("u0", "i4"),
        ("u1", "i4"),
        ("u1", "i5"),
    ]


def test_hit_and_recall_golden_case() -> None:
    # query 1: 1 of 2 actual users found (hit 1, recall 0.5); query 2: none of 1 (0, 0); query 3: 2 of 4 (1, 0.5)
    rankings = [np.array([3, 7]), np.array([1, 2]), np.array([5, 6])]
    actuals = [{7, 9}, {4}, {5, 6, 8, 10}]
    assert hit_and_recall(rankings, actuals) == {"hits_at_1_percent": 2 / 3, "recall_at_1_percent": 1 / 3}


@pytest.mark.parametrize("recipe", ["aws-item-affinity", "aws-item-attribute-affinity"])
def test_segment_metrics_beat_random_users_on_structured_data(recipe: str) -> None:
    data = pd.concat([two_tastes(seed=s).assign(USER_ID=lambda d, s=s: d["USER_ID"] + f"-{s}") for s in range(4)])
    prepare(data)  # meets Personalize's minimums (1000 interactions, 25 users with 2 or more)
    genres = ITEMS[["ITEM_ID", "GENRE"]]  # attribute queries: Action (the a-users) and Comedy (the b-users)
    metrics = solution_metrics(recipe, data, items=genres, hyperparameters={"hidden_dimension": "32"})
    shuffled = data.assign(ITEM_ID=np.random.default_rng(0).permutation(data["ITEM_ID"].to_numpy()))
    random_metrics = solution_metrics(recipe, shuffled, items=genres, hyperparameters={"hidden_dimension": "32"})
    assert tuple(metrics) == SEGMENT_METRIC_NAMES
    assert metrics["recall_at_1_percent"] > 1.5 * random_metrics["recall_at_1_percent"]
    assert 0 <= random_metrics["hits_at_1_percent"] <= metrics["hits_at_1_percent"] <= 1
