"""Filter expressions: parsed at CreateFilter (InvalidInputException on errors), evaluated at runtime to an item mask.

Grammar (Personalize's, for ItemID filters):
    expression := part ("|" part)*
    part       := (INCLUDE | EXCLUDE) ItemID WHERE condition ((AND | OR) condition)* [IF user ((AND | OR) user)*]
    condition  := (Items | Interactions) "." FIELD operator values
    user       := CurrentUser "." FIELD operator values
    operator   := IN | NOT IN | = | < | > | <= | >=
    values     := "(" value ("," value)* ")" | value        value := "string" | number | $PARAM | "*"
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from autopersonalize.emulator.model import invalid

_TOKEN = re.compile(
    r'\s*(?:("(?:[^"\\]|\\.)*")|(\$[A-Za-z0-9_]+)|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|[()|,.=<>*]))'
)
OPERATORS = ("IN", "NOT IN", "=", "<", ">", "<=", ">=")


@dataclass(frozen=True)
class Condition:
    dataset: str  # Items | Interactions | CurrentUser
    field: str
    operator: str
    values: tuple[Any, ...]  # str, float, ("$", NAME) placeholders, or "*"


@dataclass(frozen=True)
class Part:
    action: str  # INCLUDE | EXCLUDE
    where: tuple[tuple[Condition, ...], ...]  # OR of AND-groups
    when: tuple[tuple[Condition, ...], ...]  # IF: OR of AND-groups (empty = always)


def _tokens(text: str) -> list[str]:
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if not match:
            raise invalid(f"filterExpression: cannot read {text[pos : pos + 20]!r} at character {pos + 1}.")
        tokens.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens, self.i, self.text = _tokens(text), 0, text

    def peek(self, upper: bool = True) -> str:
        token = self.tokens[self.i] if self.i < len(self.tokens) else ""
        return token.upper() if upper else token

    def take(self, *expected: str) -> str:
        token = self.peek(upper=False)
        if expected and token.upper() not in expected:
            got = repr(token) if token else "the end of the expression"
            raise invalid(f"filterExpression: expected {' or '.join(expected)} but found {got} (token {self.i + 1}).")
        self.i += 1
        return token

    def parse(self) -> list[Part]:
        parts = [self.part()]
        while self.peek() == "|":
            self.take("|")
            parts.append(self.part())
        if self.i < len(self.tokens):
            raise invalid(f"filterExpression: unexpected {self.peek(False)!r} after a complete filter.")
        return parts

    def part(self) -> Part:
        action = self.take("INCLUDE", "EXCLUDE").upper()
        self.take("ITEMID")
        self.take("WHERE")
        where = self.groups(("ITEMS", "INTERACTIONS"))
        datasets = {c.dataset for group in where for c in group}
        if len(datasets) > 1:
            raise invalid("filterExpression: Items and Interactions conditions cannot be combined in one filter part.")
        when: tuple[tuple[Condition, ...], ...] = ()
        if self.peek() == "IF":
            self.take("IF")
            when = self.groups(("CURRENTUSER",))
        return Part(action, where, when)

    def groups(self, datasets: tuple[str, ...]) -> tuple[tuple[Condition, ...], ...]:
        groups, current = [], [self.condition(datasets)]
        while self.peek() in ("AND", "OR"):
            if self.take().upper() == "OR":
                groups.append(tuple(current))
                current = []
            current.append(self.condition(datasets))
        return (*groups, tuple(current))

    def condition(self, datasets: tuple[str, ...]) -> Condition:
        names = {"ITEMS": "Items", "INTERACTIONS": "Interactions", "CURRENTUSER": "CurrentUser"}
        dataset = names[self.take(*datasets).upper()]
        self.take(".")
        field = self.take()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", field):
            raise invalid(f"filterExpression: {field!r} is not a field name (after {dataset}.).")
        operator = self.take("IN", "NOT", "=", "<", ">", "<=", ">=").upper()
        if operator == "NOT":
            self.take("IN")
            operator = "NOT IN"
        return Condition(dataset, field, operator, self.values(operator))

    def values(self, operator: str) -> tuple[Any, ...]:
        if operator in ("IN", "NOT IN"):
            self.take("(")
            values = [self.value()]
            while self.peek() == ",":
                self.take(",")
                values.append(self.value())
            self.take(")")
            return tuple(values)
        return (self.value(),)

    def value(self) -> Any:
        token = self.take()
        if token.startswith('"'):
            return token[1:-1].replace('\\"', '"')
        if token.startswith("$"):
            return ("$", token[1:])
        if token == "*":
            return "*"
        if re.fullmatch(r"-?\d+(?:\.\d+)?", token):
            return float(token)
        raise invalid(f'filterExpression: expected a value ("text", number, $PARAM) but found {token!r}.')


def parse(expression: str) -> list[Part]:
    return _Parser(expression).parse()


def placeholders(parts: list[Part]) -> set[str]:
    return {
        v[1]
        for p in parts
        for groups in (p.where, p.when)
        for g in groups
        for c in g
        for v in c.values
        if isinstance(v, tuple)
    }


@dataclass
class FilterContext:
    """What a filter reads at request time: item metadata, the user's interactions, the user's metadata row."""

    items: pd.DataFrame | None
    user_interactions: pd.DataFrame
    user: dict[str, Any] | None


def bind(parts: list[Part], filter_values: dict[str, str]) -> list[Part]:
    """Replace $PARAM placeholders with the request's filterValues (each a comma list of literals). API reference,
    GetRecommendations filterValues: an INCLUDE needs a value for every placeholder; "for filters with expressions
    that use an EXCLUDE element to exclude items, you can omit the filter-values. In this case, Amazon Personalize
    doesn't use that portion of the expression" (here: the AND group holding the placeholder)."""
    missing = sorted(placeholders([p for p in parts if p.action == "INCLUDE"]) - set(filter_values))
    if missing:
        raise invalid(
            f"filterValues: the filter uses {', '.join('$' + m for m in missing)} but filterValues has no "
            f"value for {', '.join(missing)}."
        )
    parts = [_without_unvalued(p, set(filter_values)) for p in parts]
    parts = [p for p in parts if p.where]

    def literals(name: str) -> tuple[Any, ...]:
        parser = _Parser(f"({filter_values[name]})")
        return parser.values("IN")

    def sub(c: Condition) -> Condition:
        values = tuple(x for v in c.values for x in (literals(v[1]) if isinstance(v, tuple) else (v,)))
        return Condition(c.dataset, c.field, c.operator, values)

    def groups(gs: tuple[tuple[Condition, ...], ...]) -> tuple[tuple[Condition, ...], ...]:
        return tuple(tuple(sub(c) for c in g) for g in gs)

    return [Part(p.action, groups(p.where), groups(p.when)) for p in parts]


