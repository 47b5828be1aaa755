"""Experiments, pure parts: the params block and its checks, the stable assignment, the statistics and the verdict."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from serving import experiments as serving_experiments
from serving import outcomes
from test_params_rules import doc, problems, valid
from workflow import experiment_stats, experiment_verdict, experiments, naming
from workflow.experiment_stats import Arm

CAMPAIGNS = [{"name": "home", "solution": "up"}, {"name": "similar", "solution": "sims"}]
EXPERIMENT = {"name": "v2", "campaign": "home", "conversionEventType": "click"}
USERS = [f"u{i}" for i in range(200)]


def with_experiments(*entries: dict[str, Any], tracker: bool = True) -> dict[str, Any]:
    extra: dict[str, Any] = {"eventTracker": {"name": "events"}} if tracker else {}
    return doc(campaigns=CAMPAIGNS, experiments=list(entries), **extra)


def test_an_experiment_on_a_campaign_is_valid_with_its_defaults() -> None:
    params = valid(with_experiments(EXPERIMENT))
    experiment = params.experiments[0]
    assert (experiment.traffic_share, experiment.alpha, experiment.power) == (0.5, 0.05, 0.8)
    assert experiment.minimum_detectable_effect == 0.1
    assert experiment.challenger.solution is None and experiment.auto_promote is None


def test_experiment_problems_name_the_key_and_what_to_do() -> None:
    found = problems(
        with_experiments(
            {**EXPERIMENT, "campaign": "hme", "trafficShare": 1},
            {**EXPERIMENT, "name": "x", "challenger": {"solution": "sims"}},
            {**EXPERIMENT, "name": "y"},
            {**EXPERIMENT, "name": "z", "campaign": "similar", "autoPromote": {"check": "rate(1 days)"}},
            tracker=False,
        )
    )
    assert found == [
        "experiments: outcomes are forwarded to Personalize with the event tracker (PutEvents); add eventTracker",
        "experiments[0].trafficShare: found 1; allowed: < 1.0",
        'experiments[0].campaign: "hme" is not a campaign name; did you mean "home"?',
        'experiments[1].challenger.solution: "sims" uses aws-sims (RELATED_ITEMS), but campaign "home" serves '
        "aws-user-personalization-v2 (USER_PERSONALIZATION); the two variants must answer the same requests: "
        "choose a solution of the same recipe type",
        'experiments[2].campaign: "home" already has an experiment at experiments[1]',
        'experiments[3].autoPromote.check: "rate(1 days)": write "rate(1 day)" (singular unit for 1 only)',
    ]


def test_an_experiment_whose_challenger_name_is_a_campaign_is_refused() -> None:
    document = with_experiments({**EXPERIMENT, "name": "b"})
    document["campaigns"].append({"name": "home-b", "solution": "up"})
    assert problems(document) == [
        'experiments[0].name: the challenger campaign is named "home-b", which is a campaign of this file; '
        "rename the experiment"
    ]


def test_serving_names_equal_the_workflows() -> None:
    assert serving_experiments.experiment_parameter("ap", "g", "c") == naming.experiment_parameter("ap", "g", "c")
    assert outcomes.event_tracker_parameter("ap", "g") == naming.event_tracker_parameter("ap", "g")
    document = {"datasetGroup": "g", "name": "e", "round": "r1"}
    assert serving_experiments.partition(document) == experiments.partition(document) == "g#e#r1"
    assert serving_experiments.EVENT_PREFIX == experiment_verdict.EVENT_PREFIX


def test_assignment_is_sha256_of_experiment_and_user_and_splits_by_the_share() -> None:
    assert serving_experiments.bucket("v2", "u1") == int("1ec8d4c5836db0ee", 16) / 2.0**64  # sha256(b"v2\0u1")[:8]
    shares = [serving_experiments.assign("v2", u, 0.2) for u in [f"u{i}" for i in range(5000)]]
    assert 0.18 < shares.count("challenger") / len(shares) < 0.22
    other = [serving_experiments.assign("v3", u, 0.2) for u in [f"u{i}" for i in range(5000)]]
    assert shares != other  # another experiment, another split


def test_assignment_is_the_same_in_another_process() -> None:
    code = (
        "import sys; sys.path.insert(0, 'lambdas'); from serving.experiments import assign; "
        f"print(','.join(assign('v2', u, 0.5) for u in {USERS!r}))"
    )
    here = ",".join(serving_experiments.assign("v2", u, 0.5) for u in USERS)
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "123"}
    )
    assert other.stdout.strip() == here
    assert set(here.split(",")) == {"champion", "challenger"}


def test_wilson_interval_matches_published_values() -> None:
    low, high = experiment_stats.wilson(1, 10, 0.05)  # Newcombe (1998), table I: 0.0179 to 0.4042
    assert (round(low, 4), round(high, 4)) == (0.0179, 0.4042)
    assert experiment_stats.wilson(0, 0, 0.05) == (0.0, 1.0)


def test_two_proportion_p_value_by_hand() -> None:
    # 50/100 vs 60/100: pooled 0.55, se = sqrt(0.55 * 0.45 * 0.02) = 0.07036, z = 1.4213, two-sided p = 0.1552
    assert round(experiment_stats.p_value(Arm(100, 50, {}), Arm(100, 60, {})), 4) == 0.1552


def test_sample_size_matches_the_textbook_and_grows_for_a_small_share() -> None:
    # 10 % -> 15 % at alpha 0.05, power 0.8, equal groups: 686 per group (Fleiss, no continuity correction)
    assert experiment_stats.needed_users(0.10, 0.5, 0.5, 0.05, 0.8) == (686, 686)
    champion, challenger = experiment_stats.needed_users(0.10, 0.5, 0.2, 0.05, 0.8) or (0, 0)
    assert champion == 4 * challenger or champion == 4 * challenger + 1
    assert challenger < 686 < champion
    assert experiment_stats.needed_users(0.0, 0.5, 0.5, 0.05, 0.8) is None


SETTINGS = {"alpha": 0.05, "power": 0.8, "trafficShare": 0.5, "minimumDetectableEffect": 0.5}


@pytest.mark.parametrize(
    ("champion", "challenger", "verdict"),
    [
        (Arm(100, 10, {}), Arm(100, 30, {}), "not enough data"),  # significant, but before the sample size
        (Arm(700, 70, {}), Arm(700, 140, {}), "challenger wins"),
        (Arm(700, 140, {}), Arm(700, 70, {}), "challenger loses"),
        (Arm(700, 70, {}), Arm(700, 75, {}), "no difference"),
        (Arm(700, 0, {}), Arm(700, 0, {}), "not enough data"),
    ],
)
def test_verdict_is_fixed_horizon(champion: Arm, challenger: Arm, verdict: str) -> None:
    assert experiment_stats.readout(champion, challenger, SETTINGS)["verdict"] == verdict


def test_readout_says_how_many_users_are_still_needed() -> None:
    found = experiment_stats.readout(Arm(100, 10, {"click": 12}), Arm(50, 9, {"click": 9, "buy": 1}), SETTINGS)
    assert found["neededUsers"] == {"champion": 686, "challenger": 686}
    assert found["usersStillNeeded"] == {"champion": 586, "challenger": 636}
    assert found["variants"]["challenger"]["events"] == {"buy": 1, "click": 9}
    assert found["variants"]["champion"]["conversionRate"] == 0.1


def test_notification_says_what_an_experiment_deployed_beside_its_campaign() -> None:
    from workflow.notify import render, summary

    challenger = {"campaign": "home-v2", "action": "updated", "campaignArn": "arn:ch", "solutionVersionArn": "arn:v2"}
    skipped = {"campaign": "side-v3", "action": "skipped", "reason": "ndcg 0.01 below 0.05"}
    state = {
        "run": {"datasetGroup": "g", "bucket": "b", "key": "params/g.json", "executionId": "e"},
        "campaigns": [
            {
                "campaign": "home",
                "action": "unchanged",
                "campaignArn": "arn:home",
                "solutionVersionArn": "arn:v1",
                "experiment": {"name": "v2", "challenger": challenger},
            },
            {
                "campaign": "side",
                "action": "unchanged",
                "campaignArn": "arn:side",
                "solutionVersionArn": "arn:v1",
                "experiment": {"name": "v3", "challenger": skipped},
            },
        ],
    }

    lines = render(summary(state, "DEPLOYED", [])).splitlines()

    assert "  home: unchanged, serves arn:v1; arn:home" in lines
    assert "    experiment v2: challenger home-v2 updated, serves arn:v2; arn:ch" in lines
    assert "    experiment v3: challenger side-v3 skipped (ndcg 0.01 below 0.05)" in lines
