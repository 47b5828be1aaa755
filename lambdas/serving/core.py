"""One request end to end: campaign and filter names -> ARNs (SSM, cached) -> personalize-runtime -> a small answer."""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from serving import batch, clients, errors, experiments, inputs, parameters
from serving.inputs import Query

# Routes without a campaign in the path use these env vars; the last two fall back to DEFAULT_CAMPAIGN.
DEFAULT_ENV: dict[inputs.Action, tuple[str, ...]] = {
    "recommendations": ("DEFAULT_CAMPAIGN",),
    "related-items": ("DEFAULT_RELATED_ITEMS_CAMPAIGN", "DEFAULT_CAMPAIGN"),
    "rankings": ("DEFAULT_RANKING_CAMPAIGN", "DEFAULT_CAMPAIGN"),
}


class CampaignRef(NamedTuple):
    """A campaign as apps name it: the params' dataset group and campaign names."""

    group: str
    name: str

    def __str__(self) -> str:
        return f"{self.group}/{self.name}"


def campaign_ref(value: Any, field: str = "campaign") -> CampaignRef:
    """Parse "<datasetGroup>/<campaign>"; a malformed one is the caller's mistake (400)."""
    group, _, name = value.partition("/") if isinstance(value, str) else ("", "", "")
    try:
        return CampaignRef(inputs.check_name(group, "dataset group"), inputs.check_name(name, "campaign"))
    except ValueError as exc:
        raise errors.BadRequestError([(field, f"expected <datasetGroup>/<campaign>: {exc}")]) from None


def default_campaign(action: inputs.Action) -> CampaignRef:
    for var in DEFAULT_ENV[action]:
        if os.environ.get(var):
            ref = os.environ[var]
            group, _, name = ref.partition("/")
            if not (inputs.NAME.fullmatch(group) and inputs.NAME.fullmatch(name)):
                raise errors.ConfigurationError(
                    f"environment variable {var} must be <datasetGroup>/<campaign>, found {ref!r}"
                )
            return CampaignRef(group, name)
    raise errors.NotFoundError(
        f"no default campaign for {action}: call /campaigns/<datasetGroup>/<campaign>/{action}, "
        f"or set {' or '.join(DEFAULT_ENV[action])} on the function"
    )


def stack_prefix() -> str:
    prefix = os.environ.get("PREFIX", "")
    if not prefix:
        raise errors.ConfigurationError("environment variable PREFIX is not set (the stack prefix of the SSM names)")
    return prefix


def _resolve(parameter: str, missing: str) -> str:
    arn = parameters.cache().get(parameter)
    if arn is None:
        raise errors.NotFoundError(missing)
    return arn


def answer(query: Query, ref: CampaignRef) -> dict[str, Any]:
    """Run `query` against the campaign `ref` names; the dict is the JSON body of a 200."""
    prefix = stack_prefix()
    campaign_name = parameters.campaign_parameter(prefix, ref.group, ref.name)
    names = [campaign_name]
    campaign_arn = parameters.cache().get(campaign_name)
    if campaign_arn is None:
        pointer = parameters.cache().get(batch.batch_parameter(prefix, ref.group, ref.name))
        if pointer is not None:
            return batch.answer(query, str(ref), pointer)
        recommender_name = parameters.recommender_parameter(prefix, ref.group, ref.name)
        if parameters.cache().get(recommender_name) is not None:
            return _recommender(query, ref, prefix, recommender_name)
        raise errors.NotFoundError(
            f"campaign {ref} is not deployed (no SSM parameter {campaign_name}); "
            "check the name against params.campaigns (or batchInferenceJobs with serving, or recommenders), "
            "or run the workflow to deploy it"
        )
    experiment, variant = experiments.variant_of(prefix, ref.group, ref.name, query.user_id)
    if experiment and variant == "challenger":
        campaign_arn = experiment["challenger"]["campaignArn"]
        names.append(experiments.experiment_parameter(prefix, ref.group, ref.name))  # re-read if its ARN is stale
    kwargs: dict[str, Any] = {"campaignArn": campaign_arn, **_filter_arn(query, ref, prefix, names)}
    try:
        found = _call(query, ref, kwargs)
    except ClientError as exc:
        raise _translate(exc, ref, names) from exc
    except BotoCoreError as exc:
        raise errors.from_aws(exc, "Amazon Personalize") from exc
    if experiment and variant:
        experiments.expose(experiment, str(query.user_id), variant, found["recommendationId"])
        found["experiment"] = {"name": experiment["name"], "variant": variant}
    return found


