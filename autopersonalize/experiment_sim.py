"""Simulated users for an offline experiment: each asks the serving handler for recommendations once and clicks with
a chance that grows with how many of them fall in the user's preferred categories.

The truth is the demo lake's own structure (sample_data: every user's segment prefers two categories), so a variant
whose model learned those preferences converts more, and two variants serving the same version convert alike: what
the report must find. The handler is called in-process (HTTP API v2 events, as the local server sends them).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autopersonalize import sample_data
from autopersonalize.serve import http_event

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Population:
    """Who the simulated users are and what they like: user -> preferred categories, item -> category."""

    prefers: dict[str, frozenset[str]]
    category: dict[str, str]

    @classmethod
    def of(cls, lake: sample_data.DataLake) -> Population:
        users = zip(lake.users["customer_id"], lake.users["segment"], strict=True)
        prefers = {str(u): frozenset(sample_data.SEGMENTS[s]) for u, s in users}
        items = zip(lake.items["product_id"], lake.items["category"], strict=True)
        category = {str(i): str(c) for i, c in items}
        return cls(prefers, category)

    def relevance(self, user: str, items: list[str]) -> float:
        """The share of `items` in the user's preferred categories."""
        liked = self.prefers.get(user, frozenset())
        return sum(self.category.get(i) in liked for i in items) / len(items) if items else 0.0


@dataclass(frozen=True)
class Behaviour:
    """A visit converts with chance base + lift * relevance of the top `shown` recommendations."""

    conversion_event_type: str = "click"
    base: float = 0.03
    lift: float = 0.3
    shown: int = 10


def visit(
    invoke: Invoke, path: str, user: str, population: Population, behaviour: Behaviour, rng: random.Random
) -> str:
    """One user's visit: GET recommendations, maybe POST the conversion event; the variant that served the user."""
    answer = _call(invoke, "GET", f"{path}/recommendations?userId={user}&numResults={behaviour.shown}")
    items = [str(i["itemId"]) for i in answer["items"]]
    chance = behaviour.base + behaviour.lift * population.relevance(user, items)
    if items and rng.random() < chance:
        liked = [i for i in items if population.category.get(i) in population.prefers.get(user, frozenset())]
        event = {
            "userId": user,
            "eventType": behaviour.conversion_event_type,
            "itemId": (liked or items)[0],
            "recommendationId": answer.get("recommendationId"),
        }
        _call(invoke, "POST", f"{path}/events", {k: v for k, v in event.items() if v is not None})
    return str((answer.get("experiment") or {}).get("variant", "none"))


def run(
    invoke: Invoke,
    campaign: str,
    users: list[str],
    population: Population,
    behaviour: Behaviour,
    seed: int,
) -> dict[str, int]:
    """Every user visits once (in a seeded order); how many each variant served."""
    rng = random.Random(seed)
    order = list(users)
    rng.shuffle(order)
    served: dict[str, int] = {}
    for user in order:
        variant = visit(invoke, f"/campaigns/{campaign}", user, population, behaviour, rng)
        served[variant] = served.get(variant, 0) + 1
    return served


def _call(invoke: Invoke, method: str, target: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    response = invoke(http_event(method, target, {"content-type": "application/json"}, data))
    answer = json.loads(response.get("body") or "{}")
    if int(response["statusCode"]) != 200:
        raise RuntimeError(f"{method} {target.partition('?')[0]} answered {response['statusCode']}: {answer}")
    return dict(answer)
