"""An experiment's readout from the experiments table, and what follows it: promote the challenger, or end it.

Used by `autopersonalize experiment report|promote|end` (workflow's clients, as the caller's credentials) and by the
scheduled check of an experiment with autoPromote (Check Experiment).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from workflow import aws, experiment_stats, experiments, naming, schedules
from workflow.errors import ResourceConflictError
from workflow.resources import personalize

EVENT_PREFIX = "event:"  # serving/experiments.py's counter attributes: "event:<eventType>"


def published(group: str | None = None) -> list[dict[str, Any]]:
    """Every experiment document in SSM under /<prefix>/ (or one dataset group's)."""
    prefix = aws.env("PREFIX")
    path = f"/{prefix}/{group}/experiments/" if group else f"/{prefix}/"
    pages = aws.client("ssm").get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=True)
    return [
        dict(json.loads(p["Value"]))
        for page in pages
        for p in page["Parameters"]
        if p["Name"].split("/")[3:4] == ["experiments"]
    ]


def find(name: str, group: str | None = None) -> dict[str, Any]:
    """The running experiment called `name`; ResourceConflictError says what runs when none (or two) match."""
    found = published(group)
    matching = [d for d in found if d["name"] == name]
    if len(matching) == 1:
        return matching[0]
    running = ", ".join(sorted(f"{d['datasetGroup']}/{d['name']}" for d in found)) or "none"
    if not matching:
        raise ResourceConflictError(
            f"no experiment {name!r} is running under /{aws.env('PREFIX')}/ (running: {running}); "
            "check the name against the params' experiments, and that a run deployed it"
        )
    raise ResourceConflictError(f"experiment {name!r} runs in several dataset groups ({running}); name the group")


def tally(document: dict[str, Any]) -> tuple[experiment_stats.Arm, experiment_stats.Arm]:
    """(champion, challenger) of the current round, read from the experiments table."""
    dynamodb, table = aws.client("dynamodb"), aws.env("EXPERIMENTS_TABLE")
    users: Counter[str] = Counter()
    converted: Counter[str] = Counter()
    events: dict[str, Counter[str]] = {"champion": Counter(), "challenger": Counter()}
    conversion = EVENT_PREFIX + str(document["conversionEventType"])
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": experiments.partition(document)}},
    )
    for page in pages:
        for item in page["Items"]:
            variant = item["variant"]["S"]
            users[variant] += 1
            for key, value in item.items():
                if key.startswith(EVENT_PREFIX):
                    events[variant][key.removeprefix(EVENT_PREFIX)] += int(value["N"])
            converted[variant] += int(conversion in item)
    arms = [experiment_stats.Arm(users[v], converted[v], dict(events[v])) for v in ("champion", "challenger")]
    return arms[0], arms[1]


def report(document: dict[str, Any]) -> dict[str, Any]:
    """The experiment's readout: who it is, per variant the numbers, and the verdict."""
    champion, challenger = tally(document)
    return {
        "experiment": document["name"],
        "datasetGroup": document["datasetGroup"],
        "campaign": document["campaign"],
        "round": document["round"],
        "startedAt": document.get("startedAt"),
        "conversionEventType": document["conversionEventType"],
        "champion": document["champion"],
        "challenger": document["challenger"],
        **experiment_stats.readout(champion, challenger, document),
    }


def _remove(document: dict[str, Any]) -> None:
    """The challenger campaign, the experiment's counts and its parameter: serving stops splitting at once."""
    if document["challenger"]["campaignArn"] == document["champion"]["campaignArn"]:
        raise ResourceConflictError(
            f"experiment {document['name']}: its challenger is the champion campaign itself; "
            "fix the experiment's SSM parameter (or run the workflow again) before promoting or ending it"
        )
    try:
        personalize().delete_campaign(campaignArn=document["challenger"]["campaignArn"])
    except ClientError as exc:
        if aws.error_code(exc) != "ResourceNotFoundException":
            raise
    name = naming.experiment_parameter(aws.env("PREFIX"), document["datasetGroup"], document["campaign"])
    aws.client("ssm").delete_parameter(Name=name)
    experiments.delete_counted(document, budget_seconds=600)


def promote(document: dict[str, Any]) -> dict[str, Any]:
    """The champion campaign is updated to the challenger's version, then the challenger and the experiment go."""
    version = document["challenger"]["solutionVersionArn"]
    personalize().update_campaign(campaignArn=document["champion"]["campaignArn"], solutionVersionArn=version)
    _remove(document)
    return {"experiment": document["name"], "action": "promoted", "solutionVersionArn": version}


def end(document: dict[str, Any]) -> dict[str, Any]:
    """The champion keeps its version; the challenger and the experiment go."""
    _remove(document)
    return {"experiment": document["name"], "action": "ended", "solutionVersionArn": None}


def check(document: dict[str, Any]) -> dict[str, Any]:
    """The scheduled check: promote when the challenger wins, end when it loses or does no better once the test has
    its sample, else leave it running."""
    readout = report(document)
    verdict = readout["verdict"]
    if verdict == "challenger wins":
        return {**promote(document), "verdict": verdict}
    if verdict in ("challenger loses", "no difference"):  # the sample the test needed is in: the champion stays
        return {**end(document), "verdict": verdict}
    return {"experiment": document["name"], "action": "running", "verdict": verdict}


def scheduled_check(group: str, campaign: str) -> dict[str, Any]:
    """Check Experiment, as the experiment's schedule invokes it: decide, and once decided (or when the experiment
    is gone) delete the schedule, so it never fires again."""
    document = experiments.read(naming.experiment_parameter(aws.env("PREFIX"), group, campaign))
    if document is None:
        return {"experiment": None, "action": "none", "verdict": None}
    result = check(document)
    if result["action"] != "running":
        schedules.delete(naming.experiment_schedule(group, campaign))
    return result
