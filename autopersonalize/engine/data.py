"""Interactions input: validation, Personalize's eventType/eventValueThreshold/eventsConfig filters and event weights,
data requirements, encoding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MIN_INTERACTIONS = 1000
MIN_ACTIVE_USERS = 25
MIN_ACTIVE_USER_SHARE = 0.01
REQUIRED_COLUMNS = ("USER_ID", "ITEM_ID", "TIMESTAMP")
# solutionConfig.eventsConfig is honoured by these recipes only (developer guide, "Optimizing a solution with events
# configuration": "If you use the User-Personalization-v2 recipe or Personalized-Ranking-v2 recipe, you can optimize
# an Amazon Personalize solution with an events configuration"). The params validation's copy,
# workflow._recipes.EVENTS_CONFIG_RECIPES (the Lambdas do not ship the engine), is checked to agree by a test.
EVENTS_CONFIG_RECIPES = ("aws-user-personalization-v2", "aws-personalized-ranking-v2")
EventParameters = Sequence[Mapping[str, Any]]


class DataRequirementError(ValueError):
    """The (filtered) interactions do not meet Personalize's minimum data requirements for training."""


def prepare(
    interactions: pd.DataFrame,
    *,
    event_type: str | None = None,
    event_value_threshold: float | None = None,
    events: EventParameters | None = None,
) -> pd.DataFrame:
    """Validate, type and filter interactions as Personalize does before training; raise DataRequirementError.

    `events` is solutionConfig.eventsConfig.eventParametersList: only the listed event types train, each at or above
    its own eventValueThreshold, and each row gets a WEIGHT column (see event_weights)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in interactions.columns]
    if missing:
        raise ValueError(
            f"Interactions lack the required column(s) {missing}; found {list(interactions.columns)}. "
            "The Interactions schema needs USER_ID (string), ITEM_ID (string) and TIMESTAMP (long)."
        )
    df = pd.DataFrame(
        {
            "USER_ID": interactions["USER_ID"].astype(str).to_numpy(),
            "ITEM_ID": interactions["ITEM_ID"].astype(str).to_numpy(),
            "TIMESTAMP": _timestamps(interactions["TIMESTAMP"]),
        }
    )
    for optional in ("EVENT_TYPE", "EVENT_VALUE"):
        if optional in interactions.columns:
            df[optional] = interactions[optional].to_numpy()
    df = _filter(df, event_type, event_value_threshold)
    if events:
        df = event_weights(df, events)
    check_requirements(df, _describe_filters(event_type, event_value_threshold, events))
    return df.reset_index(drop=True)


def _timestamps(column: pd.Series) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"TIMESTAMP at row {row} is {column.iloc[row]!r}; it must be a Unix epoch time in seconds (long). "
            "Fix the interactions data."
        )
    return values.to_numpy().astype(np.int64)


def _filter(df: pd.DataFrame, event_type: str | None, threshold: float | None) -> pd.DataFrame:
    if event_type is not None:
        if "EVENT_TYPE" not in df.columns:
            raise DataRequirementError(
                f"eventType {event_type!r} was given but the interactions have no EVENT_TYPE column. "
                "Add EVENT_TYPE to the Interactions schema or remove eventType from the solution."
            )
        df = df[df["EVENT_TYPE"].astype(str) == event_type]
    if threshold is not None:
        if "EVENT_VALUE" not in df.columns:
            raise DataRequirementError(
                f"eventValueThreshold {threshold} was given but the interactions have no EVENT_VALUE column. "
                "Add EVENT_VALUE to the Interactions schema or remove eventValueThreshold from the solution."
            )
        values = pd.to_numeric(df["EVENT_VALUE"], errors="coerce")
        df = df[values >= threshold]
    return df


def event_weights(df: pd.DataFrame, events: EventParameters) -> pd.DataFrame:
    """Keep the event types `events` lists, each at or above its eventValueThreshold, with WEIGHT = its weight over
    the largest one ("only the ratio of weights between event types matters", developer guide); a type listed
    without a weight counts as 1.0, the top of the weight's range (0.0-1.0); when every weight is 0, they are equal."""
    if "EVENT_TYPE" not in df.columns:
        raise DataRequirementError(
            "solutionConfig.eventsConfig was given but the interactions have no EVENT_TYPE column. "
            "Add EVENT_TYPE to the Interactions schema or remove eventsConfig from the solution."
        )
    types = df["EVENT_TYPE"].astype(str)
    keep = np.zeros(len(df), dtype=bool)
    weight = np.zeros(len(df))
    top = max(float(e.get("weight", 1.0)) for e in events)
    for event in events:
        rows = (types == str(event.get("eventType"))).to_numpy()
        threshold = event.get("eventValueThreshold")
        if threshold is not None:
            if "EVENT_VALUE" not in df.columns:
                raise DataRequirementError(
                    f"eventsConfig gives {event.get('eventType')!r} an eventValueThreshold but the interactions have "
                    "no EVENT_VALUE column. Add EVENT_VALUE to the Interactions schema or remove the threshold."
                )
            rows = rows & (pd.to_numeric(df["EVENT_VALUE"], errors="coerce") >= float(threshold)).to_numpy()
        keep |= rows
        weight[rows] = float(event.get("weight", 1.0)) / top if top > 0 else 1.0
    return df[keep].assign(WEIGHT=weight[keep])


