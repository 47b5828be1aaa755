"""Tolerant read access to a raw params document, shared by the cross-field checks."""

from __future__ import annotations

import difflib
from typing import Any

from workflow import _recipes as recipes
from workflow import avro

DATASET_TYPES = ("Interactions", "Items", "Users")


class Doc:
    """Tolerant read access to a raw params document: wrong shapes read as absent (the model reports them)."""

    def __init__(self, raw: dict[str, Any], loaded: dict[int, dict[str, Any]]) -> None:
        self.raw = raw
        self.loaded = loaded

    def entries(self, key: str) -> list[tuple[int, str, dict[str, Any]]]:
        value = self.raw.get(key)
        if not isinstance(value, list):
            return []
        return [(i, f"{key}[{i}]", item) for i, item in enumerate(value) if isinstance(item, dict)]

    def names(self, key: str) -> list[str]:
        return [e["name"] for _, _, e in self.entries(key) if isinstance(e.get("name"), str)]

    def dataset_types(self) -> set[str]:
        return {str(d["datasetType"]) for _, _, d in self.entries("datasets") if d.get("datasetType") in DATASET_TYPES}

    def schema(self, dataset_type: str) -> dict[str, Any] | None:
        """The dataset's Avro schema when it is known and well-formed enough to read field names from."""
        for index, _, dataset in self.entries("datasets"):
            if dataset.get("datasetType") == dataset_type:
                inline = dataset.get("schema")
                schema = inline if inline is not None else self.loaded.get(index)
                return schema if isinstance(schema, dict) and isinstance(schema.get("fields"), list) else None
        return None

    def field_type(self, dataset_type: str, field: str) -> tuple[str | None, bool] | None:
        """(base type, textual) of a field, or None when the schema is known and lacks it; (None, False) if unknown."""
        schema = self.schema(dataset_type)
        if schema is None:
            return None, False
        for entry in schema["fields"]:
            if isinstance(entry, dict) and entry.get("name") == field:
                return avro.base_type(entry.get("type")), entry.get("textual") is True
        return None

    def solution(self, name: object) -> dict[str, Any] | None:
        return next((s for _, _, s in self.entries("solutions") if s.get("name") == name), None)

    def recipe(self, solution_name: object) -> str | None:
        solution = self.solution(solution_name)
        recipe = solution.get("recipe") if solution else None
        return recipes.recipe_name(recipe) if isinstance(recipe, str) else None


def suggest(found: object, allowed: list[str], what: str) -> str:
    """ "; did you mean "x"?" or "; allowed: a, b" (or a note that there are none)."""
    allowed = list(dict.fromkeys(allowed))
    if isinstance(found, str) and (close := difflib.get_close_matches(found, allowed, n=1, cutoff=0.6)):
        return f'; did you mean "{close[0]}"?'
    return f"; allowed: {', '.join(allowed)}" if allowed else f"; this file has no {what}"


def as_object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
