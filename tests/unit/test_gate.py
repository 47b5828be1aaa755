"""The metrics gate: minimums, drops against the deployed version, missing metrics, and the stack's default rule."""

from __future__ import annotations

from workflow.gate import DEFAULT_METRIC, GateRule, evaluate, rule_for

NDCG = "normalized_discounted_cumulative_gain_at_10"


def test_gate_passes_when_every_minimum_holds() -> None:
    rule = GateRule(solution="s", minimums={NDCG: 0.05, "precision_at_10": 0.01})
    decision = evaluate(rule, {NDCG: 0.08, "precision_at_10": 0.02, "coverage": 0.5})
    assert decision.passed
    assert decision.reasons == []
    assert [c.metric for c in decision.checks] == [NDCG, "precision_at_10"]


def test_gate_rejects_below_minimum_with_the_numbers() -> None:
    decision = evaluate(GateRule(solution="s", minimums={NDCG: 0.05}), {NDCG: 0.041})
    assert not decision.passed
    assert decision.reasons == ["normalized_discounted_cumulative_gain_at_10 0.041 < minimum 0.050"]


def test_gate_rejects_a_drop_larger_than_allowed_against_the_deployed_version() -> None:
    rule = GateRule(solution="s", max_drop_vs_deployed={NDCG: 0.02})
    decision = evaluate(rule, {NDCG: 0.041}, {NDCG: 0.071})
    assert not decision.passed
    assert decision.reasons == [
        "normalized_discounted_cumulative_gain_at_10 0.041 is 0.030 below the deployed version's 0.071 "
        "(allowed drop 0.020)"
    ]


def test_gate_accepts_a_drop_within_the_allowance_and_equal_to_the_minimum() -> None:
    rule = GateRule(solution="s", minimums={NDCG: 0.05}, max_drop_vs_deployed={NDCG: 0.02})
    assert evaluate(rule, {NDCG: 0.05}, {NDCG: 0.07}).passed


def test_gate_skips_the_drop_check_with_a_note_when_nothing_is_deployed() -> None:
    decision = evaluate(GateRule(solution="s", max_drop_vs_deployed={NDCG: 0.02}), {NDCG: 0.01}, None)
    assert decision.passed
    assert decision.notes == [f"{NDCG}: no deployed version to compare with; the drop check is skipped"]


def test_gate_configured_rejects_a_metric_the_version_does_not_report() -> None:
    decision = evaluate(GateRule(solution="s", minimums={"precision_at_10": 0.01}), {"coverage": 0.3, NDCG: 0.2})
    assert not decision.passed
    assert decision.reasons == [
        "precision_at_10 is not among the metrics of the new version (it reports: coverage, "
        "normalized_discounted_cumulative_gain_at_10)"
    ]


def test_gate_configured_rejects_a_version_without_metrics() -> None:
    decision = evaluate(GateRule(solution="s", minimums={NDCG: 0.05}), None)
    assert not decision.passed
    assert "has no offline metrics" in decision.reasons[0]


def test_gate_default_rule_lets_missing_metrics_through_with_a_note() -> None:
    rule = rule_for("sims", [], default_minimum=0.05, default_max_drop=0.1)
    assert not rule.configured
    decision = evaluate(rule, {"coverage": 0.4})
    assert decision.passed
    assert decision.notes == [f"{DEFAULT_METRIC} is not among the metrics of the new version (it reports: coverage)"]


def test_gate_rule_for_takes_the_params_gate_of_that_solution() -> None:
    gates = [{"solution": "a", "minimums": {NDCG: 0.1}, "maxDropVsDeployed": {NDCG: 0.01}}]
    rule = rule_for("a", gates, default_minimum=0.5)
    assert rule.configured
    assert rule.minimums == {NDCG: 0.1}
    assert rule.max_drop_vs_deployed == {NDCG: 0.01}
    assert rule_for("b", gates).minimums == {}


BASELINES = {"popularity": {NDCG: 0.10}, "history": {NDCG: 0.40}}


def test_gate_rejects_a_model_that_does_not_beat_the_better_baseline_by_the_lift() -> None:
    """A model that echoes history (0.42 NDCG, 'excellent') against a history baseline of 0.40: not 1.2x."""
    rule = rule_for("s", [{"solution": "s", "minimums": {NDCG: 0.05}, "minLiftOverBaselines": {NDCG: 1.2}}])

    decision = evaluate(rule, {NDCG: 0.42}, None, BASELINES)

    assert not decision.passed
    assert decision.reasons == [
        "normalized_discounted_cumulative_gain_at_10 0.420 < 1.2x the better baseline (history 0.400, so at least "
        "0.480): the model does not beat a trivial recommender by enough"
    ]
    assert (decision.checks[0].baseline, decision.checks[0].min_lift) == (0.40, 1.2)


def test_gate_passes_a_model_above_the_lift_and_refuses_a_lift_without_baselines() -> None:
    rule = GateRule(solution="s", min_lift_over_baselines={NDCG: 1.2})

    assert evaluate(rule, {NDCG: 0.49}, None, BASELINES).passed
    decision = evaluate(rule, {NDCG: 0.49}, None, None)
    assert not decision.passed
    assert "this run has no baselines (they come from this stack's interactions export" in decision.reasons[0]
