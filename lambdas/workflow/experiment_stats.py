"""An experiment's readout: conversion rates with Wilson intervals, a two-sided two-proportion z-test, and the sample
size a fixed-horizon test needs, all pure.

The verdict is fixed-horizon: it is "not enough data" until both variants reached the users the test needs to detect
the params' minimumDetectableEffect (relative to the champion's rate) at `alpha` with `power`; then "challenger
wins" or "challenger loses" when the difference is significant at `alpha`, else "no difference". Peeking earlier is
what inflates false winners, so the verdict never calls a winner before that sample size.
Formulas: Wilson score interval (Wilson 1927; Newcombe 1998, method 3); pooled two-proportion z-test; sample size for
unequal groups n2 = (z_a*sqrt(p(1-p)(1+1/k)) + z_b*sqrt(p1(1-p1)/k + p2(1-p2)))^2 / (p1-p2)^2 with k = n1/n2
(Chow, Shao & Wang, "Sample Size Calculations in Clinical Research", 4.2).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Literal, NamedTuple

Verdict = Literal["challenger wins", "challenger loses", "no difference", "not enough data"]
_NORMAL = NormalDist()


class Arm(NamedTuple):
    """One variant's tally: users exposed, of them those with a conversion event, and every event type's count."""

    users: int
    converted: int
    events: dict[str, int]


def wilson(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """The (1 - alpha) Wilson score interval of successes / trials; (0, 1) without trials."""
    if trials == 0:
        return 0.0, 1.0
    z = _NORMAL.inv_cdf(1 - alpha / 2)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def p_value(a: Arm, b: Arm) -> float:
    """Two-sided p-value of the pooled two-proportion z-test of a's and b's conversion rates (1 when undefined)."""
    if a.users == 0 or b.users == 0:
        return 1.0
    pooled = (a.converted + b.converted) / (a.users + b.users)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a.users + 1 / b.users))
    if spread == 0:
        return 1.0
    z = (b.converted / b.users - a.converted / a.users) / spread
    return 2 * (1 - _NORMAL.cdf(abs(z)))


def needed_users(base_rate: float, effect: float, share: float, alpha: float, power: float) -> tuple[int, int] | None:
    """Users (champion, challenger) the test needs to detect a relative change `effect` of `base_rate` with the
    challenger's traffic `share`; None when the base rate gives no answer (0, or the lift would pass 100 %)."""
    p1 = base_rate
    p2 = p1 * (1 + effect)
    if not 0 < p1 < 1 or not 0 < p2 < 1:
        return None
    k = (1 - share) / share  # champion users per challenger user
    z_a, z_b = _NORMAL.inv_cdf(1 - alpha / 2), _NORMAL.inv_cdf(power)
    pooled = (k * p1 + p2) / (k + 1)
    top = z_a * math.sqrt(pooled * (1 - pooled) * (1 + 1 / k)) + z_b * math.sqrt(p1 * (1 - p1) / k + p2 * (1 - p2))
    challenger = math.ceil(top * top / ((p2 - p1) ** 2))
    return math.ceil(challenger * k), challenger


def readout(champion: Arm, challenger: Arm, settings: dict[str, Any]) -> dict[str, Any]:
    """The report's numbers and verdict; `settings` is the experiment's document (trafficShare, alpha, power,
    minimumDetectableEffect)."""
    alpha, power = float(settings.get("alpha", 0.05)), float(settings.get("power", 0.8))
    share, effect = float(settings.get("trafficShare", 0.5)), float(settings.get("minimumDetectableEffect", 0.1))
    arms = {"champion": champion, "challenger": challenger}
    variants = {
        name: {
            "users": arm.users,
            "converted": arm.converted,
            "conversionRate": arm.converted / arm.users if arm.users else None,
            "interval": list(wilson(arm.converted, arm.users, alpha)),
            "events": dict(sorted(arm.events.items())),
        }
        for name, arm in arms.items()
    }
    base = champion.converted / champion.users if champion.users else 0.0
    needed = needed_users(base, effect, share, alpha, power)
    value = p_value(champion, challenger)
    verdict: Verdict
    if needed is None or champion.users < needed[0] or challenger.users < needed[1]:
        verdict = "not enough data"
    elif value >= alpha:
        verdict = "no difference"
    else:
        better = challenger.converted / challenger.users > base
        verdict = "challenger wins" if better else "challenger loses"
    missing = None
    if needed is not None:
        missing = {"champion": max(0, needed[0] - champion.users), "challenger": max(0, needed[1] - challenger.users)}
    return {
        "variants": variants,
        "pValue": value,
        "verdict": verdict,
        "neededUsers": {"champion": needed[0], "challenger": needed[1]} if needed else None,
        "usersStillNeeded": missing,
        "settings": {"alpha": alpha, "power": power, "trafficShare": share, "minimumDetectableEffect": effect},
    }