def _without_unvalued(part: Part, given: set[str]) -> Part:
    """An EXCLUDE part without its WHERE groups that use a placeholder the request gave no value for."""
    if part.action != "EXCLUDE":
        return part
    where = tuple(g for g in part.where if placeholders([Part(part.action, (g,), ())]) <= given)
    return Part(part.action, where, part.when)


def _compare(column: pd.Series, operator: str, values: tuple[Any, ...]) -> np.ndarray:
    present = column.notna().to_numpy()
    if operator in ("IN", "NOT IN", "="):
        if "*" in values:
            hit = present
        else:
            wanted = {str(v) if not isinstance(v, float) else _num_text(v) for v in values}
            cells = column.tolist()
            hit = np.array([ok and _cell_in(x, wanted) for x, ok in zip(cells, present, strict=True)], dtype=bool)
        return ~hit if operator == "NOT IN" else hit
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    limit = float(values[0])
    with np.errstate(invalid="ignore"):
        result = {"<": numbers < limit, ">": numbers > limit, "<=": numbers <= limit, ">=": numbers >= limit}[operator]
    return np.asarray(result & ~np.isnan(numbers), dtype=bool)


def _cell_in(cell: Any, wanted: set[str]) -> bool:
    """A cell matches when its text, its number, or one of its `|`-separated categorical values is wanted."""
    return bool(wanted & {*str(cell).split("|"), _num_text(cell)})


def _num_text(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(number)


def _condition_mask(c: Condition, ids: np.ndarray, ctx: FilterContext) -> np.ndarray:
    if c.dataset == "Items":
        if ctx.items is None or c.field not in ctx.items.columns:
            return np.zeros(len(ids), dtype=bool)
        column = ctx.items.drop_duplicates("ITEM_ID", keep="last").set_index("ITEM_ID")[c.field].reindex(ids)
        return _compare(column, c.operator, c.values)
    rows = ctx.user_interactions
    if c.field not in rows.columns or rows.empty:
        return np.zeros(len(ids), dtype=bool)
    matching = rows[_compare(rows[c.field].reset_index(drop=True), c.operator, c.values)]
    wanted = set(matching["ITEM_ID"].astype(str))
    return np.fromiter((i in wanted for i in ids), dtype=bool, count=len(ids))


def _user_matches(group: tuple[Condition, ...], user: dict[str, Any] | None) -> bool:
    if user is None:
        return False
    return all(bool(_compare(pd.Series([user.get(c.field)]), c.operator, c.values)[0]) for c in group)


def mask_function(parts: list[Part], ctx: FilterContext) -> Callable[[np.ndarray], np.ndarray]:
    """`allowed(item_ids) -> bool mask`: INCLUDE keeps matching items, EXCLUDE drops them; parts chain with AND."""

    def allowed(item_ids: np.ndarray) -> np.ndarray:
        ids = np.array([str(i) for i in item_ids], dtype=object)
        mask = np.ones(len(ids), dtype=bool)
        for part in parts:
            if part.when and not any(_user_matches(g, ctx.user) for g in part.when):
                continue
            hit = np.zeros(len(ids), dtype=bool)
            for group in part.where:
                group_hit = np.ones(len(ids), dtype=bool)
                for condition in group:
                    group_hit &= _condition_mask(condition, ids, ctx)
                hit |= group_hit
            mask &= hit if part.action == "INCLUDE" else ~hit
        return mask

    return allowed
