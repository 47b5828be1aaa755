"""Detect the ml_ops sample's params.json format (amazon-personalize-samples) and convert it to ours."""

from __future__ import annotations

from typing import Any

SOLUTION_KEYS = ("name", "recipeArn")
CAMPAIGN_SUFFIX = "Campaign"


def is_mlops(raw: dict[str, Any]) -> bool:
    """ml_ops keys datasets, solutions and campaigns by type/slot (objects) where we use lists."""
    return any(isinstance(raw.get(key), dict) for key in ("datasets", "solutions", "campaigns", "solution", "campaign"))


def convert_mlops(raw: dict[str, Any], source: str) -> tuple[dict[str, Any], list[tuple[str, str]], str]:
    """(our document, [(our path, their path)] to translate problem paths back, the warning to show)."""
    root = _data_root(source)
    converted = {
        k: v for k, v in raw.items() if k not in ("datasets", "solutions", "campaigns", "solution", "campaign")
    }
    paths: list[tuple[str, str]] = []
    converted["datasets"] = _datasets(raw.get("datasets"), root, paths)
    solutions = _slots(raw, "solutions", "solution")
    converted["solutions"] = _solutions(solutions, paths)
    converted["campaigns"] = _campaigns(_slots(raw, "campaigns", "campaign"), solutions, paths)
    given = isinstance(raw.get("datasets"), dict) and all(
        isinstance(d, dict) and "dataLocation" in d for d in raw["datasets"].values()
    )  # publish_params fills dataLocation in: then the ml_ops default location is not used
    read_from = "" if given else f"data is read from {root}<DatasetType>/ (Interactions/, Items/, Users/), "
    warning = (
        f"{source}: ml_ops sample format detected and converted: {read_from}resource names come from the dataset "
        "group name, and performAutoTraining is sent as false; rewrite the file in the autopersonalize format "
        "(docs/params.md) to silence this warning"
    )
    return converted, paths, warning


def translate(problem: str, paths: list[tuple[str, str]]) -> str:
    """Rewrite the leading path of a problem from our document's terms to the ml_ops file's."""
    for ours, theirs in sorted(paths, key=lambda pair: -len(pair[0])):
        if problem.startswith(ours) and problem[len(ours) : len(ours) + 1] in (".", ":", "[", "(", " "):
            return theirs + problem[len(ours) :]
    return problem


def _data_root(source: str) -> str:
    if source.startswith("s3://"):
        return f"s3://{source[5:].split('/', 1)[0]}/"
    return "s3://BUCKET/"


def _slots(raw: dict[str, Any], plural: str, singular: str) -> dict[str, Any]:
    """The named slots of ml_ops solutions/campaigns; the README's singular form counts as one slot."""
    slots = dict(raw[plural]) if isinstance(raw.get(plural), dict) else {}
    if isinstance(raw.get(singular), dict):
        slots[singular] = raw[singular]
    return slots


def _datasets(datasets: object, root: str, paths: list[tuple[str, str]]) -> object:
    if not isinstance(datasets, dict):
        return datasets
    result: list[Any] = []
    for kind, dataset in datasets.items():
        body = dataset if isinstance(dataset, dict) else {}
        paths.append((f"datasets[{len(result)}]", f"datasets.{kind}"))
        entry = {"datasetType": kind, "dataLocation": f"{root}{kind}/"}
        entry.update({k: v for k, v in body.items() if k != "name"})
        result.append(entry)
    return result


def _solutions(slots: dict[str, Any], paths: list[tuple[str, str]]) -> list[Any]:
    result: list[Any] = []
    for slot, solution in slots.items():
        base = "solution" if slot == "solution" else f"solutions.{slot}"
        paths.append((f"solutions[{len(result)}].recipe", f"{base}.recipeArn"))
        paths.append((f"solutions[{len(result)}]", base))
        if not isinstance(solution, dict):
            result.append(solution)
            continue
        entry = {"name": solution.get("name"), "recipe": solution.get("recipeArn")}
        entry.update({k: v for k, v in solution.items() if k not in SOLUTION_KEYS})
        result.append({k: v for k, v in entry.items() if v is not None})
    return result


def _campaigns(slots: dict[str, Any], solutions: dict[str, Any], paths: list[tuple[str, str]]) -> list[Any]:
    result: list[Any] = []
    for slot, campaign in slots.items():
        paths.append((f"campaigns[{len(result)}]", "campaign" if slot == "campaign" else f"campaigns.{slot}"))
        if not isinstance(campaign, dict):
            result.append(campaign)
            continue
        paired = _paired_solution(slot, solutions)
        result.append({"solution": paired, **campaign})
    return result


def _paired_solution(slot: str, solutions: dict[str, Any]) -> str:
    """ml_ops pairs campaign slot `xCampaign` with solution slot `x`; the singular campaign with the single solution."""
    key = slot[: -len(CAMPAIGN_SUFFIX)] if slot.endswith(CAMPAIGN_SUFFIX) else slot
    if slot == "campaign" and len(solutions) == 1:
        key = next(iter(solutions))
    solution = solutions.get(key)
    name = solution.get("name") if isinstance(solution, dict) else None
    return name if isinstance(name, str) else f"(no solution slot {key!r})"
