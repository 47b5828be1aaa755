"""POST /events: an app's event (a click, a purchase) counted for the user's experiment variant, kept for the
read-time Interactions filters of a batch-served name (serving/batch.py), and forwarded to Personalize's PutEvents
with the event tracker, attributed to the campaign of the variant that served the user.

PutEvents' `metricAttribution.eventAttributionSource` ("The source of the event", API reference: MetricAttribution,
at most 1024 printable ASCII characters) is set to the serving variant's campaign name (the champion's, or
"<campaign>-<experiment>" for the challenger), so a metric attribution in Personalize reports the two apart too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from serving import batch, clients, errors, experiments, inputs, parameters

ALLOWED = ("userId", "eventType", "itemId", "recommendationId", "sessionId", "eventValue", "sentAt")
MAX_EVENT_TYPE = 256  # PutEvents' Event.eventType


# A copy of workflow.naming.event_tracker_parameter (serving may not import workflow); a test checks they agree.
def event_tracker_parameter(prefix: str, group: str) -> str:
    return f"/{prefix}/{group}/event-tracker"


class Event(NamedTuple):
    """One checked event of a user."""

    user_id: str
    event_type: str
    item_id: str | None = None
    recommendation_id: str | None = None
    session_id: str | None = None
    event_value: float | None = None
    sent_at: float | None = None


def parse(raw: Mapping[str, Any]) -> Event:
    """Check the body of POST /events; BadRequestError lists every problem."""
    problems = [(key, f"unknown field; expected one of {', '.join(ALLOWED)}") for key in raw if key not in ALLOWED]
    values: dict[str, Any] = {}
    for key in ("userId", "itemId", "recommendationId", "sessionId"):
        if raw.get(key) not in (None, ""):
            try:
                values[key] = inputs.check_id(raw[key])
            except ValueError as exc:
                problems.append((key, str(exc)))
    event_type = raw.get("eventType")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= MAX_EVENT_TYPE:
        problems.append(("eventType", f'required: a string of 1 to {MAX_EVENT_TYPE} characters, e.g. "click"'))
    for key in ("eventValue", "sentAt"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            problems.append((key, f"expected a number, found {value!r}"))
    if "userId" not in values and not any(p[0] == "userId" for p in problems):
        problems.append(("userId", "required"))
    if problems:
        raise errors.BadRequestError(problems)
    return Event(
        user_id=values["userId"],
        event_type=str(event_type),
        item_id=values.get("itemId"),
        recommendation_id=values.get("recommendationId"),
        session_id=values.get("sessionId"),
        event_value=raw.get("eventValue"),
        sent_at=raw.get("sentAt"),
    )


def record(event: Event, prefix: str, group: str, campaign: str) -> dict[str, Any]:
    """Count the event for the user's variant (when an experiment runs on the campaign and the user was exposed),
    then forward it to PutEvents (when the dataset group has an event tracker)."""
    experiment, variant = experiments.variant_of(prefix, group, campaign, event.user_id)
    counted = experiments.count(experiment, event.user_id, event.event_type) if experiment else False
    source = experiment["challenger"]["campaign"] if experiment and variant == "challenger" else campaign
    pointer = parameters.cache().get(batch.batch_parameter(prefix, group, campaign)) if event.item_id else None
    fields = {"EVENT_TYPE": event.event_type, "EVENT_VALUE": event.event_value}
    at = event.sent_at if event.sent_at is not None else time.time()
    kept = batch.remember(pointer, event.user_id, str(event.item_id), fields, at) if pointer else False
    forwarded = _forward(event, prefix, group, source)
    return {
        "campaign": f"{group}/{campaign}",
        "experiment": {"name": experiment["name"], "variant": variant} if experiment else None,
        "counted": counted,
        "kept": kept,
        "forwarded": forwarded,
    }


def _forward(event: Event, prefix: str, group: str, source: str) -> bool:
    tracking_id = parameters.cache().get(event_tracker_parameter(prefix, group))
    if tracking_id is None:
        return False
    entry: dict[str, Any] = {
        "eventType": event.event_type,
        "sentAt": event.sent_at if event.sent_at is not None else time.time(),
        "metricAttribution": {"eventAttributionSource": source},
    }
    for key, value in (
        ("itemId", event.item_id),
        ("recommendationId", event.recommendation_id),
        ("eventValue", event.event_value),
    ):
        if value is not None:
            entry[key] = value
    try:
        clients.client("personalize-events").put_events(
            trackingId=tracking_id,
            userId=event.user_id,
            sessionId=event.session_id or event.user_id,
            eventList=[entry],
        )
    except ClientError as exc:
        if errors.client_error_code(exc) == "InvalidInputException":
            message = str(exc.response.get("Error", {}).get("Message", ""))
            raise errors.BadRequestError([("event", f"Amazon Personalize rejected it: {message}")]) from exc
        raise errors.from_aws(exc, "Amazon Personalize") from exc
    except BotoCoreError as exc:
        raise errors.from_aws(exc, "Amazon Personalize") from exc
    return True
