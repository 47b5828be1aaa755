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
    min_lift_over_baselines: dict[str, float] = Field(default_factory=dict)
    configured: bool = True  # False: the stack's default rule; a metric the recipe does not report is then skipped


class GateCheck(_Data):
    """One metric compared with its minimum and with the deployed version."""

    metric: str
    value: float | None
    minimum: float | None = None
    deployed: float | None = None
    max_drop: float | None = None
    baseline: float | None = None  # the better baseline's value, when the rule sets a lift over it
    min_lift: float | None = None
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
                min_lift_over_baselines=dict(gate.get("minLiftOverBaselines") or {}),
            )
    minimums = {DEFAULT_METRIC: default_minimum} if default_minimum > 0 else {}
    drops = {DEFAULT_METRIC: default_max_drop} if default_max_drop is not None else {}
    return GateRule(solution=solution, minimums=minimums, max_drop_vs_deployed=drops, configured=False)


def _missing(metric: str, metrics: Mapping[str, float], rule: GateRule, where: str) -> str:
    present = ", ".join(sorted(metrics)) or "none"
    return f"{metric} is not among the metrics of {where} (it reports: {present})"


def evaluate(
    rule: GateRule,
    metrics: Mapping[str, float] | None,
    deployed: Mapping[str, float] | None = None,
    baselines: Mapping[str, Mapping[str, float]] | None = None,
) -> GateDecision:
    """Pass when every minimum holds, no metric fell more than its allowed drop below the deployed version's, and
    every metric with a minimum lift is at least that many times the better baseline's (`baselines`: name ->
    metrics, as the interactions export computed them; None when the data did not come from the export).

    `metrics` None means the new version has no offline metrics (an UPDATE version with no FULL one to read):
    a configured gate rejects it, the stack's default gate lets it through with a note. A metric the version does
    not report fails a configured gate and is a note for the default one.
    """
    reasons: list[str] = []
    notes: list[str] = []
    checks: list[GateCheck] = []
    if metrics is None:
        text = "the new version has no offline metrics (UPDATE versions have none and no FULL version was found)"
        wanted = bool(rule.minimums or rule.max_drop_vs_deployed or rule.min_lift_over_baselines)
        (reasons if rule.configured and wanted else notes).append(text)
        return GateDecision(solution=rule.solution, passed=not reasons, reasons=reasons, notes=notes)
    for metric in sorted(set(rule.minimums) | set(rule.max_drop_vs_deployed) | set(rule.min_lift_over_baselines)):
        value = metrics.get(metric)
        minimum = rule.minimums.get(metric)
        max_drop = rule.max_drop_vs_deployed.get(metric)
        before = deployed.get(metric) if deployed is not None else None
        lift = rule.min_lift_over_baselines.get(metric)
        best = _better_baseline(metric, baselines) if lift is not None else None
        if value is None:
            (reasons if rule.configured else notes).append(_missing(metric, metrics, rule, "the new version"))
            checks.append(
                GateCheck(
                    metric=metric,
                    value=None,
                    minimum=minimum,
                    deployed=before,
                    max_drop=max_drop,
                    baseline=best[1] if best else None,
                    min_lift=lift,
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
        if lift is not None:
            if best is None:
                reasons.append(
                    f"{metric}: the gate asks for {lift:g}x the better baseline, but this run has no baselines "
                    "(they come from this stack's interactions export: the data was not exported by it)"
                )
                ok = False
            elif value + EPSILON < lift * best[1]:
                reasons.append(
                    f"{metric} {value:.3f} < {lift:g}x the better baseline ({best[0]} {best[1]:.3f}, so at least "
                    f"{lift * best[1]:.3f}): the model does not beat a trivial recommender by enough"
                )
                ok = False
        checks.append(
            GateCheck(
                metric=metric,
                value=value,
                minimum=minimum,
                deployed=before,
                max_drop=max_drop,
                baseline=best[1] if best else None,
                min_lift=lift,
                passed=ok,
            )
        )
    return GateDecision(solution=rule.solution, passed=not reasons, reasons=reasons, notes=notes, checks=checks)


def _better_baseline(metric: str, baselines: Mapping[str, Mapping[str, float]] | None) -> tuple[str, float] | None:
    """(name, value) of the baseline with the highest `metric`, or None when there are none."""
    found = [(name, float(values[metric])) for name, values in (baselines or {}).items() if metric in values]
    return max(found, key=lambda pair: pair[1]) if found else None
