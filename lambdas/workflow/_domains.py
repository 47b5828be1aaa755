"""Domain dataset groups (ECOMMERCE, VIDEO_ON_DEMAND): their recommender recipes (use cases) and the fields each
dataset's schema must have.

Evidence (Amazon Personalize developer guide, read 2026-12-02):
- VIDEO_ON_DEMAND-use-cases and ECOMMERCE-use-cases: each use case's recipe ARN, the datasets it trains on and the
  event types it needs ("Because you watched X": only the Interactions dataset, at least 1000 Watch events; "More like
  X": Interactions and Items, both required, 1000 events of any type; "Most popular": Watch events; "Top picks for
  you": Interactions and Items, Watch events; e-commerce "Customers who viewed X also viewed" and "Popular items by
  views": View events, "Frequently bought together" and "Popular items by purchases": Purchase events, "Recommended
  for you": View events).
- VIDEO-ON-DEMAND-datasets-and-schemas / ECOMMERCE-datasets-and-schemas: required fields per dataset type
  (Interactions: USER_ID string, ITEM_ID string, TIMESTAMP long, EVENT_TYPE string; Users: USER_ID and at least one
  metadata field; VOD Items: ITEM_ID, GENRES categorical string, CREATION_TIMESTAMP long; ECOMMERCE Items: ITEM_ID,
  PRICE float, CATEGORY_L1 categorical string). Required fields are typed without null: the Items pages ("Items
  dataset requirements (VIDEO_ON_DEMAND domain)", "(ECOMMERCE domain)") list "null" only for the reserved keywords
  that support it ("Each keyword lists its required data type and whether it supports null data").
- CreateRecommender's RecommenderConfig.itemExplorationConfig (botocore model): "only if your recommenders generate
  personalized recommendations for a user (not popular items or similar items)".
"""

from __future__ import annotations

from typing import Any, NamedTuple

from workflow import avro
from workflow._recipes import recipe_name


class UseCase(NamedTuple):
    """A domain recipe: its domain, what GetRecommendations needs, the datasets and event types it trains on."""

    domain: str
    needs: str  # "userId", "itemId" or "userId and itemId": what the request must name (the serving route follows)
    datasets: tuple[str, ...]  # required datasets besides Interactions
    event_types: tuple[str, ...]  # the event types it trains on (any of them)
    explores: bool = False  # itemExplorationConfig allowed (personalized for a user)


USE_CASES: dict[str, UseCase] = {
    "aws-vod-because-you-watched-x": UseCase("VIDEO_ON_DEMAND", "userId and itemId", (), ("Watch",)),
    "aws-vod-more-like-x": UseCase("VIDEO_ON_DEMAND", "userId and itemId", ("Items",), ()),  # any event type
    "aws-vod-most-popular": UseCase("VIDEO_ON_DEMAND", "userId", (), ("Watch",)),
    "aws-vod-trending-now": UseCase("VIDEO_ON_DEMAND", "userId", (), ()),
    "aws-vod-top-picks": UseCase("VIDEO_ON_DEMAND", "userId", ("Items",), ("Watch",), explores=True),
    "aws-ecomm-customers-who-viewed-x-also-viewed": UseCase("ECOMMERCE", "userId and itemId", (), ("View",)),
    "aws-ecomm-frequently-bought-together": UseCase("ECOMMERCE", "itemId", (), ("Purchase",)),
    "aws-ecomm-popular-items-by-purchases": UseCase("ECOMMERCE", "userId", (), ("Purchase",)),
    "aws-ecomm-popular-items-by-views": UseCase("ECOMMERCE", "userId", (), ("View",)),
    "aws-ecomm-recommended-for-you": UseCase("ECOMMERCE", "userId", (), ("View",), explores=True),
}
DOMAINS = ("ECOMMERCE", "VIDEO_ON_DEMAND")

# (field, Avro base type, categorical) each domain's dataset schemas must have.
_INTERACTIONS = (("USER_ID", "string", False), ("ITEM_ID", "string", False), ("TIMESTAMP", "long", False),
                 ("EVENT_TYPE", "string", False))  # fmt: skip
REQUIRED_FIELDS: dict[str, dict[str, tuple[tuple[str, str, bool], ...]]] = {
    "VIDEO_ON_DEMAND": {
        "Interactions": _INTERACTIONS,
        "Items": (("ITEM_ID", "string", False), ("GENRES", "string", True), ("CREATION_TIMESTAMP", "long", False)),
        "Users": (("USER_ID", "string", False),),
    },
    "ECOMMERCE": {
        "Interactions": _INTERACTIONS,
        "Items": (("ITEM_ID", "string", False), ("PRICE", "float", False), ("CATEGORY_L1", "string", True)),
        "Users": (("USER_ID", "string", False),),
    },
}


def use_case(recipe: str) -> UseCase | None:
    """The domain use case of a recipe name or ARN, or None when it is not one."""
    return USE_CASES.get(recipe_name(recipe))


def recipes_of(domain: str) -> list[str]:
    return [name for name, case in USE_CASES.items() if case.domain == domain]


def schema_problems(domain: str, dataset_type: str, schema: dict[str, Any], path: str) -> list[str]:
    """What a dataset schema lacks for `domain` (CreateSchema with a domain refuses it): missing or mistyped required
    fields, and a Users schema without a metadata field."""
    listed = schema.get("fields")
    entries = listed if isinstance(listed, list) else []
    fields = {str(f["name"]): f for f in entries if isinstance(f, dict) and isinstance(f.get("name"), str)}
    problems = []
    for name, kind, categorical in REQUIRED_FIELDS[domain].get(dataset_type, ()):
        found = fields.get(name)
        wanted = f"{kind}{' with categorical: true' if categorical else ''}"
        if found is None:
            problems.append(
                f"{path}: a {domain} {dataset_type} schema needs the field {name} ({wanted}); add it (Personalize's "
                f"domain schema for {dataset_type})"
            )
        elif avro.base_type(found.get("type")) != kind or (categorical and found.get("categorical") is not True):
            problems.append(f"{path}: field {name} must be {wanted} in a {domain} {dataset_type} schema; fix its type")
        elif isinstance(found.get("type"), list):  # a union with null: required fields don't support null
            problems.append(
                f"{path}: field {name} is required in a {domain} {dataset_type} schema and can't be null; make its "
                f'type "{kind}" (Personalize\'s domain schema for {dataset_type} lists it without null), and when the '
                f"data has no such column give it a constant with {path.split('.schema')[0]}.fill"
            )
    if dataset_type == "Users" and len(fields) < 2:
        problems.append(
            f"{path}: a {domain} Users schema needs USER_ID and at least one metadata field (categorical string or "
            "numeric); add one"
        )
    return problems
