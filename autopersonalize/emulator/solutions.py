"""Recipes, solutions, solution versions (real training with the engine) and GetSolutionMetrics."""

from __future__ import annotations

import uuid
from typing import Any

from autopersonalize.emulator import defaults
from autopersonalize.emulator.datasets import (
    DatasetGroup,
    DatasetImportJob,
    datasets_of,
    interactions_frame,
    require_active,
)
from autopersonalize.emulator.lifecycle import Lifecycle, WorkFailed, run_work
from autopersonalize.emulator.model import in_use, invalid, not_found
from autopersonalize.emulator.store import Resource, Store, delete, describe, operation, paginate

RECIPE_PREFIX = "arn:aws:personalize:::recipe/"
UPDATE_NEEDS_CHANGE = (
    "There should be updates to at least one dataset after last active solution version with training mode set to FULL."
)


def recipes() -> dict[str, str]:
    from autopersonalize import engine

    return dict(engine.RECIPES)


def recipe_of(arn: str) -> tuple[str, str]:
    """(recipe name, recipe type) of a recipe ARN the engine implements."""
    name = arn.removeprefix(RECIPE_PREFIX)
    catalogue = recipes()
    if not arn.startswith(RECIPE_PREFIX) or name not in catalogue:
        raise not_found(arn)
    return name, catalogue[name]


class Solution(Resource):
    kind, arn_key = "solution", "solutionArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        super().__init__(store, arn, name, params)
        self.recipe, self.recipe_type = recipe_of(params["recipeArn"])
        self.update: tuple[Lifecycle, dict[str, Any]] | None = None
        self.lifecycle.finish()

    def config(self) -> dict[str, Any] | None:
        """solutionConfig as Describe answers it (documented defaults filled in)."""
        auto_training = bool(self.params.get("performAutoTraining", True))
        return defaults.solution_config(self.params.get("solutionConfig"), auto_training)

    def versions(self) -> list[SolutionVersion]:
        return [v for v in self.store.all(SolutionVersion) if v.params["solutionArn"] == self.arn]

    def view(self) -> dict[str, Any]:
        view = {"performHPO": False, "performAutoML": False, "performAutoTraining": True, **super().view()}
        view["solutionConfig"] = self.config()
        versions = sorted(self.versions(), key=lambda v: v.created)
        if versions:
            view["latestSolutionVersion"] = versions[-1].view()
        if self.update:
            lifecycle, request = self.update
            view["latestSolutionUpdate"] = {
                **request,
                "status": lifecycle.current(),
                "creationDateTime": lifecycle.updated,
            }
        return view


class SolutionVersion(Resource):
    kind, arn_key = "solution-version", "solutionVersionArn"

    def __init__(self, store: Store, arn: str, name: str, params: dict[str, Any]) -> None:
        super().__init__(store, arn, name, params)
        self.model: Any = None
        self.metrics: dict[str, float] = {}
        self.training_hours: float | None = None
        self.events_seen = 0  # PutEvents rows included in training; later ones are passed as extra history
        self.revision = -1

    @property
    def group_arn(self) -> str:
        return str(self.store.get(Solution, self.params["solutionArn"]).params["datasetGroupArn"])

    @property
    def mode(self) -> str:
        return str(self.params.get("trainingMode", "FULL"))

    def view(self) -> dict[str, Any]:
        solution = self.store.get(Solution, self.params["solutionArn"])
        return {
            "performHPO": solution.params.get("performHPO", False),
            "performAutoML": solution.params.get("performAutoML", False),
            "recipeArn": solution.params["recipeArn"],
            "eventType": solution.params.get("eventType"),
            **super().view(),
            "datasetGroupArn": solution.params["datasetGroupArn"],
            "solutionConfig": solution.config(),
            "trainingMode": self.mode,
            "trainingType": "MANUAL",
            "trainingHours": self.training_hours,
        }


