"""get_recommendations: what apps call (HTTP API v2 routes, or a direct invoke). Imports nothing heavy: hot path."""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit

from serving import core, errors, inputs, outcomes

logger = Logger(service="get_recommendations")
metrics = Metrics(namespace="autopersonalize", service="get_recommendations")
app = APIGatewayHttpResolver()
ROUTES = (
    "GET /recommendations, GET /related-items, POST /rankings, POST /events "
    "(also under /campaigns/<datasetGroup>/<campaign>)"
)


@app.get("/recommendations")
@app.get("/campaigns/<group>/<campaign>/recommendations")
def recommendations(group: str | None = None, campaign: str | None = None) -> dict[str, Any]:
    return _answer("recommendations", group, campaign, app.current_event.query_string_parameters or {})


@app.get("/related-items")
@app.get("/campaigns/<group>/<campaign>/related-items")
def related_items(group: str | None = None, campaign: str | None = None) -> dict[str, Any]:
    return _answer("related-items", group, campaign, app.current_event.query_string_parameters or {})


@app.post("/rankings")
@app.post("/campaigns/<group>/<campaign>/rankings")
def rankings(group: str | None = None, campaign: str | None = None) -> dict[str, Any]:
    return _answer("rankings", group, campaign, _body('{"userId": "u1", "items": ["i1"]}'))


@app.post("/events")
@app.post("/campaigns/<group>/<campaign>/events")
def events(group: str | None = None, campaign: str | None = None) -> dict[str, Any]:
    """An outcome of the app's user: counted for the user's experiment variant, forwarded to PutEvents."""
    event = outcomes.parse(_body('{"userId": "u1", "eventType": "click", "itemId": "i1"}'))
    ref = core.campaign_ref(f"{group}/{campaign}", "path") if group else core.default_campaign("recommendations")
    return outcomes.record(event, core.stack_prefix(), ref.group, ref.name)


def _body(example: str) -> dict[str, Any]:
    try:
        body = json.loads(app.current_event.decoded_body or "null")
    except json.JSONDecodeError as exc:
        raise errors.BadRequestError([("body", f"is not JSON ({exc.msg} at character {exc.pos})")]) from None
    if not isinstance(body, dict):
        raise errors.BadRequestError([("body", f"expected a JSON object such as {example}")])
    return body


def _answer(action: inputs.Action, group: str | None, campaign: str | None, raw: Any) -> dict[str, Any]:
    ref = core.campaign_ref(f"{group}/{campaign}", "path") if group else core.default_campaign(action)
    return core.answer(inputs.parse(action, raw), ref)


@app.exception_handler(errors.ServingError)
def _error(exc: errors.ServingError) -> Response:
    request_id = app.current_event.request_context.request_id
    _log(exc, request_id)
    return Response(exc.status, content_types.APPLICATION_JSON, json.dumps(exc.body(request_id)), exc.headers())


@app.not_found
def _no_route(_: Exception) -> Response:
    event = app.current_event
    exc = errors.NotFoundError(f"no route {event.http_method} {event.path}; the routes are {ROUTES}")
    return _error(exc)


def _log(exc: errors.ServingError, request_id: str) -> None:
    """4xx: the caller's business, one line; 5xx: ours, with the AWS error behind it (never sent to the caller)."""
    if exc.status >= 500:
        logger.error(exc.message, extra={"requestId": request_id, "cause": repr(exc.__cause__)})
    else:
        logger.info(exc.code, extra={"requestId": request_id, "status": exc.status})


def direct(event: Any, request_id: str) -> dict[str, Any]:
    """A service caller's invoke: {"action", "campaign"?, ...the route's parameters} -> {"statusCode", ...body}."""
    try:
        if not isinstance(event, dict):
            raise errors.BadRequestError([("event", f"expected a JSON object, found {type(event).__name__}")])
        action = event.get("action")
        if action not in inputs.ACTIONS:
            raise errors.BadRequestError([("action", f"expected one of {', '.join(inputs.ACTIONS)}, found {action!r}")])
        ref = core.campaign_ref(event["campaign"]) if "campaign" in event else core.default_campaign(action)
        raw = {key: value for key, value in event.items() if key not in ("action", "campaign")}
        return {"statusCode": 200, **core.answer(inputs.parse(action, raw), ref)}
    except errors.ServingError as exc:
        _log(exc, request_id)
        return {"statusCode": exc.status, **exc.body(request_id)}


def _route(event: Any) -> str:
    if not isinstance(event, dict):
        return "unknown"
    name = event.get("action") if "requestContext" not in event else str(event.get("rawPath", "")).rsplit("/", 1)[-1]
    return name if name in inputs.ACTIONS else "unknown"


def _outcome(status: int) -> str:
    return {200: "ok", 400: "bad_request", 404: "not_found", 429: "throttled"}.get(status, "error")


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    metrics.clear_metrics()  # with POWERTOOLS_METRICS_DISABLED, powertools never clears: it would grow per call
    is_http = isinstance(event, dict) and "requestContext" in event
    response = app.resolve(event, context) if is_http else direct(event, context.aws_request_id)
    metrics.add_dimension("route", _route(event))
    metrics.add_dimension("outcome", _outcome(int(response["statusCode"])))
    metrics.add_metric("Latency", MetricUnit.Milliseconds, (time.perf_counter() - started) * 1000)
    metrics.add_metric("Requests", MetricUnit.Count, 1)
    return response
