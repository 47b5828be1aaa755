"""TagResource, UntagResource and ListTagsForResource over every emulated resource."""

from __future__ import annotations

from typing import Any

from autopersonalize.emulator.model import not_found
from autopersonalize.emulator.store import Store, operation


def _tags(store: Store, arn: str) -> dict[str, str]:
    if store.find(arn) is None:
        raise not_found(arn)
    return store.tags.setdefault(arn, {})


@operation("TagResource")
def tag_resource(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    _tags(store, p["resourceArn"]).update({t["tagKey"]: t.get("tagValue", "") for t in p["tags"]})
    return {}


@operation("UntagResource")
def untag_resource(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    tags = _tags(store, p["resourceArn"])
    for key in p["tagKeys"]:
        tags.pop(key, None)
    return {}


@operation("ListTagsForResource")
def list_tags_for_resource(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"tags": [{"tagKey": k, "tagValue": v} for k, v in _tags(store, p["resourceArn"]).items()]}
