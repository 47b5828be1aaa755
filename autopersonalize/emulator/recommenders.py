"""Recommenders of Domain dataset groups (ECOMMERCE, VIDEO_ON_DEMAND): their lifecycles and real training.

Evidence (docs/emulator.md, "Recommenders"):
- Operations and shapes: the botocore model (CreateRecommender name/datasetGroupArn/recipeArn/recommenderConfig/tags;
  Describe, List (datasetGroupArn filter), Update (recommenderConfig), Start, Stop, Delete; their error shapes).
- Statuses (botocore model, Recommender.status and DescribeRecommender): "CREATE PENDING > CREATE IN_PROGRESS >
  ACTIVE -or- CREATE FAILED", "STOP PENDING > STOP IN_PROGRESS > INACTIVE > START PENDING > START IN_PROGRESS >
  ACTIVE", "DELETE PENDING > DELETE IN_PROGRESS"; "The modelMetrics key is null when the recommender is being created
  or deleted". StopRecommender "Stops a recommender that is ACTIVE", StartRecommender "Starts a recommender that is
  INACTIVE". UpdateRecommender: "The recommender uses the previous configuration until the update completes", tracked
  by latestRecommenderUpdate, whose status is "CREATE PENDING > CREATE IN_PROGRESS > ACTIVE -or- CREATE FAILED".
- minRecommendationRequestsPerSecond: "The default minRecommendationRequestsPerSecond is 1" (CreateRecommender);
  its minimum 1 is the model's (RecommenderConfig). itemExplorationConfig: "Provide itemExplorationConfig data only if
  your recommenders generate personalized recommendations for a user (not popular items or similar items)".
- Use cases, recipe ARNs, GetRecommendations requirements, required datasets and event types: developer guide,
  "VIDEO_ON_DEMAND use cases" and "ECOMMERCE use cases" (e.g. "Required event types: At minimum, 1000 Watch events";
  "Amazon Personalize automatically filters videos the user watched based on the userId that you specify and Watch
  events"; "When filtering, Amazon Personalize considers at most 100 item interactions per user per event type").
- Recommenders need a Domain dataset group (amazon-personalize-samples#136, personalize-facts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from autopersonalize.emulator.datasets import DatasetGroup, datasets_of, interactions_frame, require_active
from autopersonalize.emulator.lifecycle import Lifecycle, WorkFailed, is_immediate, run_work
from autopersonalize.emulator.model import PersonalizeError, in_use, invalid, not_found
from autopersonalize.emulator.store import Resource, Store, describe, operation, paginate

RECIPE_PREFIX = "arn:aws:personalize:::recipe/"
MIN_EVENTS = 1000  # "Required event types: At minimum, 1000 <type> events" (every use case)
FILTER_HISTORY = 100  # "considers at most 100 item interactions per user per event type"
DEFAULT_MIN_RPS = 1
# How the user-facing IDs are used (GetRecommendations requirements of each use case).
USER, ITEM, USER_AND_ITEM = "userId", "itemId", "userId and itemId"


@dataclass(frozen=True)
class DomainRecipe:
    """A domain use case and the engine model that answers it.

    engine: the engine recipe trained; trained_on: the event type training keeps (None: all interactions); required:
    the event type the use case needs 1000 of (None: events of any type); query: which ids GetRecommendations
    requires; excludes: the event type of the user's interactions filtered out of the answer (None: no automatic
    filter); needs_items: the Items dataset is a required dataset.
    """

    domain: str
    engine: str
    required: str | None
    trained_on: str | None
    query: str
    excludes: str | None
    needs_items: bool = False

    @property
    def recipe_type(self) -> str:
        """RELATED_ITEMS for the "X" use cases (an itemId query), else USER_PERSONALIZATION."""
        return "RELATED_ITEMS" if ITEM in self.query else "USER_PERSONALIZATION"

    @property
    def personalized(self) -> bool:
        """Recommends for a user from their history (itemExplorationConfig applies)."""
        return self.engine == "aws-user-personalization"


VOD, ECOMMERCE = "VIDEO_ON_DEMAND", "ECOMMERCE"
DOMAIN_RECIPES: dict[str, DomainRecipe] = {
    # "Get personalized content recommendations for a user"; Interactions and Items datasets required.
    "aws-vod-top-picks": DomainRecipe(VOD, "aws-user-personalization", "Watch", None, USER, "Watch", True),
    # "videos that other users also watched based on a video": co-watching (SIMS) on Watch events.
    "aws-vod-because-you-watched-x": DomainRecipe(VOD, "aws-sims", "Watch", "Watch", USER_AND_ITEM, "Watch"),
    # "videos that are similar to a video": similar-items (co-occurrence plus item metadata); Items required. The
    # current guide asks "at least 1000 events of any type" (the older English page: 1000 Watch events).
    "aws-vod-more-like-x": DomainRecipe(VOD, "aws-similar-items", None, None, USER_AND_ITEM, "Watch", True),
    # "videos that have been watched by the most users": popularity of Watch events.
    "aws-vod-most-popular": DomainRecipe(VOD, "aws-popularity-count", "Watch", "Watch", USER, None),
    # "popular items based on how many times your customers viewed an item".
    "aws-ecomm-popular-items-by-views": DomainRecipe(ECOMMERCE, "aws-popularity-count", "View", "View", USER, None),
    # "popular items based on how many times your customers purchased an item".
    "aws-ecomm-popular-items-by-purchases": DomainRecipe(
        ECOMMERCE, "aws-popularity-count", "Purchase", "Purchase", USER, None
    ),
    # "items that customers frequently buy together along with an item": co-purchases (SIMS); userId not used.
    "aws-ecomm-frequently-bought-together": DomainRecipe(ECOMMERCE, "aws-sims", "Purchase", "Purchase", ITEM, None),
    # "items that customers also viewed based on an item": co-views (SIMS); filters what the user purchased.
    "aws-ecomm-customers-who-viewed-x-also-viewed": DomainRecipe(
        ECOMMERCE, "aws-sims", "View", "View", USER_AND_ITEM, "Purchase"
    ),
    # "personalized recommendations for items based on a user"; filters what the user purchased.
    "aws-ecomm-recommended-for-you": DomainRecipe(
        ECOMMERCE, "aws-user-personalization", "View", None, USER, "Purchase"
    ),
}
# Documented use cases the emulator does not train (CreateRecommender answers InvalidAction offline).
NOT_EMULATED = {"aws-vod-trending-now": VOD}


def domain_recipe(arn: str, group: DatasetGroup) -> tuple[str, DomainRecipe]:
    """(name, recipe) of a recipe ARN usable for a recommender in `group`, or the error Personalize answers."""
    name = arn.removeprefix(RECIPE_PREFIX)
    domain = group.params.get("domain")
    if not domain:
        raise invalid(
            f"datasetGroupArn: {group.arn} is not a Domain dataset group; recommenders need a dataset group created "
            f"with a domain (ECOMMERCE or VIDEO_ON_DEMAND). Use a solution and a campaign in a custom dataset group."
        )
    if not arn.startswith(RECIPE_PREFIX):
        raise invalid(f"recipeArn: {arn} is not a domain recipe; a recommender takes a use case's recipe ARN.")
    if name in NOT_EMULATED:
        raise PersonalizeError(
            "InvalidAction", f"The offline Personalize emulator does not train {name}; see docs/emulator.md."
        )
    recipe = DOMAIN_RECIPES.get(name)
    if recipe is None:
        from autopersonalize.emulator.solutions import recipes

        if name in recipes():
            raise invalid(
                f"recipeArn: {name} is a custom recipe; a recommender takes a {domain} use case: "
                f"{', '.join(names_of(domain))}. Use a solution and a campaign for {name}."
            )
        raise not_found(arn)
    if recipe.domain != domain:
        raise invalid(
            f"recipeArn: {name} is a {recipe.domain} use case and dataset group {group.arn} is {domain}; use one "
            f"of {', '.join(names_of(domain))}."
        )
    return name, recipe


def names_of(domain: str) -> list[str]:
    return sorted(n for n, r in DOMAIN_RECIPES.items() if r.domain == domain)


class Recommender(Resource):
    kind, arn_key = "recommender", "recommenderArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any], recipe: DomainRecipe) -> None:
        super().__init__(store, arn, name, params)
        self.recipe = recipe
        self.phase: Lifecycle | None = None  # STOP, START or DELETE after creation
        self.update: tuple[Lifecycle, dict[str, Any]] | None = None
        self.model: Any = None
        self.metrics: dict[str, float] = {}
        self.events_seen = 0  # PutEvents rows included in training; later ones are passed as extra history

    @property
    def group_arn(self) -> str:
        return str(self.params["datasetGroupArn"])

    @property
    def status(self) -> str:
        return (self.phase or self.lifecycle).current()

    def observe(self) -> None:
        (self.phase or self.lifecycle).observe(self.store.lock)
        if self.update:
            self.update[0].observe(self.store.lock)

    def refresh(self) -> None:
        """Apply a finished UpdateRecommender: "The recommender uses the previous configuration until the update
        completes"."""
        if self.update and self.update[0].current() == "ACTIVE" and not self.update[1].get("_applied"):
            self.params["recommenderConfig"] = self.update[1]["recommenderConfig"]
            self.update[1]["_applied"] = True

    def config(self) -> dict[str, Any]:
        self.refresh()
        return _filled(self.params.get("recommenderConfig"))

    def view(self) -> dict[str, Any]:
        view = {**super().view(), "recommenderConfig": self.config(), "status": self.status}
        if self.status not in ("CREATE PENDING", "CREATE IN_PROGRESS", "CREATE FAILED") and not self.status.startswith(
            "DELETE"
        ):
            view["modelMetrics"] = self.metrics
        if self.phase is not None:
            view["lastUpdatedDateTime"] = max(view["lastUpdatedDateTime"], self.phase.updated)
        if self.update:
            lifecycle, request = self.update
            view["latestRecommenderUpdate"] = {
                "recommenderConfig": _filled(request["recommenderConfig"]),
                "status": lifecycle.current(),
                "failureReason": lifecycle.failure_reason,
                "creationDateTime": request["_created"],
                "lastUpdatedDateTime": lifecycle.updated,
            }
        return view

    def summary(self) -> dict[str, Any]:
        keys = ("name", "recommenderArn", "datasetGroupArn", "recipeArn", "recommenderConfig", "status")
        view = self.view()
        return {k: view[k] for k in (*keys, "creationDateTime", "lastUpdatedDateTime")}


