"""Solutions and solution versions: describe-first, performAutoTraining always explicit, no duplicate training."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from workflow import aws, events, naming
from workflow._recipes import recipe_arn
from workflow.errors import ResourceConflictError
from workflow.resources import ACTIVE, PENDING, find, is_ready, pages, personalize, tag_args, unless_limited

MAX_ATTEMPTS = 9  # trainings of the same data and config (after failures); names end -2 .. -9
LOOKBACK = 25  # newest versions described when looking for this data's version


def _names(params: dict[str, Any], solution: dict[str, Any], imports: list[dict[str, Any]]) -> list[str]:
    """Version names for this solution config trained on exactly these imports: the digest, then -2.. for retries."""
    basis = json.dumps(
        {
            "solution": solution,
            "imports": sorted(str(i.get("jobArn")) for i in imports),
            **({"retrain": params["retrain"]} if params.get("retrain") else {}),  # one version per scheduled run
        },
        sort_keys=True,
    )
    token = "t" + hashlib.sha256(basis.encode()).hexdigest()[:12]
    tokens = [token] + [f"{token}-{n}" for n in range(2, MAX_ATTEMPTS + 1)]
    group = params["datasetGroup"]["name"]
    return [naming.solution_version(aws.env("PREFIX"), group, solution["name"], t) for t in tokens]


def _drift(found: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    """The first setting an existing solution differs in from the params, or None."""
    for key in ("recipeArn", "eventType"):
        if (found.get(key) or None) != (wanted.get(key) or None):
            return key
    for key in ("performHPO", "performAutoTraining"):
        if key in found and bool(found[key]) != bool(wanted[key]):
            return key
    return None


def ensure_solution(params: dict[str, Any], group_arn: str, solution: dict[str, Any]) -> dict[str, Any]:
    """Create the solution when absent (performAutoTraining sent explicitly); an existing one must match the params."""
    name = naming.solution(aws.env("PREFIX"), params["datasetGroup"]["name"], solution["name"])
    wanted = {
        "recipeArn": recipe_arn(solution["recipe"]),
        "performHPO": bool(solution.get("performHPO", False)),
        "performAutoTraining": bool(solution.get("performAutoTraining", False)),
        **({"eventType": solution["eventType"]} if solution.get("eventType") else {}),
        **({"solutionConfig": solution["solutionConfig"]} if solution.get("solutionConfig") else {}),
    }
    summary = find("list_solutions", "solutions", name, datasetGroupArn=group_arn)
    if summary is None:
        created = unless_limited(
            lambda: personalize().create_solution(name=name, datasetGroupArn=group_arn, **wanted, **tag_args(params))
        )
        return {"solutionArn": created["solutionArn"] if created else None, "ready": False}
    found = personalize().describe_solution(solutionArn=summary["solutionArn"])["solution"]
    key = _drift(found, wanted)
    if key is not None:
        raise ResourceConflictError(
            f"solution {name} exists with {key} {found.get(key)!r}, but the params ask for {wanted.get(key)!r} "
            f"(solutions[{solution['name']}]); a solution cannot change this: rename the solution in the params "
            "(a new one is created) or run the teardown machine"
        )
    ready = is_ready(f"solution {name}", found["solutionArn"], found["status"], found.get("failureReason"))
    return {"solutionArn": found["solutionArn"], "ready": ready}


def _versions(solution_arn: str) -> list[dict[str, Any]]:
    """The solution's newest versions, described (List* summaries carry no name)."""
    summaries = sorted(
        pages("list_solution_versions", "solutionVersions", solutionArn=solution_arn),
        key=lambda s: s["creationDateTime"],
        reverse=True,
    )[:LOOKBACK]
    client = personalize()
    return [
        client.describe_solution_version(solutionVersionArn=s["solutionVersionArn"])["solutionVersion"]
        for s in summaries
    ]


def _version_result(version: dict[str, Any], action: str, ready: bool) -> dict[str, Any]:
    return {
        "solutionVersionArn": version.get("solutionVersionArn"),
        "name": version.get("name"),
        "trainingMode": version.get("trainingMode"),
        "trainingHours": version.get("trainingHours"),
        "action": action,
        "ready": ready,
    }


def create_solution_version(
    params: dict[str, Any], solution: dict[str, Any], solution_arn: str, imports: list[dict[str, Any]]
) -> dict[str, Any]:
    """Train, unless a version of this config on these imports already succeeded (reused) or is running (resumed)."""
    names = _names(params, solution, imports)
    versions = _versions(solution_arn)
    ours = [v for v in versions if v.get("name") in names]
    done = next((v for v in ours if v["status"] == ACTIVE), None)
    if done is not None:
        return _version_result(done, "reused", True)
    running = next((v for v in ours if v["status"] in PENDING), None)
    if running is not None:
        return _version_result(running, "resumed", False)
    used = {v.get("name") for v in versions}
    name = next((n for n in names if n not in used), None)
    if name is None:
        raise ResourceConflictError(
            f"solution {solution['name']} failed to train {MAX_ATTEMPTS} times on this data ({names[0]} ...); "
            "read their failureReason, fix the data or the solution config, then drop the params again"
        )
    mode = solution.get("trainingMode", "FULL")
    if mode == "UPDATE" and not any(v["status"] == ACTIVE and v.get("trainingMode") == "FULL" for v in versions):
        mode = "FULL"  # UPDATE needs an ACTIVE FULL version first
    created = unless_limited(
        lambda: personalize().create_solution_version(
            solutionArn=solution_arn, name=name, trainingMode=mode, **tag_args(params)
        )
    )
    if created is None:
        return _version_result({"trainingMode": mode}, "limited", False)
    return _version_result(
        {"solutionVersionArn": created["solutionVersionArn"], "name": name, "trainingMode": mode}, "started", False
    )


def check_training(
    params: dict[str, Any],
    solution: dict[str, Any],
    solution_arn: str,
    imports: list[dict[str, Any]],
    version_arn: str | None,
    previous: dict[str, Any],
) -> dict[str, Any]:
    """The version's status; a start refused for a quota is tried again here."""
    if version_arn is None:
        return create_solution_version(params, solution, solution_arn, imports)
    version = personalize().describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"]
    ready = is_ready(
        f"solution version of {solution['name']}", version_arn, version["status"], version.get("failureReason")
    )
    if ready:
        events.emit(
            "Training Completed",
            params,
            {
                "solution": solution["name"],
                "solutionVersionArn": version_arn,
                "trainingHours": version.get("trainingHours"),
            },
        )
    return _version_result(version, previous.get("action", "started"), ready)
