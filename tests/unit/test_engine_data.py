"""prepare(): typing, Personalize's eventType / eventValueThreshold filters and the minimum data requirements."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autopersonalize.engine import DataRequirementError, prepare
from autopersonalize.engine.data import encode


def _interactions(n_users: int = 50, per_user: int = 30) -> pd.DataFrame:
    n = n_users * per_user
    return pd.DataFrame(
        {
            "USER_ID": np.repeat(np.arange(n_users), per_user),  # ints: prepare must make them strings
            "ITEM_ID": np.arange(n) % 97,
            "TIMESTAMP": np.arange(n) + 1_700_000_000,
            "EVENT_TYPE": np.where(np.arange(n) % 3 == 0, "purchase", "click"),
            "EVENT_VALUE": (np.arange(n) % 10).astype(float),
        }
    )


def test_prepare_types_ids_as_strings_and_timestamps_as_int64() -> None:
    df = prepare(_interactions())
    assert df["USER_ID"].iloc[0] == "0" and df["ITEM_ID"].iloc[1] == "1"
    assert df["TIMESTAMP"].dtype == np.int64


def test_prepare_keeps_only_the_event_type() -> None:
    df = prepare(_interactions(), event_type="click")
    assert set(df["EVENT_TYPE"]) == {"click"} and len(df) == 1000


def test_prepare_keeps_events_at_or_above_the_value_threshold() -> None:
    df = prepare(_interactions(), event_value_threshold=3.0)
    assert df["EVENT_VALUE"].min() == 3.0 and len(df) == 1050


def test_prepare_weighs_the_events_config_types_relative_to_the_heaviest() -> None:
    events = [{"eventType": "purchase", "weight": 0.4}, {"eventType": "click", "eventValueThreshold": 2, "weight": 0.1}]
    df = prepare(_interactions(), events=events)
    clicks = df[df["EVENT_TYPE"] == "click"]
    assert len(df) == 500 + 800 and clicks["EVENT_VALUE"].min() == 2.0
    assert set(df.loc[df["EVENT_TYPE"] == "purchase", "WEIGHT"]) == {1.0} and set(clicks["WEIGHT"]) == {0.25}


def test_events_config_weights_all_zero_weigh_equally() -> None:
    df = prepare(_interactions(), events=[{"eventType": "purchase", "weight": 0}, {"eventType": "click", "weight": 0}])
    assert set(df["WEIGHT"]) == {1.0} and len(df) == 1500


def test_same_second_copies_weigh_as_their_heaviest_copy() -> None:
    from autopersonalize.engine.components import once_per_second

    df = pd.DataFrame(
        {"USER_ID": ["u"] * 3, "ITEM_ID": ["a", "a", "b"], "TIMESTAMP": [5, 5, 6], "WEIGHT": [0.1, 1.0, 0.1]}
    )
    once = once_per_second(encode(df))
    assert list(once.items[once.item]) == ["a", "b"] and list(once.weights()) == [1.0, 0.1]


def test_prepare_refuses_fewer_than_1000_interactions_after_filtering() -> None:
    with pytest.raises(DataRequirementError) as info:
        prepare(_interactions(), event_type="purchase")
    assert str(info.value) == (
        "There are not enough interactions for training: found 500 after filtering (eventType='purchase'), "
        "and Amazon Personalize needs at least 1000. Import more interactions or relax the filters."
    )


def test_prepare_refuses_fewer_than_25_users_with_two_interactions() -> None:
    singles = pd.DataFrame({"USER_ID": [f"s{i}" for i in range(1000)], "ITEM_ID": "x", "TIMESTAMP": 1})
    pairs = pd.DataFrame({"USER_ID": [f"p{i % 24}" for i in range(48)], "ITEM_ID": "y", "TIMESTAMP": 2})
    with pytest.raises(DataRequirementError) as info:
        prepare(pd.concat([singles, pairs]))
    assert str(info.value) == (
        "There are not enough users with at least 2 interactions: found 24, and Amazon Personalize needs at least 25. "
        "Import interactions for more users."
    )


def test_prepare_refuses_when_under_one_percent_of_users_have_two_interactions() -> None:
    singles = pd.DataFrame({"USER_ID": [f"s{i}" for i in range(5000)], "ITEM_ID": "x", "TIMESTAMP": 1})
    pairs = pd.DataFrame({"USER_ID": [f"p{i % 30}" for i in range(60)], "ITEM_ID": "y", "TIMESTAMP": 2})
    with pytest.raises(DataRequirementError, match=r"Too few users have at least 2 interactions: 30 of 5030"):
        prepare(pd.concat([singles, pairs]))


def test_prepare_names_the_missing_columns() -> None:
    with pytest.raises(ValueError, match=r"lack the required column\(s\) \['TIMESTAMP'\]"):
        prepare(pd.DataFrame({"USER_ID": ["a"], "ITEM_ID": ["b"]}))


def test_prepare_names_the_row_of_a_bad_timestamp() -> None:
    df = _interactions().astype({"TIMESTAMP": object})
    df.loc[7, "TIMESTAMP"] = "yesterday"
    with pytest.raises(ValueError, match=r"TIMESTAMP at row 7 is 'yesterday'; it must be a Unix epoch time in seconds"):
        prepare(df)


def test_prepare_refuses_an_event_type_filter_without_the_column() -> None:
    with pytest.raises(
        DataRequirementError,
        match=r"eventType 'click' was given but the interactions have no "
        r"EVENT_TYPE column",
    ):
        prepare(_interactions().drop(columns="EVENT_TYPE"), event_type="click")


def test_encode_orders_each_history_by_time_keeping_input_order_for_ties() -> None:
    df = pd.DataFrame({"USER_ID": ["u", "u", "u", "v"], "ITEM_ID": ["c", "a", "b", "a"], "TIMESTAMP": [5, 1, 5, 3]})
    enc = encode(df)
    items, ts = enc.history(0)
    assert list(enc.items[items]) == ["a", "c", "b"] and list(ts) == [1, 5, 5]