def _filled(config: dict[str, Any] | None) -> dict[str, Any]:
    return {"minRecommendationRequestsPerSecond": DEFAULT_MIN_RPS, **(config or {})}


def _check_config(recipe_name: str, recipe: DomainRecipe, config: dict[str, Any]) -> None:
    if config.get("itemExplorationConfig") and not recipe.personalized:
        raise invalid(
            f"recommenderConfig.itemExplorationConfig: {recipe_name} does not recommend personalized items for a "
            "user; give itemExplorationConfig only for aws-vod-top-picks or aws-ecomm-recommended-for-you."
        )
    for key in ("explorationWeight", "explorationItemAgeCutOff"):
        value = (config.get("itemExplorationConfig") or {}).get(key)
        if value is not None:
            try:
                float(value)
            except ValueError:
                raise invalid(f"recommenderConfig.itemExplorationConfig.{key}: {value!r} is not a number.") from None


def _check_datasets(store: Store, group: DatasetGroup, name: str, recipe: DomainRecipe) -> None:
    from autopersonalize.emulator.solutions import check_data

    check_data(store, group)
    if recipe.needs_items and "ITEMS" not in datasets_of(store, group.arn):
        raise invalid(
            f"Dataset group {group.arn} has no Items dataset; {name} requires the Interactions and Items datasets. "
            "Create an Items dataset and import items first."
        )


