"""The experiments block of the params (A/B tests of a campaign against a challenger) and its cross-field checks."""

from __future__ import annotations

from pydantic import Field

from workflow import _recipes as recipes
from workflow._params_access import Doc, as_object, suggest
from workflow._params_base import ApiModel, Name, ScheduleExpression, TimeZone


class Challenger(ApiModel):
    """What the challenger campaign serves: this run's version of a solution."""

    solution: str | None = Field(
        None,
        description="Name of another solution of this file (same kind of recipe); default: the campaign's own "
        "solution, so the version this run trained is tried against the one the campaign serves.",
    )


class AutoPromote(ApiModel):
    """A scheduled check of the experiment: promote the challenger when it wins, end the experiment when it loses."""

    check: ScheduleExpression = Field(
        "rate(1 day)",
        description='How often to check: "rate(12 hours)" or "cron(0 6 * * ? *)" (EventBridge Scheduler).',
    )
    timezone: TimeZone = Field("UTC", description="IANA time zone the cron expression is evaluated in.")


class Experiment(ApiModel):
    """An A/B test on a campaign: the run deploys a challenger campaign beside it instead of updating it, and
    get_recommendations splits users between the two by a stable hash (see docs/serving.md, "Experiments")."""

    name: Name = Field(description="Experiment name, unique in this file; users are assigned by hash(name, userId).")
    campaign: str = Field(description="Name of the champion campaign (a campaign of this file).")
    challenger: Challenger = Field(Challenger.model_validate({}), description="What the challenger serves.")
    traffic_share: float = Field(
        0.5, gt=0, lt=1, description="Share of users the challenger answers (0 < share < 1), e.g. 0.5."
    )
    conversion_event_type: str = Field(
        min_length=1,
        max_length=256,
        description='The event type (POST /events eventType) that counts as a conversion, e.g. "click" or "purchase".',
    )
    minimum_detectable_effect: float = Field(
        0.1, gt=0, le=10, description="Smallest relative change in conversion rate worth detecting (0.1 = 10 %)."
    )
    alpha: float = Field(0.05, gt=0, le=0.2, description="Significance level of the two-sided two-proportion test.")
    power: float = Field(0.8, ge=0.5, lt=1, description="Chance to detect a change of minimumDetectableEffect.")
    auto_promote: AutoPromote | None = Field(
        None, description="Check on a schedule and promote (or end) the experiment once the verdict is in."
    )


def experiment_problems(doc: Doc) -> list[str]:
    """Each experiment names a campaign of the file (one experiment per campaign), a challenger of the same recipe
    type, and the event tracker its outcomes go through; the challenger's campaign name is free."""
    problems: list[str] = []
    campaigns = {c["name"]: c for _, _, c in doc.entries("campaigns") if isinstance(c.get("name"), str)}
    taken: dict[str, str] = {}
    for _, path, experiment in doc.entries("experiments"):
        name, campaign_name = experiment.get("name"), experiment.get("campaign")
        if not isinstance(campaign_name, str):
            continue
        campaign = campaigns.get(campaign_name)
        if campaign is None:
            hint = suggest(campaign_name, list(campaigns), "campaigns")
            problems.append(f'{path}.campaign: "{campaign_name}" is not a campaign name{hint}')
            continue
        if campaign_name in taken:
            problems.append(f'{path}.campaign: "{campaign_name}" already has an experiment at {taken[campaign_name]}')
        taken.setdefault(campaign_name, path)
        problems += _challenger(doc, path, experiment, campaign)
        if isinstance(name, str) and f"{campaign_name}-{name}" in campaigns:
            problems.append(
                f'{path}.name: the challenger campaign is named "{campaign_name}-{name}", which is a campaign of this '
                "file; rename the experiment"
            )
        if as_object(campaign.get("campaignConfig")).get("syncWithLatestSolutionVersion") is True:
            problems.append(
                f'{path}.campaign: "{campaign_name}" deploys every new version itself '
                "(campaignConfig.syncWithLatestSolutionVersion), so no challenger can be tried against it"
            )
    if doc.entries("experiments") and not isinstance(doc.raw.get("eventTracker"), dict):
        problems.append(
            "experiments: outcomes are forwarded to Personalize with the event tracker (PutEvents); add eventTracker"
        )
    return problems


def _challenger(doc: Doc, path: str, experiment: dict[str, object], campaign: dict[str, object]) -> list[str]:
    challenger = as_object(experiment.get("challenger")).get("solution")
    if not isinstance(challenger, str):
        return []
    solutions = doc.names("solutions")
    if challenger not in solutions:
        hint = suggest(challenger, solutions, "solutions")
        return [f'{path}.challenger.solution: "{challenger}" is not a solution name{hint}']
    ours, theirs = doc.recipe(campaign.get("solution")), doc.recipe(challenger)
    if ours is None or theirs is None or recipes.RECIPES.get(ours) == recipes.RECIPES.get(theirs):
        return []
    return [
        f'{path}.challenger.solution: "{challenger}" uses {theirs} ({recipes.RECIPES.get(theirs)}), but campaign '
        f'"{campaign.get("name")}" serves {ours} ({recipes.RECIPES.get(ours)}); the two variants must answer the '
        "same requests: choose a solution of the same recipe type"
    ]
