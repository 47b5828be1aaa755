"""Cross-field checks of filter expressions: the grammar, and only datasets and fields the params file has."""

from __future__ import annotations

from workflow import avro
from workflow._filter_expr import GRAMMAR, FilterSyntaxError, parse
from workflow._params_access import Doc, suggest

MAX_FILTER_FIELDS = 5


def filter_problems(doc: Doc) -> list[str]:
    problems = []
    for _, path, entry in doc.entries("filters"):
        expression = entry.get("filterExpression")
        if isinstance(expression, str) and expression.strip():
            problems += [f"{path}.filterExpression: {p}" for p in _filter_problems(doc, expression)]
    return problems


def _filter_problems(doc: Doc, expression: str) -> list[str]:
    try:
        statements = parse(expression)
    except FilterSyntaxError as error:
        return [f"{error}; allowed: {GRAMMAR}"]
    problems, fields = [], set()
    for statement in statements:
        allowed = ("Items", "Interactions") if statement.target == "ItemID" else ("Users", "Interactions")
        where = {dataset for dataset, _ in statement.where}
        for dataset, field in statement.where:
            if dataset not in allowed:
                problems.append(
                    f"{dataset}.{field}: {statement.target} filters read {' or '.join(allowed)} after WHERE"
                )
            else:
                problems += _filter_field(doc, dataset, field)
        for dataset, field in statement.condition:
            if dataset != "CurrentUser":
                problems.append(f"{dataset}.{field}: after IF only CurrentUser.<FIELD> is allowed")
            else:
                problems += _filter_field(doc, "Users", field, shown=f"CurrentUser.{field}")
        if {"Items", "Interactions"} <= where:
            problems.append(
                "one statement reads both Items and Interactions, which Personalize cannot chain; split it with |"
            )
        fields |= set(statement.where) | set(statement.condition)
    if len(fields) > MAX_FILTER_FIELDS:
        problems.append(
            f"reads {len(fields)} distinct fields; Personalize allows at most {MAX_FILTER_FIELDS} per filter"
        )
    return problems


def _filter_field(doc: Doc, dataset: str, field: str, shown: str = "") -> list[str]:
    shown = shown or f"{dataset}.{field}"
    if dataset not in doc.dataset_types():
        return [f"{shown} reads the {dataset} dataset, which this file does not have; add it or change the filter"]
    found = doc.field_type(dataset, field)
    if found is None:
        names = avro.field_names(doc.schema(dataset) or {})
        return [f"{shown}: the {dataset} schema has no field {field}{suggest(field, names, 'fields')}"]
    if found[0] == "boolean" or found[1]:
        return [f"{shown}: {'boolean' if found[0] == 'boolean' else 'textual'} fields cannot be used in filters"]
    return []
