"""The data plane: personalize-runtime (recommendations, ranking) and personalize-events (events, items, users)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any, Protocol

import numpy as np
import pandas as pd

from autopersonalize.emulator import filters
from autopersonalize.emulator.campaigns import Campaign, EventTracker, Filter
from autopersonalize.emulator.datasets import Dataset, DatasetGroup, datasets_of, interactions_frame, require_active
from autopersonalize.emulator.model import PersonalizeError, invalid, not_found
from autopersonalize.emulator.solutions import SolutionVersion
from autopersonalize.emulator.store import Store, operation

RUNTIME, EVENTS = "personalize-runtime", "personalize-events"
DEFAULT_RESULTS, MAX_RESULTS = 25, 500


class Trained(Protocol):
    """What answers a request: a solution version (behind a campaign or a batch job) or a recommender."""

    model: Any
    events_seen: int

    @property
    def group_arn(self) -> str: ...


def _group(store: Store, version: Trained) -> DatasetGroup:
    return store.get(DatasetGroup, version.group_arn)


def extra_history(store: Store, version: Trained, user_id: str) -> list[tuple[str, int]]:
    """The user's PutEvents interactions the version was not trained on, oldest first."""
    events = _group(store, version).events.iloc[version.events_seen :]
    mine = events[events["USER_ID"] == user_id].sort_values("TIMESTAMP", kind="stable")
    return [(str(i), int(t)) for i, t in zip(mine["ITEM_ID"], mine["TIMESTAMP"], strict=True)]


def allowed_mask(
    store: Store, version: Trained, filter_arn: str | None, values: dict[str, str], user_id: str | None
) -> Any:
    """The engine's `allowed` callable for a request's filter (None without a filter)."""
    if not filter_arn:
        return None
    item = store.get(Filter, filter_arn)
    require_active(item, "Filter")
    group = _group(store, version)
    if item.params["datasetGroupArn"] != group.arn:
        raise invalid(f"filterArn: filter {filter_arn} belongs to another dataset group than the campaign.")
    parts = filters.bind(item.parts, values)
    datasets = datasets_of(store, group.arn)
    interactions = interactions_frame(store, group)
    users = datasets["USERS"].data if "USERS" in datasets else None
    user_row = None
    if users is not None and user_id is not None:
        rows = users[users["USER_ID"] == user_id]
        user_row = rows.iloc[-1].to_dict() if len(rows) else None
    context = filters.FilterContext(
        items=datasets["ITEMS"].data if "ITEMS" in datasets else None,
        user_interactions=interactions[interactions["USER_ID"] == user_id] if user_id else interactions.iloc[0:0],
        user=user_row,
    )
    return filters.mask_function(parts, context)


def exploration_of(store: Store, version: SolutionVersion, config: dict[str, Any] | None) -> Any:
    """engine.Exploration from a campaign's (or batch job's) config, for User-Personalization versions; else None.

    Omitted keys take the recipe's documented defaults (defaults.EXPLORATION_DEFAULTS: 0.3 and 30 days)."""
    from autopersonalize import engine
    from autopersonalize.emulator import defaults
    from autopersonalize.emulator.solutions import Solution

    recipe = store.get(Solution, version.params["solutionArn"]).recipe
    filled = defaults.campaign_config(config, recipe).get("itemExplorationConfig")
    if not filled:
        return None
    return engine.Exploration(float(filled["explorationWeight"]), float(filled["explorationItemAgeCutOff"]))


def recommend(
    store: Store, version: SolutionVersion, kind: str, request: dict[str, Any], exploration: Any = None
) -> list[tuple[str, float]]:
    """Items (and scores) for one request: userId for user recipes, itemId for related items."""
    n = num_results(request)
    allowed = allowed_mask(
        store, version, request.get("filterArn"), request.get("filterValues", {}), request.get("userId")
    )
    from autopersonalize import engine

    try:
        if kind == "RELATED_ITEMS":
            if not request.get("itemId"):
                raise invalid("itemId: required for a campaign of a related-items recipe.")
            return list(version.model.related_items(request["itemId"], n, allowed=allowed))
        if kind == "USER_PERSONALIZATION":
            if not request.get("userId"):
                raise invalid("userId: required for a campaign of a user-personalization recipe.")
            history = extra_history(store, version, request["userId"])
            return list(
                version.model.recommend(
                    request["userId"], n, extra_history=history, allowed=allowed, exploration=exploration
                )
            )
    except engine.WrongRecipeTypeError as exc:
        raise invalid(str(exc)) from None
    raise invalid("GetRecommendations is not supported by a PERSONALIZED_RANKING campaign: use GetPersonalizedRanking.")


