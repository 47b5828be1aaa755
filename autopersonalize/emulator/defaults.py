"""What Personalize fills in when a request leaves it out, and which recipes allow what (evidence: docs/emulator.md)."""

from __future__ import annotations

from typing import Any

# CreateSolutionVersion trainingMode: "The UPDATE option can only be used when ... the input solution was trained with
# the User-Personalization recipe or the legacy HRNN-Coldstart recipe" (botocore model, API reference).
UPDATE_RECIPES = frozenset({"aws-user-personalization", "aws-hrnn-coldstart"})
# campaignConfig.itemExplorationConfig defaults of the User-Personalization recipe ("If you omit the campaign-config
# parameter, the default values apply": explorationWeight 0.3, explorationItemAgeCutOff 30; developer guide,
# campaigns.md). User-Personalization-v2 "handles exploration configuration for you" (its recipe page): no defaults.
EXPLORATION_DEFAULTS = {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}
EXPLORATION_RECIPES = frozenset({"aws-user-personalization"})
# AutoTrainingConfig.schedulingExpression: "The default is every 7 days"; Solution.performAutoTraining: "The default is
# True" (botocore model).
AUTO_TRAINING_SCHEDULE = "rate(7 days)"


def campaign_config(config: dict[str, Any] | None, recipe: str | None) -> dict[str, Any]:
    """A campaign's campaignConfig as Describe answers it: the request's keys over the documented defaults."""
    filled: dict[str, Any] = {"syncWithLatestSolutionVersion": False, **(config or {})}
    if recipe in EXPLORATION_RECIPES:
        filled["itemExplorationConfig"] = {**EXPLORATION_DEFAULTS, **(filled.get("itemExplorationConfig") or {})}
    return filled


def solution_config(config: dict[str, Any] | None, auto_training: bool) -> dict[str, Any] | None:
    """A solution's solutionConfig as Describe answers it: with auto training on, the schedule defaults to 7 days."""
    if not auto_training:
        return config
    schedule = (config or {}).get("autoTrainingConfig") or {}
    return {
        **(config or {}),
        "autoTrainingConfig": {"schedulingExpression": AUTO_TRAINING_SCHEDULE, **schedule},
    }