def _filter_arn(query: Query, ref: CampaignRef, prefix: str, names: list[str]) -> dict[str, str]:
    """{"filterArn": ...} for the request's filter (its SSM parameter appended to `names`, re-read if stale), or {}."""
    if not query.filter:
        return {}
    filter_name = parameters.filter_parameter(prefix, ref.group, query.filter)
    names.append(filter_name)
    arn = _resolve(
        filter_name,
        f"filter {query.filter!r} of dataset group {ref.group!r} does not "
        f"exist (no SSM parameter {filter_name}); check the name against params.filters",
    )
    return {"filterArn": arn}


def _recommender(query: Query, ref: CampaignRef, prefix: str, pointer: str) -> dict[str, Any]:
    """GetRecommendations with the recommender the pointer names ("source": "recommender"). A run that replaces a
    recommender switches the pointer, then deletes the old one: a cached ARN that is gone is read again, once."""
    if query.action == "rankings":
        raise errors.BadRequestError(
            [("campaign", f"{ref} is a recommender; recommenders answer /recommendations and /related-items only")]
        )
    names = [pointer]
    kwargs: dict[str, Any] = _filter_arn(query, ref, prefix, names)
    for attempt in (1, 2):
        arn = _resolve(pointer, f"recommender {ref} is no longer published (no SSM parameter {pointer})")
        try:
            found = _call(query, ref, {**kwargs, "recommenderArn": arn})
            return {**found, "source": "recommender"}
        except ClientError as exc:
            if attempt == 1 and errors.client_error_code(exc) == "ResourceNotFoundException":
                parameters.cache().forget(pointer)
                if parameters.cache().get(pointer) not in (None, arn):
                    continue  # the pointer moved to the recommender that replaced this one
            raise _translate(exc, ref, names) from exc
        except BotoCoreError as exc:
            raise errors.from_aws(exc, "Amazon Personalize") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _call(query: Query, ref: CampaignRef, kwargs: dict[str, Any]) -> dict[str, Any]:
    if query.filter_values:
        kwargs["filterValues"] = dict(query.filter_values)
    if query.context:
        kwargs["context"] = dict(query.context)
    if query.metadata_columns:
        kwargs["metadataColumns"] = {"ITEMS": list(query.metadata_columns)}
    runtime = clients.client("personalize-runtime")
    if query.action == "rankings":
        found = runtime.get_personalized_ranking(userId=query.user_id, inputList=list(query.items), **kwargs)
        listed = found.get("personalizedRanking", [])
    else:
        for key, value in (("userId", query.user_id), ("itemId", query.item_id), ("numResults", query.num_results)):
            if value is not None:
                kwargs[key] = value
        found = runtime.get_recommendations(**kwargs)
        listed = found.get("itemList", [])
    return {
        "campaign": str(ref),
        "recommendationId": found.get("recommendationId"),
        "items": [_item(i) for i in listed],
        "source": "campaign",
    }


def _item(predicted: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"itemId": predicted.get("itemId")}
    for key in ("score", "metadata", "reason", "promotionName"):
        if key in predicted:
            item[key] = predicted[key]
    return item


def _translate(exc: ClientError, ref: CampaignRef, names: list[str]) -> errors.ServingError:
    code, message = errors.client_error_code(exc), str(exc.response.get("Error", {}).get("Message", ""))
    if code == "InvalidInputException":
        return errors.BadRequestError([("request", f"Amazon Personalize rejected it: {message}")])
    if code == "ResourceNotFoundException":
        for name in names:  # the ARN may be stale (a campaign deleted or replaced): read SSM again next time
            parameters.cache().forget(name)
        return errors.NotFoundError(
            f"campaign {ref} or its filter is published in SSM but Amazon Personalize does not have it ({message}); "
            "run the workflow to deploy it again"
        )
    return errors.from_aws(exc, "Amazon Personalize")