def num_results(request: dict[str, Any]) -> int:
    """numResults: "The default is 25. ... Otherwise, the maximum is 500" (botocore model, GetRecommendations)."""
    n = int(request.get("numResults") or DEFAULT_RESULTS)
    if n > MAX_RESULTS:
        raise invalid(f"numResults: allows at most {MAX_RESULTS}, got {n}.")
    return n


def recommend_by_recommender(store: Store, request: dict[str, Any]) -> list[tuple[str, float]]:
    """A recommender's answer: the ids its use case requires, the user's consumed items of the use case's event type
    filtered out before the request's filter (developer guide, the domain use cases; see recommenders.py)."""
    from autopersonalize.emulator import recommenders

    recommender = recommenders.recommender_for_request(store, request["recommenderArn"])
    recipe, name = recommender.recipe, recommender.params["recipeArn"].removeprefix(recommenders.RECIPE_PREFIX)
    n = num_results(request)
    for key in ("userId", "itemId"):
        if key in recipe.query and not request.get(key):
            raise invalid(f"{key}: required for a recommender of {name} (it needs {recipe.query}).")
    user = request.get("userId") if "userId" in recipe.query else None
    allowed = recommenders.without(
        recommenders.consumed(store, recommender, user),
        allowed_mask(store, recommender, request.get("filterArn"), request.get("filterValues", {}), user),
    )
    if "itemId" in recipe.query:
        return list(recommender.model.related_items(request["itemId"], n, allowed=allowed))
    history = extra_history(store, recommender, str(user))
    exploration = recommender_exploration(recommender.config()) if recipe.personalized else None
    return list(recommender.model.recommend(user, n, extra_history=history, allowed=allowed, exploration=exploration))


def recommender_exploration(config: dict[str, Any]) -> Any:
    """engine.Exploration from a recommender's itemExplorationConfig when it has one; keys it leaves out take the
    User-Personalization defaults (defaults.EXPLORATION_DEFAULTS), the model behind the personalized use cases."""
    from autopersonalize import engine
    from autopersonalize.emulator import defaults

    given = config.get("itemExplorationConfig")
    if not given:
        return None
    filled = {**defaults.EXPLORATION_DEFAULTS, **given}
    return engine.Exploration(float(filled["explorationWeight"]), float(filled["explorationItemAgeCutOff"]))


def _campaign(store: Store, arn: str | None) -> tuple[SolutionVersion, str]:
    version, kind, _ = _campaign_and_config(store, arn)
    return version, kind


def _campaign_and_config(store: Store, arn: str | None) -> tuple[SolutionVersion, str, dict[str, Any] | None]:
    if not arn:
        raise invalid("campaignArn: required; give the ARN of an ACTIVE campaign.")
    campaign = store.get(Campaign, arn)
    require_active(campaign, "Campaign")
    version = campaign.serving()
    from autopersonalize.emulator.solutions import Solution

    kind = store.get(Solution, version.params["solutionArn"]).recipe_type
    return version, kind, campaign.params.get("campaignConfig")


def _items(pairs: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"itemId": str(item), "score": round(float(score), 7)} for item, score in pairs]


