"""A small parser for Personalize filter expressions: the basic grammar, and which dataset fields they read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<param>\$[A-Za-z0-9_]+)
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<field>[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><=|>=|=|<|>)
    | (?P<punct>[(),|])
    )""",
    re.VERBOSE,
)
GRAMMAR = (
    "EXCLUDE|INCLUDE ItemID|UserID WHERE <Dataset>.<FIELD> IN|NOT IN (values) [AND|OR ...] "
    "[IF CurrentUser.<FIELD> ...], statements joined by |"
)


class FilterSyntaxError(ValueError):
    """The expression does not follow the filter grammar; the message says where and what was expected."""


Value = str | float | dict[str, str]  # "text", a number, or {"param": NAME} for a $NAME placeholder


@dataclass
class Term:
    """One `<Dataset>.<FIELD> <operator> <values>` condition."""

    dataset: str
    field: str
    operator: str  # IN | NOT IN | = | < | > | <= | >=
    values: list[Value]


@dataclass
class Statement:
    """One `EXCLUDE|INCLUDE ... WHERE ... [IF ...]` part of an expression; `terms` is the WHERE clause as an OR of
    AND groups (AND binds tighter, as in the emulator's evaluator)."""

    action: str
    target: str
    terms: list[list[Term]] = field(default_factory=list)
    condition_terms: list[list[Term]] = field(default_factory=list)

    @property
    def where(self) -> list[tuple[str, str]]:
        return [(t.dataset, t.field) for group in self.terms for t in group]

    @property
    def condition(self) -> list[tuple[str, str]]:
        return [(t.dataset, t.field) for group in self.condition_terms for t in group]


def parse(expression: str) -> list[Statement]:
    """The statements of `expression`; raises FilterSyntaxError naming the first thing that does not fit."""
    tokens = _tokenize(expression)
    parser = _Parser(tokens)
    statements = [parser.statement()]
    while parser.peek() == ("punct", "|"):
        parser.take()
        statements.append(parser.statement())
    if parser.peek() is not None:
        raise FilterSyntaxError(f"unexpected {parser.peek_text()} after the end of a statement; expected | or the end")
    return statements


def _tokenize(expression: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            snippet = text[position : position + 15].strip()
            raise FilterSyntaxError(f'cannot read "{snippet}" at character {position + 1}')
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def peek_text(self) -> str:
        token = self.peek()
        return "the end" if token is None else f'"{token[1]}"'

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FilterSyntaxError("the expression ends too early")
        self.index += 1
        return token

    def keyword(self, *allowed: str) -> str:
        token = self.peek()
        if token is None or token[0] != "word" or token[1].upper() not in {a.upper() for a in allowed}:
            raise FilterSyntaxError(f"found {self.peek_text()}; expected {' or '.join(allowed)}")
        self.index += 1
        return next(a for a in allowed if a.upper() == token[1].upper())

    def statement(self) -> Statement:
        action = self.keyword("EXCLUDE", "INCLUDE")
        target = self.keyword("ItemID", "UserID")
        self.keyword("WHERE")
        result = Statement(action, target, terms=self.conditions())
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].upper() == "IF":
            self.take()
            result.condition_terms = self.conditions()
        return result

    def conditions(self) -> list[list[Term]]:
        groups = [[self.condition()]]
        while (token := self.peek()) is not None and token[0] == "word" and token[1].upper() in ("AND", "OR"):
            if self.take()[1].upper() == "OR":
                groups.append([])
            groups[-1].append(self.condition())
        return groups

    def condition(self) -> Term:
        kind, text = self.take()
        if kind != "field":
            raise FilterSyntaxError(f'found "{text}"; expected a field like Items.GENRE')
        dataset, name = text.split(".", 1)
        token = self.peek()
        if token is not None and token[0] == "op":
            self.take()
            return Term(dataset, name, token[1], [self.value()])
        operator = "IN"
        if token is not None and token[0] == "word" and token[1].upper() == "NOT":
            self.take()
            operator = "NOT IN"
        self.keyword("IN")
        self.expect("(")
        values = [self.value()]
        while self.peek() == ("punct", ","):
            self.take()
            values.append(self.value())
        self.expect(")")
        return Term(dataset, name, operator, values)

    def value(self) -> Value:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace('\\"', '"')
        if kind == "param":
            return {"param": text[1:]}
        if kind == "number":
            return float(text)
        raise FilterSyntaxError(f'found "{text}"; expected a value: "text", a number or a $PARAMETER')

    def expect(self, punct: str) -> None:
        if self.peek() != ("punct", punct):
            raise FilterSyntaxError(f'found {self.peek_text()}; expected "{punct}"')
        self.take()
