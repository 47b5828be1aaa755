"""Amazon Personalize's recipes: names, types, ARNs, and the capabilities the params checks depend on."""

from __future__ import annotations

import difflib
import re

# Recipe name -> recipe type (as DescribeRecipe's recipeType). Legacy HRNN recipes are still accepted by the service.
RECIPES: dict[str, str] = {
    "aws-user-personalization": "USER_PERSONALIZATION",
    "aws-user-personalization-v2": "USER_PERSONALIZATION",
    "aws-popularity-count": "USER_PERSONALIZATION",
    "aws-trending-now": "USER_PERSONALIZATION",
    "aws-hrnn": "USER_PERSONALIZATION",
    "aws-hrnn-metadata": "USER_PERSONALIZATION",
    "aws-hrnn-coldstart": "USER_PERSONALIZATION",
    "aws-personalized-ranking": "PERSONALIZED_RANKING",
    "aws-personalized-ranking-v2": "PERSONALIZED_RANKING",
    "aws-similar-items": "RELATED_ITEMS",
    "aws-sims": "RELATED_ITEMS",
    "aws-semantic-similarity": "RELATED_ITEMS",
    "aws-item-affinity": "USER_SEGMENTATION",
    "aws-item-attribute-affinity": "USER_SEGMENTATION",
    "aws-next-best-action": "PERSONALIZED_ACTIONS",
}
# CreateSolutionVersion trainingMode UPDATE: "the input solution was trained with the User-Personalization recipe or the
# legacy HRNN-Coldstart recipe" (API reference); User-Personalization-v2 is another recipe and is not allowed.
UPDATE_RECIPES = frozenset({"aws-user-personalization", "aws-hrnn-coldstart"})
# campaignConfig.itemExplorationConfig: User-Personalization only (facts e.6).
EXPLORATION_RECIPES = frozenset({"aws-user-personalization", "aws-user-personalization-v2"})
# solutionConfig.eventsConfig: "If you use the User-Personalization-v2 recipe or Personalized-Ranking-v2 recipe, you can
# optimize an Amazon Personalize solution with an events configuration" (developer guide); the engine applies it for
# the same two (autopersonalize.engine.data.EVENTS_CONFIG_RECIPES).
EVENTS_CONFIG_RECIPES = frozenset({"aws-user-personalization-v2", "aws-personalized-ranking-v2"})
# Recipes that make user segments (batch segment jobs), and cannot back a campaign or a batch inference job.
SEGMENT_RECIPES = frozenset(n for n, t in RECIPES.items() if t == "USER_SEGMENTATION")
NO_CAMPAIGN = SEGMENT_RECIPES
NO_BATCH_INFERENCE = NO_CAMPAIGN | {"aws-trending-now"}
# Recipes needing a dataset type the params contract does not have.
UNSUPPORTED = {"aws-next-best-action": "it needs an Actions dataset, which autopersonalize does not manage"}

_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:personalize:::recipe/(?P<name>.+)")
ARN_FORM = "arn:aws:personalize:::recipe/<name>"


def recipe_name(recipe: str) -> str:
    """The bare recipe name of a name or a recipe ARN (no check that it exists)."""
    match = _ARN.fullmatch(recipe)
    return match.group("name") if match else recipe


def recipe_arn(recipe: str, partition: str = "aws") -> str:
    """The recipe ARN CreateSolution expects, from a name or an ARN."""
    if _ARN.fullmatch(recipe):
        return recipe
    return f"arn:{partition}:personalize:::recipe/{recipe}"


def recipe_problem(recipe: str) -> str | None:
    """Why `recipe` is not a recipe name or recipe ARN (with a suggestion), or None when it is one."""
    if recipe.startswith("arn:") and not _ARN.fullmatch(recipe):
        return f'"{recipe}" is not a recipe ARN; allowed: {ARN_FORM}'
    name = recipe_name(recipe)
    if name in RECIPES:
        return None
    close = difflib.get_close_matches(name, RECIPES, n=1, cutoff=0.6)
    if close:
        return f'"{recipe}" is not a recipe; did you mean "{close[0]}"?'
    return f'"{recipe}" is not a recipe; allowed: a name ({", ".join(RECIPES)}) or {ARN_FORM}'