@operation("CreateRecommender")
def create_recommender(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = store.get(DatasetGroup, p["datasetGroupArn"])
    require_active(group, "Dataset group")
    name, recipe = domain_recipe(p["recipeArn"], group)
    _check_config(name, recipe, p.get("recommenderConfig") or {})
    _check_datasets(store, group, name, recipe)
    recommender = Recommender(store, store.arn(f"recommender/{p['name']}"), p["name"], p, recipe)
    store.add(recommender, p.get("tags"))
    failure = store.faults.next_training_failure()
    run_work(recommender.lifecycle, lambda: _train(store, recommender, group, failure), store.lock)
    return {"recommenderArn": recommender.arn}


def _train(store: Store, recommender: Recommender, group: DatasetGroup, failure: str | None) -> None:
    from autopersonalize import engine

    if failure:
        raise WorkFailed(failure)
    recipe = recommender.recipe
    with store.lock:
        datasets = datasets_of(store, group.arn)
        interactions = interactions_frame(store, group).copy()
        events_seen = len(group.events)
    types = interactions["EVENT_TYPE"].astype(str) if "EVENT_TYPE" in interactions else pd.Series([], dtype=str)
    found = int((types == recipe.required).sum())
    if recipe.required is not None and found < MIN_EVENTS:
        raise WorkFailed(
            f"There are not enough {recipe.required} events for training: found {found} interactions with "
            f"EVENT_TYPE {recipe.required}, and {recommender.params['recipeArn'].removeprefix(RECIPE_PREFIX)} needs "
            f"at least {MIN_EVENTS}. Import interactions with EVENT_TYPE {recipe.required}."
        )
    kwargs: dict[str, Any] = {
        "items": datasets["ITEMS"].data if "ITEMS" in datasets else None,
        "users": datasets["USERS"].data if "USERS" in datasets else None,
        "event_type": recipe.trained_on,
        "seed": 0,
    }
    try:
        model = engine.train(recipe.engine, interactions, **kwargs)
        metrics = engine.solution_metrics(recipe.engine, interactions, **kwargs)
    except ValueError as exc:  # engine.DataRequirementError: the user's data
        raise WorkFailed(str(exc)) from None
    with store.lock:
        # Rounded to 4 decimals as Personalize answers metrics (see solutions._train).
        recommender.model = model
        recommender.metrics = {k: round(float(v), 4) for k, v in metrics.items()}
        recommender.events_seen = events_seen


@operation("DescribeRecommender")
def describe_recommender(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    recommender = describe(store, Recommender, p["recommenderArn"])
    view = recommender.view()
    if recommender.phase is not None and recommender.phase.prefix == "DELETE" and recommender.phase.settled:
        store.remove(recommender)  # DELETE PENDING > DELETE IN_PROGRESS > gone
        raise not_found(recommender.arn)
    return {"recommender": view}


@operation("ListRecommenders")
def list_recommenders(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = p.get("datasetGroupArn")
    rows = (r.summary() for r in store.all(Recommender) if group in (None, r.group_arn))
    return paginate(rows, p, "recommenders")


def _require(recommender: Recommender, allowed: tuple[str, ...], action: str) -> None:
    if recommender.status not in allowed:
        raise in_use(
            f"Recommender {recommender.arn} is {recommender.status}; it can be {action} only when "
            f"{' or '.join(allowed)}. Wait until DescribeRecommender shows {allowed[0]}."
        )


@operation("StopRecommender")
def stop_recommender(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    recommender = store.get(Recommender, p["recommenderArn"])
    _require(recommender, ("ACTIVE",), "stopped")
    _phase(recommender, Lifecycle("STOP", final="INACTIVE"))
    return {"recommenderArn": recommender.arn}


@operation("StartRecommender")
def start_recommender(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    recommender = store.get(Recommender, p["recommenderArn"])
    _require(recommender, ("INACTIVE",), "started")
    _phase(recommender, Lifecycle("START"))
    return {"recommenderArn": recommender.arn}


def _phase(recommender: Recommender, lifecycle: Lifecycle) -> None:
    recommender.phase = lifecycle
    lifecycle.finish()


@operation("UpdateRecommender")
def update_recommender(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    recommender = store.get(Recommender, p["recommenderArn"])
    _require(recommender, ("ACTIVE",), "updated")
    if recommender.update and not recommender.update[0].settled:
        raise in_use(
            f"Recommender {recommender.arn} already has an update in progress ({recommender.update[0].current()})."
        )
    name = recommender.params["recipeArn"].removeprefix(RECIPE_PREFIX)
    merged = {**(recommender.params.get("recommenderConfig") or {}), **p["recommenderConfig"]}
    _check_config(name, recommender.recipe, merged)
    lifecycle = Lifecycle()
    lifecycle.finish()
    recommender.update = (lifecycle, {"recommenderConfig": merged, "_created": lifecycle.updated})
    return {"recommenderArn": recommender.arn}


@operation("DeleteRecommender")
def delete_recommender(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    recommender = store.get(Recommender, p["recommenderArn"])
    _require(recommender, ("ACTIVE", "INACTIVE", "CREATE FAILED"), "deleted")
    if is_immediate():
        store.remove(recommender)
    else:
        _phase(recommender, Lifecycle("DELETE", final="DELETED"))
    return {}


def recommender_for_request(store: Store, arn: str) -> Recommender:
    """The ACTIVE recommender GetRecommendations answers with."""
    recommender = store.get(Recommender, arn)
    require_active(recommender, "Recommender")
    return recommender


def consumed(store: Store, recommender: Recommender, user_id: str | None) -> set[str]:
    """The items of the user's newest 100 interactions of the recipe's filtered event type (bulk and PutEvents)."""
    event = recommender.recipe.excludes
    if event is None or not user_id:
        return set()
    frame = interactions_frame(store, store.get(DatasetGroup, recommender.group_arn))
    if "EVENT_TYPE" not in frame.columns:
        return set()
    mine = frame[(frame["USER_ID"].astype(str) == user_id) & (frame["EVENT_TYPE"].astype(str) == event)]
    newest = pd.to_numeric(mine["TIMESTAMP"]).sort_values(kind="stable").index[-FILTER_HISTORY:]
    return set(mine.loc[newest, "ITEM_ID"].astype(str))


def without(seen: set[str], allowed: Any) -> Any:
    """`allowed` (a filter's mask or None) that also drops the `seen` items."""
    if not seen:
        return allowed
    blocked = np.array(sorted(seen), dtype=object)

    def mask(items: np.ndarray) -> np.ndarray:
        keep = ~np.isin(items.astype(str), blocked)
        return keep if allowed is None else keep & allowed(items)

    return mask