@operation("ListRecipes")
def list_recipes(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    from autopersonalize.emulator.recommenders import DOMAIN_RECIPES

    if p.get("domain"):  # the domain's use cases the emulator trains (RecipeSummary.domain)
        rows = [
            {**_recipe(name, r.recipe_type), "domain": r.domain}
            for name, r in sorted(DOMAIN_RECIPES.items())
            if r.domain == p["domain"]
        ]
    else:
        rows = [_recipe(name, kind) for name, kind in sorted(recipes().items())]
    return paginate(rows, p, "recipes")


@operation("DescribeRecipe")
def describe_recipe(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    from autopersonalize.emulator.recommenders import DOMAIN_RECIPES

    name = p["recipeArn"].removeprefix(RECIPE_PREFIX)
    if name in DOMAIN_RECIPES:
        return {"recipe": _recipe(name, DOMAIN_RECIPES[name].recipe_type)}
    name, kind = recipe_of(p["recipeArn"])
    return {"recipe": _recipe(name, kind)}


def _recipe(name: str, kind: str) -> dict[str, Any]:
    return {
        "name": name,
        "recipeArn": RECIPE_PREFIX + name,
        "algorithmArn": f"arn:aws:personalize:::algorithm/{name}",
        "featureTransformationArn": f"arn:aws:personalize:::feature-transformation/{name}",
        "status": "ACTIVE",
        "description": f"{name} ({kind}), trained offline by autopersonalize.engine.",
        "recipeType": kind,
        "creationDateTime": 1546300800.0,
        "lastUpdatedDateTime": 1546300800.0,
    }


@operation("CreateSolution")
def create_solution(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = store.get(DatasetGroup, p["datasetGroupArn"])
    require_active(group, "Dataset group")
    if p.get("solutionConfig", {}).get("hpoConfig", {}).get("hpoObjective") is not None:
        raise invalid(
            "solutionConfig.hpoConfig.hpoObjective: Amazon Personalize doesn't support configuring the hpoObjective; "
            "remove it."
        )
    threshold = p.get("solutionConfig", {}).get("eventValueThreshold")
    if threshold is not None:
        try:
            float(threshold)
        except ValueError:
            raise invalid(f"solutionConfig.eventValueThreshold: {threshold!r} is not a number.") from None
    return {
        "solutionArn": store.add(Solution(store, store.arn(f"solution/{p['name']}"), p["name"], p), p.get("tags")).arn
    }


@operation("DescribeSolution")
def describe_solution(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    solution = describe(store, Solution, p["solutionArn"])
    if solution.update:
        solution.update[0].observe(store.lock)
    return {"solution": solution.view()}


@operation("ListSolutions")
def list_solutions(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    group = p.get("datasetGroupArn")
    return paginate(
        (s.view() for s in store.all(Solution) if group in (None, s.params["datasetGroupArn"])), p, "solutions"
    )


@operation("UpdateSolution")
def update_solution(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    solution = store.get(Solution, p["solutionArn"])
    require_active(solution, "Solution")
    if solution.update and not solution.update[0].settled:
        raise in_use(f"Solution {solution.arn} already has an update in progress.")
    request = {k: v for k, v in p.items() if k != "solutionArn"}
    lifecycle = Lifecycle()
    lifecycle.finish()
    solution.update = (lifecycle, request)
    solution.params.update({k: v for k, v in request.items() if k.startswith("perform")})
    return {"solutionArn": solution.arn}


@operation("DeleteSolution")
def delete_solution(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    from autopersonalize.emulator.campaigns import Campaign

    solution = store.get(Solution, p["solutionArn"])
    running = [v.arn for v in solution.versions() if not v.lifecycle.settled]
    if running:
        raise in_use(f"Solution {solution.arn} has solution versions in progress: {running}.")
    campaigns = [c.arn for c in store.all(Campaign) if c.params["solutionVersionArn"].startswith(solution.arn + "/")]
    if campaigns:
        raise in_use(f"Solution {solution.arn} is deployed in campaigns {campaigns}. Delete them first.")
    for version in solution.versions():
        store.remove(version)
    return delete(store, solution)


@operation("CreateSolutionVersion")
def create_solution_version(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    solution = store.get(Solution, p["solutionArn"])
    require_active(solution, "Solution")
    group = store.get(DatasetGroup, solution.params["datasetGroupArn"])
    check_data(store, group)
    mode = p.get("trainingMode", "FULL")
    if mode == "UPDATE":
        _check_update(solution)
    version = SolutionVersion(store, f"{solution.arn}/{uuid.uuid4().hex[:8]}", p.get("name") or "", p)
    store.add(version, p.get("tags"))
    failure = store.faults.next_training_failure()
    run_work(version.lifecycle, lambda: _train(store, solution, version, group, failure), store.lock)
    return {"solutionVersionArn": version.arn}


def check_data(store: Store, group: DatasetGroup) -> None:
    datasets = datasets_of(store, group.arn)
    running = [
        j.arn
        for j in store.all(DatasetImportJob)
        if not j.lifecycle.settled and j.params["datasetArn"] in {d.arn for d in datasets.values()}
    ]
    if running:
        raise in_use(f"Dataset import jobs are in progress in {group.arn}: {running}. Wait until they finish.")
    interactions = datasets.get("INTERACTIONS")
    if interactions is None or interactions.data is None:
        raise invalid(
            f"Dataset group {group.arn} has no imported interactions: create an Interactions dataset and an import "
            "job that reaches ACTIVE before creating a solution version."
        )


def _check_update(solution: Solution) -> None:
    if solution.recipe not in defaults.UPDATE_RECIPES:
        raise invalid(
            "trainingMode UPDATE is only supported for User-Personalization (aws-user-personalization) and legacy "
            f"HRNN-Coldstart (aws-hrnn-coldstart) solutions, not {solution.recipe}; use FULL."
        )
    if not any(v.mode == "FULL" and v.status == "ACTIVE" for v in solution.versions()):
        raise invalid(f"trainingMode UPDATE needs an ACTIVE solution version trained with FULL in {solution.arn}.")


def _train(
    store: Store, solution: Solution, version: SolutionVersion, group: DatasetGroup, failure: str | None
) -> None:
    from autopersonalize import engine

    if failure:
        raise WorkFailed(failure)
    with store.lock:
        datasets = datasets_of(store, group.arn)
        interactions = interactions_frame(store, group).copy()
        events_seen, revision = len(group.events), group.revision
        last = [v.revision for v in solution.versions() if v.status == "ACTIVE"]
    if version.mode == "UPDATE" and revision <= max(last, default=-1):
        raise WorkFailed(UPDATE_NEEDS_CHANGE)
    config = solution.params.get("solutionConfig", {})
    threshold = config.get("eventValueThreshold")
    kwargs: dict[str, Any] = {
        "items": datasets["ITEMS"].data if "ITEMS" in datasets else None,
        "users": datasets["USERS"].data if "USERS" in datasets else None,
        "event_type": solution.params.get("eventType"),
        "event_value_threshold": float(threshold) if threshold is not None else None,
        "events": config.get("eventsConfig", {}).get("eventParametersList"),
        "hyperparameters": config.get("algorithmHyperParameters"),
        "seed": 0,
    }
    try:
        model = engine.train(solution.recipe, interactions, **kwargs)
        metrics = engine.solution_metrics(solution.recipe, interactions, **kwargs) if version.mode == "FULL" else {}
    except ValueError as exc:  # engine.DataRequirementError, bad hyperparameters: the user's data or config
        raise WorkFailed(str(exc)) from None
    with store.lock:
        # Personalize answers metrics rounded to 4 decimals: the developer guide's example output (0.27, 0.0379, ...)
        # and every published GetSolutionMetrics print (e.g. amazon-personalize-samples' POC in a box notebooks).
        version.model, version.metrics = model, {name: round(float(value), 4) for name, value in metrics.items()}
        version.training_hours = round(float(model.training_seconds) / 3600, 6)
        version.events_seen, version.revision = events_seen, revision


@operation("DescribeSolutionVersion")
def describe_solution_version(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    return {"solutionVersion": describe(store, SolutionVersion, p["solutionVersionArn"]).view()}


@operation("ListSolutionVersions")
def list_solution_versions(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    solution = p.get("solutionArn")
    if solution:
        store.get(Solution, solution)
    rows = (v.view() for v in store.all(SolutionVersion) if solution in (None, v.params["solutionArn"]))
    return paginate(rows, p, "solutionVersions")


@operation("StopSolutionVersionCreation")
def stop_solution_version_creation(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    version = store.get(SolutionVersion, p["solutionVersionArn"])
    if version.status not in ("CREATE PENDING", "CREATE IN_PROGRESS"):
        raise invalid(
            f"Solution version {version.arn} is {version.status}; only a version in CREATE PENDING or "
            "CREATE IN_PROGRESS can be stopped."
        )
    version.lifecycle.stop()
    return {}


@operation("GetSolutionMetrics")
def get_solution_metrics(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    version = store.get(SolutionVersion, p["solutionVersionArn"])
    require_active(version, "Solution version")
    return {"solutionVersionArn": version.arn, "metrics": version.metrics}
