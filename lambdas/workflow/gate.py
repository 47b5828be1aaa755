"""The metrics gate: a pure decision, returned as data, on whether a new solution version may be deployed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

DEFAULT_METRIC = "normalized_discounted_cumulative_gain_at_10"
EPSILON = 1e-12


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class GateRule(_Data):
    """What a solution's new version must meet: from the params' metricsGate, or the stack's defaults."""

    solution: str
    minimums: dict[str, float] = Field(default_factory=dict)
    max_drop_vs_deployed: dict[str, float] = Field(default_factory=dict)
    configured: bool = True  # False: the stack's default rule; a metric the recipe does not report is then skipped


class GateCheck(_Data):
    """One metric compared with its minimum and with the deployed version."""

    metric: str
    value: float | None
    minimum: float | None = None
    deployed: float | None = None
    max_drop: float | None = None
    passed: bool


class GateDecision(_Data):
    """The gate's verdict: `passed`, every reason it failed (with numbers), notes, and the checks behind it."""

    solution: str
    passed: bool
    reasons: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    checks: list[GateCheck] = Field(default_factory=list)


def rule_for(
    solution: str,
    gates: Sequence[Mapping[str, Any]],
    default_minimum: float = 0.0,
    default_max_drop: float | None = None,
) -> GateRule:
    """The params' gate for `solution`, else the stack default (a minimum and a max drop on NDCG@10)."""
    for gate in gates:
        if gate.get("solution") == solution:
            return GateRule(
                solution=solution,
                minimums=dict(gate.get("minimums") or {}),
                max_drop_vs_deployed=dict(gate.get("maxDropVsDeployed") or {}),
            )
    minimums = {DEFAULT_METRIC: default_minimum} if default_minimum > 0 else {}
    drops = {DEFAULT_METRIC: default_max_drop} if default_max_drop is not None else {}
    return GateRule(solution=solution, minimums=minimums, max_drop_vs_deployed=drops, configured=False)


def _missing(metric: str, metrics: Mapping[str, float], rule: GateRule, where: str) -> str:
    present = ", ".join(sorted(metrics)) or "none"
    return f"{metric} is not among the metrics of {where} (it reports: {present})"


def evaluate(
    rule: GateRule, metrics: Mapping[str, float] | None, deployed: Mapping[str, float] | None = None
) -> GateDecision:
    """Pass when every minimum holds and no metric fell more than its allowed drop below the deployed version's.

    `metrics` None means the new version has no offline metrics (an UPDATE version with no FULL one to read):
    a configured gate rejects it, the stack's default gate lets it through with a note. A metric the version does
    not report fails a configured gate and is a note for the default one.
    """
    reasons: list[str] = []
    notes: list[str] = []
    checks: list[GateCheck] = []
    if metrics is None:
        text = "the new version has no offline metrics (UPDATE versions have none and no FULL version was found)"
        wanted = bool(rule.minimums or rule.max_drop_vs_deployed)
        (reasons if rule.configured and wanted else notes).append(text)
        return GateDecision(solution=rule.solution, passed=not reasons, reasons=reasons, notes=notes)
    for metric in sorted(set(rule.minimums) | set(rule.max_drop_vs_deployed)):
        value = metrics.get(metric)
        minimum = rule.minimums.get(metric)
        max_drop = rule.max_drop_vs_deployed.get(metric)
        before = deployed.get(metric) if deployed is not None else None
        if value is None:
            (reasons if rule.configured else notes).append(_missing(metric, metrics, rule, "the new version"))
            checks.append(
                GateCheck(
                    metric=metric,
                    value=None,
                    minimum=minimum,
                    deployed=before,
                    max_drop=max_drop,
                    passed=not rule.configured,
                )
            )
            continue
        ok = True
        if minimum is not None and value + EPSILON < minimum:
            reasons.append(f"{metric} {value:.3f} < minimum {minimum:.3f}")
            ok = False
        if max_drop is not None:
            if deployed is None:
                notes.append(f"{metric}: no deployed version to compare with; the drop check is skipped")
            elif before is None:
                notes.append(f"{metric}: the deployed version does not report it; the drop check is skipped")
            elif before - value > max_drop + EPSILON:
                reasons.append(
                    f"{metric} {value:.3f} is {before - value:.3f} below the deployed version's {before:.3f} "
                    f"(allowed drop {max_drop:.3f})"
                )
                ok = False
        checks.append(
            GateCheck(metric=metric, value=value, minimum=minimum, deployed=before, max_drop=max_drop, passed=ok)
        )
    return GateDecision(solution=rule.solution, passed=not reasons, reasons=reasons, notes=notes, checks=checks)
