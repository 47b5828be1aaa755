"""Cross-field checks of user segmentation: batch segment jobs, the recipes' needs, and which metrics a gate may use.

Evidence (developer guide): batch segment jobs need "a USER_SEGMENTATION recipe" (creating-batch-seg-job); "Use UserId
for filtering users from user segments" and "Interactions filters can't be used with the Item-Attribute-Affinity
recipe" (filter-expressions); Item-Attribute-Affinity needs "an Interactions dataset and an Items dataset" and
neither recipe allows HPO ("You can't use hyperparameter optimization (HPO)", recipe pages); USER_SEGMENTATION
solution versions report hit and recall at K, the others precision, NDCG, MRR and coverage (working-with-training-
metrics).
"""

from __future__ import annotations

from workflow import _recipes as recipes
from workflow._filter_expr import FilterSyntaxError, parse
from workflow._params_access import Doc, as_object
from workflow._params_base import SEGMENT_METRICS
from workflow._params_errors import show

GATE_KEYS = ("minimums", "maxDropVsDeployed", "minLiftOverBaselines")


def segment_problems(doc: Doc) -> list[str]:
    return _jobs(doc) + _solutions(doc) + _gate_metrics(doc)


def _jobs(doc: Doc) -> list[str]:
    problems = []
    filters = {f["name"]: f for _, _, f in doc.entries("filters") if isinstance(f.get("name"), str)}
    for _, path, job in doc.entries("batchSegmentJobs"):
        name, recipe = job.get("solution"), doc.recipe(job.get("solution"))
        if recipe is not None and recipe not in recipes.SEGMENT_RECIPES:
            problems.append(
                f'{path}.solution: "{name}" uses {recipe}, which makes no user segments; batch segment jobs need a '
                f"solution trained with {' or '.join(sorted(recipes.SEGMENT_RECIPES))} (for item recommendations "
                "use batchInferenceJobs)"
            )
        chosen = filters.get(job.get("filter"))  # type: ignore[arg-type]
        if chosen is not None:
            problems += _filter(f"{path}.filter", chosen, recipe)
    return problems


def _filter(path: str, entry: dict[str, object], recipe: str | None) -> list[str]:
    expression = entry.get("filterExpression")
    try:
        statements = parse(expression) if isinstance(expression, str) else []
    except FilterSyntaxError:
        return []  # the filter's own check reports it
    name = show(entry.get("name"))
    if any(s.target != "UserID" for s in statements):
        return [f"{path}: filter {name} filters ItemID; a user segment is filtered with a UserID filter (EXCLUDE|"
                "INCLUDE UserID WHERE Users.<FIELD> ... or Interactions.EVENT_TYPE ...)"]  # fmt: skip
    if recipe == "aws-item-attribute-affinity" and any(d == "Interactions" for s in statements for d, _ in s.where):
        return [f"{path}: filter {name} reads Interactions, which Personalize does not allow with "
                "aws-item-attribute-affinity; filter on Users fields"]  # fmt: skip
    return []


def _solutions(doc: Doc) -> list[str]:
    problems = []
    for _, path, solution in doc.entries("solutions"):
        recipe = recipes.recipe_name(solution["recipe"]) if isinstance(solution.get("recipe"), str) else None
        if recipe not in recipes.SEGMENT_RECIPES:
            continue
        if solution.get("performHPO") is True:
            problems.append(f"{path}.performHPO: {recipe} does not support hyperparameter optimization; set it false")
        if recipe == "aws-item-attribute-affinity" and "Items" not in doc.dataset_types():
            problems.append(
                f"{path}.recipe: aws-item-attribute-affinity needs an Items dataset (with a non-textual metadata "
                "field); add one, or use aws-item-affinity"
            )
    return problems


def _gate_metrics(doc: Doc) -> list[str]:
    """A gate may only name metrics its solution's recipe reports: a missing metric would reject every version."""
    problems = []
    for _, path, gate in doc.entries("metricsGate"):
        recipe = doc.recipe(gate.get("solution"))
        if recipe is None or recipe not in recipes.RECIPES:
            continue
        segments = recipe in recipes.SEGMENT_RECIPES
        for key in GATE_KEYS:
            for metric in as_object(gate.get(key)):
                if (metric in SEGMENT_METRICS) != segments:
                    reported = ", ".join(SEGMENT_METRICS) if segments else "coverage, precision, NDCG and MRR at K"
                    problems.append(
                        f'{path}.{key}.{metric}: solution "{gate["solution"]}" ({recipe}) does not report it; it '
                        f"reports {reported}"
                    )
                elif segments and key == "minLiftOverBaselines":
                    problems.append(
                        f"{path}.{key}.{metric}: the export's baselines recommend items and have no user-segment "
                        "metrics; use minimums"
                    )
                elif segments and key == "maxDropVsDeployed":
                    problems.append(
                        f"{path}.{key}.{metric}: a user-segmentation solution backs no campaign, so no version is "
                        "deployed to compare with; use minimums"
                    )
    return problems