@operation("GetRecommendations", RUNTIME)
def get_recommendations(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    if bool(p.get("campaignArn")) == bool(p.get("recommenderArn")):
        raise invalid(
            "Give exactly one of campaignArn (a campaign of a custom dataset group) and recommenderArn (a recommender "
            f"of a Domain dataset group); got {'both' if p.get('campaignArn') else 'neither'}."
        )
    if p.get("recommenderArn"):
        return {"itemList": _items(recommend_by_recommender(store, p)), "recommendationId": f"RID-{uuid.uuid4()}"}
    version, kind, config = _campaign_and_config(store, p.get("campaignArn"))
    pairs = recommend(store, version, kind, p, exploration_of(store, version, config))
    return {"itemList": _items(pairs), "recommendationId": f"RID-{uuid.uuid4()}"}


@operation("GetPersonalizedRanking", RUNTIME)
def get_personalized_ranking(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    version, kind = _campaign(store, p.get("campaignArn"))
    if kind != "PERSONALIZED_RANKING":
        raise invalid(f"GetPersonalizedRanking needs a campaign of a PERSONALIZED_RANKING recipe, not {kind}.")
    history = extra_history(store, version, p["userId"])
    pairs = list(version.model.rank(p["userId"], list(p["inputList"]), extra_history=history))
    allowed = allowed_mask(store, version, p.get("filterArn"), p.get("filterValues", {}), p["userId"])
    if allowed is not None:
        keep = allowed(np.array([i for i, _ in pairs], dtype=object))
        pairs = [pair for pair, ok in zip(pairs, keep, strict=True) if ok]
    return {"personalizedRanking": _items(pairs), "recommendationId": f"RID-{uuid.uuid4()}"}


@operation("PutEvents", EVENTS)
def put_events(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    tracker = next((t for t in store.all(EventTracker) if t.tracking_id == p["trackingId"]), None)
    if tracker is None:
        raise PersonalizeError(
            "ResourceNotFoundException",
            f"No event tracker has trackingId {p['trackingId']}: use the trackingId returned by CreateEventTracker.",
        )
    require_active(tracker, "Event tracker")
    group = store.get(DatasetGroup, tracker.params["datasetGroupArn"])
    if "INTERACTIONS" not in datasets_of(store, group.arn):
        raise not_found(f"{group.arn} Interactions dataset")
    user = p.get("userId") or p["sessionId"]
    rows = [
        {
            "USER_ID": user,
            "ITEM_ID": e.get("itemId"),
            "TIMESTAMP": _epoch(e["sentAt"]),
            "EVENT_TYPE": e["eventType"],
            "EVENT_VALUE": e.get("eventValue"),
        }
        for e in p["eventList"]
    ]
    if any(r["ITEM_ID"] is None for r in rows):
        raise invalid("eventList: every event needs an itemId for an item interactions dataset.")
    frame = pd.DataFrame(rows).astype({"TIMESTAMP": "int64", "EVENT_VALUE": "float64"})
    group.events = pd.concat([group.events, frame], ignore_index=True) if len(group.events) else frame
    group.revision += 1
    return {}


def _epoch(value: Any) -> int:
    """sentAt as epoch seconds: SDKs send a number; raw JSON may carry an ISO 8601 string."""
    if isinstance(value, int | float):
        return int(value)
    try:
        return int(float(value))
    except ValueError:
        pass
    try:
        return int(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise invalid(f"eventList.sentAt: {value!r} is neither epoch seconds nor an ISO 8601 timestamp.") from None


def _field_name(key: str) -> str:
    """PutItems/PutUsers property keys are camelCase forms of the schema's field names (numberOfRatings)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).upper()


def _put_records(store: Store, p: dict[str, Any], records_key: str, id_key: str, column: str) -> dict[str, Any]:
    dataset = store.get(Dataset, p["datasetArn"])
    rows = []
    for i, record in enumerate(p[records_key]):
        try:
            properties = json.loads(record.get("properties") or "{}")
        except json.JSONDecodeError as exc:
            raise invalid(f"{records_key}[{i}].properties: not valid JSON ({exc}).") from None
        rows.append({column: record[id_key], **{_field_name(k): v for k, v in properties.items()}})
    new = pd.DataFrame(rows)
    current = dataset.data if dataset.data is not None else new.iloc[0:0]
    dataset.data = (
        pd.concat([current, new], ignore_index=True).drop_duplicates(column, keep="last").reset_index(drop=True)
    )
    store.get(DatasetGroup, dataset.params["datasetGroupArn"]).revision += 1
    return {}


@operation("PutItems", EVENTS)
def put_items(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return _put_records(store, p, "items", "itemId", "ITEM_ID")


@operation("PutUsers", EVENTS)
def put_users(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return _put_records(store, p, "users", "userId", "USER_ID")
