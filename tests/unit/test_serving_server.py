"""The local server: requests become HTTP API v2 events; a handler crash never reaches the caller as a trace."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from typing import Any

from autopersonalize.serve import http_event, make_server


def test_http_event_is_payload_v2_with_repeated_parameters_joined() -> None:
    event = http_event("GET", "/campaigns/demo/up/recommendations?userId=u1&x=a&x=b&empty=", {"Host": "h:1"})
    assert (event["version"], event["rawPath"], event["rawQueryString"]) == (
        "2.0",
        "/campaigns/demo/up/recommendations",
        "userId=u1&x=a&x=b&empty=",
    )
    assert event["queryStringParameters"] == {"userId": "u1", "x": "a,b", "empty": ""}
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["domainName"] == "h:1"
    assert event["headers"] == {"host": "h:1"}
    assert "body" not in event


def test_http_event_carries_a_binary_body_as_base64() -> None:
    event = http_event("POST", "/rankings", {}, b"\xff\x00")
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, b"\xff\x00")


def test_server_answers_500_without_a_trace_when_the_handler_crashes() -> None:
    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise KeyError("secret internals")

    server = make_server(0, handler=broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with urllib.request.urlopen(server.url + "/recommendations?userId=u1", timeout=5):
            raise AssertionError("expected an HTTP error")
    except urllib.error.HTTPError as exc:
        text = exc.read().decode()
        assert exc.code == 500
        body = json.loads(text)
        assert (body["error"], body["message"]) == (
            "InternalError",
            "the handler failed; the server's log has the details",
        )
        assert "secret internals" not in text and "Traceback" not in text
    finally:
        server.shutdown()
        server.server_close()


def test_server_hands_other_methods_to_the_handler() -> None:
    seen: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event["requestContext"]["http"]["method"])
        return {"statusCode": 404, "headers": {"Content-Type": "application/json"}, "body": '{"error": "NotFound"}'}

    server = make_server(0, handler=handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        request = urllib.request.Request(server.url + "/rankings", method="DELETE")
        try:
            urllib.request.urlopen(request, timeout=5)
            raise AssertionError("expected an HTTP error")
        except urllib.error.HTTPError as exc:
            assert (exc.code, json.loads(exc.read())) == (404, {"error": "NotFound"})
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["DELETE"]
