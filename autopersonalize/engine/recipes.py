"""The recipes the engine trains, their Personalize recipe types, and hyperparameter parsing."""

from __future__ import annotations

from collections.abc import Mapping

USER_PERSONALIZATION = "USER_PERSONALIZATION"
RELATED_ITEMS = "RELATED_ITEMS"
PERSONALIZED_RANKING = "PERSONALIZED_RANKING"
USER_SEGMENTATION = "USER_SEGMENTATION"

RECIPES: dict[str, str] = {
    "aws-user-personalization": USER_PERSONALIZATION,
    "aws-user-personalization-v2": USER_PERSONALIZATION,
    "aws-popularity-count": USER_PERSONALIZATION,
    "aws-similar-items": RELATED_ITEMS,
    "aws-sims": RELATED_ITEMS,
    "aws-personalized-ranking": PERSONALIZED_RANKING,
    "aws-personalized-ranking-v2": PERSONALIZED_RANKING,
    "aws-item-affinity": USER_SEGMENTATION,
    "aws-item-attribute-affinity": USER_SEGMENTATION,
}


class UnknownRecipeError(ValueError):
    """The recipe name is not one the engine trains."""


def recipe_type(recipe: str) -> str:
    """Return the Personalize recipe type of `recipe` (accepts a bare name or a recipe ARN)."""
    name = recipe_name(recipe)
    if name not in RECIPES:
        raise UnknownRecipeError(
            f"Unknown recipe {recipe!r}: the offline engine trains {', '.join(sorted(RECIPES))}. "
            "Use one of these names (or arn:aws:personalize:::recipe/<name>)."
        )
    return RECIPES[name]


def recipe_name(recipe: str) -> str:
    """Strip the `arn:aws:personalize:::recipe/` prefix if present."""
    return recipe.rsplit("/", 1)[-1] if recipe.startswith("arn:") else recipe


def float_param(hyperparameters: Mapping[str, str] | None, key: str, default: float) -> float:
    """Read a numeric hyperparameter (Personalize passes them as strings), with a clear error when malformed."""
    if not hyperparameters or key not in hyperparameters:
        return default
    raw = hyperparameters[key]
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ValueError(
            f"Hyperparameter {key!r} must be a number, found {raw!r}. Fix solutionConfig.algorithmHyperParameters."
        ) from None
