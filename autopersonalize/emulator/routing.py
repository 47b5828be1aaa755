"""Plugs the emulator into moto: URL routing for the 3 services (in-process and server mode) and request dispatch."""

from __future__ import annotations

import json
import re
from typing import Any

from moto import backend_index
from moto.core.responses import BaseResponse
from moto.personalize import urls as personalize_urls
from werkzeug.exceptions import HTTPException

from autopersonalize.emulator import auth
from autopersonalize.emulator.model import PersonalizeError, operation, shape_output, validate
from autopersonalize.emulator.store import OPERATIONS, store_for

JSON_CONTENT = "application/x-amz-json-1.1"
# rest-json services: path -> (service, operation). All three services sign as "personalize".
REST_PATHS = {
    "/recommendations": ("personalize-runtime", "GetRecommendations"),
    "/personalize-ranking": ("personalize-runtime", "GetPersonalizedRanking"),
    "/action-recommendations": ("personalize-runtime", "GetActionRecommendations"),
    "/events": ("personalize-events", "PutEvents"),
    "/items": ("personalize-events", "PutItems"),
    "/users": ("personalize-events", "PutUsers"),
    "/actions": ("personalize-events", "PutActions"),
    "/action-interactions": ("personalize-events", "PutActionInteractions"),
}
HOSTS = (r"https?://personalize-runtime\.(.+)\.amazonaws\.com", r"https?://personalize-events\.(.+)\.amazonaws\.com")


def _error(exc: PersonalizeError, content_type: str) -> tuple[int, dict[str, str], str]:
    body = json.dumps({"__type": exc.code, "message": exc.message})
    return exc.status, {"Content-Type": content_type, "x-amzn-ErrorType": exc.code}, body


def _call(service: str, name: str, request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    content_type = JSON_CONTENT if service == "personalize" else "application/json"
    helper = BaseResponse(service_name="personalize")
    helper.setup_class(request, full_url, headers)
    try:
        handler = OPERATIONS.get((service, name))
        if handler is None:
            raise PersonalizeError("InvalidAction", f"The offline Personalize emulator does not implement {name}.")
        model = operation(service, name)
        params = json.loads(helper.body or "{}")
        validate(params, model.input_shape)
        store = store_for(helper.current_account, helper.region)
        try:
            auth.authorize(helper, name, params, store.arn)
        except HTTPException as exc:  # moto's signature and key checks: the codes AWS returns for them
            raise PersonalizeError(getattr(exc, "error_type", "AccessDeniedException"), str(exc.description)) from None
        with store.lock:
            store.faults.check(name)
            result = handler(store, params)
        return 200, {"Content-Type": content_type}, json.dumps(shape_output(result, model.output_shape))
    except json.JSONDecodeError as exc:
        return _error(PersonalizeError("SerializationException", f"The request body is not JSON: {exc}"), content_type)
    except PersonalizeError as exc:
        return _error(exc, content_type)


def control_plane(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """`POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>`."""
    target = request.headers.get("X-Amz-Target", "")
    return _call("personalize", target.rpartition(".")[2], request, full_url, headers)


def data_plane(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """personalize-runtime and personalize-events: `POST /recommendations`, `POST /events`, ..."""
    path = re.sub(r"https?://[^/]+", "", full_url).split("?")[0].rstrip("/")
    service, name = REST_PATHS[path]
    return _call(service, name, request, full_url, headers)


def install_routes() -> None:
    """Route moto's Personalize URLs to the emulator (replacing moto's 4 schema operations); add the 2 other hosts."""
    paths = personalize_urls.url_paths
    paths.clear()
    paths["{0}/$"] = control_plane
    for path in REST_PATHS:
        paths["{0}" + path + "$"] = data_plane
    for host in HOSTS:
        if host not in personalize_urls.url_bases:
            personalize_urls.url_bases.append(host)
        if not any(s == "personalize" and p.pattern == host for s, p in backend_index.backend_url_patterns):
            backend_index.backend_url_patterns.append(("personalize", re.compile(host)))
