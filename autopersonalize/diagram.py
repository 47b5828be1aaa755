"""Mermaid flowcharts generated from the ASL files, and the doc that embeds them (python -m autopersonalize.diagram)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "statemachine.md"
README = REPO / "README.md"
MACHINES = ("training", "teardown")
TARGETS = {DOC: MACHINES, README: ("training",)}  # the README shows the training machine only
_OPERATORS = {
    "BooleanEquals": "==",
    "StringEquals": "==",
    "NumericEquals": "==",
    "NumericGreaterThan": ">",
    "NumericLessThan": "<",
    "NumericGreaterThanEquals": ">=",
    "NumericLessThanEquals": "<=",
}


def node_id(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_").lower()


def _shape(name: str, state: dict[str, Any]) -> str:
    label = name.replace('"', "'")
    kind = state["Type"]
    if kind == "Choice":
        return f'{node_id(name)}{{"{label}"}}'
    if kind == "Wait":
        return f'{node_id(name)}[/"{label}"/]'
    if kind in ("Succeed", "Fail"):
        return f'{node_id(name)}(["{label}"])'
    if kind == "Pass":
        return f'{node_id(name)}>"{label}"]'
    return f'{node_id(name)}["{label}"]'


def _condition(rule: dict[str, Any]) -> str:
    """A short label for a Choice rule: `$.lock.acquired == true`, `$.error present`."""
    variable = str(rule.get("Variable", "")).removeprefix("$.")
    if "IsPresent" in rule:
        return f"{variable} {'present' if rule['IsPresent'] else 'absent'}"
    for key, symbol in _OPERATORS.items():
        if key in rule:
            return f"{variable} {symbol} {json.dumps(rule[key])}"
    return "rule"


def _lines(definition: dict[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for name, state in definition["States"].items():
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            items = str(state.get("ItemsPath", "$")).removeprefix("$.")
            lines.append(f'{indent}subgraph {node_id(name)}["{name}: one iteration per {items}"]')
            lines += _lines(processor, indent + "  ")
            lines.append(f"{indent}end")
        else:
            lines.append(indent + _shape(name, state))
    for name, state in definition["States"].items():
        source = node_id(name)
        for rule in state.get("Choices", []):
            lines.append(f'{indent}{source} -->|"{_condition(rule)}"| {node_id(rule["Next"])}')
        if state.get("Default"):
            lines.append(f"{indent}{source} -->|else| {node_id(state['Default'])}")
        if state.get("Next"):
            lines.append(f"{indent}{source} --> {node_id(state['Next'])}")
        for catch in state.get("Catch", []):
            errors = ", ".join(catch["ErrorEquals"])
            lines.append(f'{indent}{source} -.->|"{errors}"| {node_id(catch["Next"])}')
    return lines


def mermaid(definition: dict[str, Any]) -> str:
    """A `flowchart TD` of the definition: Map iterations as subgraphs, Choice rules and Catches as labelled edges."""
    start = node_id(definition["StartAt"])
    body = ["flowchart TD", f"  start((start)) --> {start}", *_lines(definition, "  ")]
    return "\n".join(body) + "\n"


def block(machine: str) -> str:
    definition = json.loads((REPO / "statemachine" / f"{machine}.asl.json").read_text())
    return (
        f"<!-- BEGIN {machine} (generated from statemachine/{machine}.asl.json) -->\n```mermaid\n"
        f"{mermaid(definition)}```\n<!-- END {machine} -->"
    )


def render(text: str, machines: tuple[str, ...] = MACHINES, where: Path = DOC) -> str:
    """`text` with every generated block replaced by the current ASL's diagram."""
    for machine in machines:
        pattern = re.compile(rf"<!-- BEGIN {machine} .*?<!-- END {machine} -->", re.DOTALL)
        match = pattern.search(text)
        if match is None:
            raise ValueError(f"{where}: no <!-- BEGIN {machine} ... --> / <!-- END {machine} --> markers")
        text = text[: match.start()] + block(machine) + text[match.end() :]
    return text


def main(argv: list[str] | None = None) -> int:
    """Rewrite the diagrams in docs/statemachine.md and README.md; with --check, exit 1 if they are out of date."""
    args = sys.argv[1:] if argv is None else argv
    stale = 0
    for path, machines in TARGETS.items():
        current = path.read_text()
        wanted = render(current, machines, path)
        if "--check" in args:
            if wanted != current:
                print(f"{path} is out of date: run python -m autopersonalize.diagram", file=sys.stderr)
                stale = 1
        else:
            path.write_text(wanted)
    return stale


if __name__ == "__main__":
    raise SystemExit(main())