def _describe_filters(event_type: str | None, threshold: float | None, events: EventParameters | None = None) -> str:
    parts = [f"eventType={event_type!r}"] if event_type is not None else []
    parts += [f"eventValueThreshold={threshold}"] if threshold is not None else []
    parts += [f"eventsConfig types {[str(e.get('eventType')) for e in events]}"] if events else []
    return f" after filtering ({', '.join(parts)})" if parts else ""


def check_requirements(df: pd.DataFrame, context: str = "") -> None:
    """Personalize's minimums: 1000 interactions; 25 users (and 1 % of users) with at least 2 interactions."""
    if len(df) < MIN_INTERACTIONS:
        raise DataRequirementError(
            f"There are not enough interactions for training: found {len(df)}{context}, "
            f"and Amazon Personalize needs at least {MIN_INTERACTIONS}. Import more interactions"
            f"{' or relax the filters' if context else ''}."
        )
    per_user = df["USER_ID"].value_counts()
    active = int((per_user >= 2).sum())
    if active < MIN_ACTIVE_USERS:
        raise DataRequirementError(
            f"There are not enough users with at least 2 interactions: found {active}{context}, "
            f"and Amazon Personalize needs at least {MIN_ACTIVE_USERS}. Import interactions for more users."
        )
    if active < MIN_ACTIVE_USER_SHARE * len(per_user):
        raise DataRequirementError(
            f"Too few users have at least 2 interactions: {active} of {len(per_user)}{context}, "
            f"and Amazon Personalize needs at least {MIN_ACTIVE_USER_SHARE:.0%} of users. Import more history per user."
        )


@dataclass(frozen=True)
class Encoded:
    """Interactions as integer arrays, grouped by user and ordered by time (ties keep the input order)."""

    users: np.ndarray  # user index -> user id
    items: np.ndarray  # item index -> item id
    user: np.ndarray  # per event, int32
    item: np.ndarray  # per event, int32
    ts: np.ndarray  # per event, int64
    indptr: np.ndarray  # events of user u are [indptr[u], indptr[u + 1])
    weight: np.ndarray | None = None  # per event, float64, from eventsConfig; None = every event weighs 1

    def weights(self) -> np.ndarray:
        """Per event weight (ones without an eventsConfig)."""
        return np.ones(len(self.item)) if self.weight is None else self.weight

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def history(self, u: int) -> tuple[np.ndarray, np.ndarray]:
        """The items and timestamps of user index `u`, oldest first."""
        start, end = self.indptr[u], self.indptr[u + 1]
        return self.item[start:end], self.ts[start:end]


def encode(df: pd.DataFrame, extra_items: np.ndarray | None = None) -> Encoded:
    """Encode prepared interactions; `extra_items` (e.g. the Items dataset) join the item universe after them."""
    user_codes, users = pd.factorize(df["USER_ID"], sort=False)
    all_items = df["ITEM_ID"].to_numpy()
    if extra_items is not None and len(extra_items):
        all_items = np.concatenate([all_items, np.asarray(extra_items, dtype=object).astype(str)])
    item_codes_all, items = pd.factorize(all_items, sort=False)
    item_codes = item_codes_all[: len(df)]
    ts = df["TIMESTAMP"].to_numpy().astype(np.int64)
    order = np.lexsort((np.arange(len(df)), ts, user_codes))
    user_sorted = user_codes[order].astype(np.int32)
    indptr = np.zeros(len(users) + 1, dtype=np.int64)
    np.cumsum(np.bincount(user_sorted, minlength=len(users)), out=indptr[1:])
    return Encoded(
        users=np.asarray(users, dtype=object),
        items=np.asarray(items, dtype=object),
        user=user_sorted,
        item=item_codes[order].astype(np.int32),
        ts=ts[order],
        indptr=indptr,
        weight=df["WEIGHT"].to_numpy(dtype=np.float64)[order] if "WEIGHT" in df.columns else None,
    )
