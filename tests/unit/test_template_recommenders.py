"""template.yaml's recommender permissions: who may create, update, start, delete and serve a recommender."""

from __future__ import annotations

import json

from tests.unit.test_template import FUNCTIONS, _actions, _statements

RECOMMENDER = "recommender/${Prefix}-*"


def _granted(action: str) -> set[str]:
    return {
        logical_id
        for logical_id, resource in FUNCTIONS.items()
        for statement in _statements(resource)
        if action in _actions(statement)
    }


def test_only_the_recommender_steps_create_update_or_start_recommenders() -> None:
    for action in ("CreateRecommender", "UpdateRecommender", "StartRecommender"):
        assert _granted(f"personalize:{action}") == {"EnsureRecommenderFunction", "CheckRecommenderFunction"}, action


def test_a_recommender_is_deleted_when_rejected_replaced_or_torn_down_only() -> None:
    assert _granted("personalize:DeleteRecommender") == {
        "EvaluateRecommenderFunction",  # a new one the gate rejected
        "PublishFunction",  # the one a passed new one replaced
        "DeleteCampaignsFunction",  # teardown
    }


def test_recommender_actions_are_scoped_to_the_stacks_recommenders() -> None:
    for logical_id, resource in FUNCTIONS.items():
        for statement in _statements(resource):
            actions = [a for a in _actions(statement) if "Recommender" in a and not a.endswith("ListRecommenders")]
            if actions:
                assert RECOMMENDER in json.dumps(statement["Resource"]), (logical_id, actions)


def test_serving_may_get_recommendations_from_the_stacks_recommenders() -> None:
    serving = FUNCTIONS["GetRecommendationsFunction"]
    found = [s for s in _statements(serving) if "personalize:GetRecommendations" in _actions(s)]
    assert any(RECOMMENDER in json.dumps(s["Resource"]) for s in found)
