"""Pure recommender engine: the Personalize recipes' training and inference, and Personalize's offline metrics."""

from __future__ import annotations

from autopersonalize.engine.data import DataRequirementError, prepare
from autopersonalize.engine.evaluate import solution_metrics
from autopersonalize.engine.metrics import METRIC_NAMES
from autopersonalize.engine.model import Exploration, Model, WrongRecipeTypeError
from autopersonalize.engine.recipes import RECIPES, UnknownRecipeError, recipe_type
from autopersonalize.engine.segments import SEGMENT_METRIC_NAMES, SegmentQueryError
from autopersonalize.engine.train import train

__all__ = [
    "METRIC_NAMES",
    "RECIPES",
    "SEGMENT_METRIC_NAMES",
    "DataRequirementError",
    "Exploration",
    "Model",
    "SegmentQueryError",
    "UnknownRecipeError",
    "WrongRecipeTypeError",
    "prepare",
    "recipe_type",
    "solution_metrics",
    "train",
]
