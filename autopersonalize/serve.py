"""`autopersonalize serve`: the get_recommendations handler behind a local HTTP server (HTTP API v2 events) offline.

State: the offline stack lives in this process (moto), so `serve` must run inside the same `offline_aws()` as the
pipeline that deployed the campaigns; the CLI runs the pipeline first, then calls `serve(...)`. Requests go to the
handler one at a time (powertools keeps the current event on the router, and a Lambda instance also takes one at a
time); the server threads only do the HTTP parsing and writing.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import boto3

from autopersonalize import paths
from autopersonalize.local import iam

LAMBDAS = paths.LAMBDAS
# No CloudWatch here: the server logs each request (route, status, latency) instead of the handler's EMF metrics.
SERVER_ENV = {"POWERTOOLS_METRICS_DISABLED": "true"}
QUIET_ENV = {"POWERTOOLS_LOG_LEVEL": "WARNING"}
log = logging.getLogger("autopersonalize.serve")  # one line per request; the CLI sends it to stderr
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LocalContext:
    """The Lambda context powertools reads, for the local function."""

    function_name: str = "get-recommendations-local"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:get-recommendations-local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def http_event(
    method: str, target: str, headers: Mapping[str, str], body: bytes = b"", source_ip: str = "127.0.0.1"
) -> dict[str, Any]:
    """The HTTP API payload v2 event API Gateway would send for this request (`target` = path?query)."""
    path, _, query = target.partition("?")
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value  # API Gateway joins repeats with ","
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": lowered.get("host", "localhost"),
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if params:
        event["queryStringParameters"] = params
    if body:
        event["body"] = text
    return event


def load_handler() -> Handler:
    """Import the deployed handler by its Handler string, with its CodeUri (lambdas/) on sys.path as in Lambda."""
    if str(LAMBDAS) not in sys.path:
        sys.path.insert(0, str(LAMBDAS))
    from serving import clients, get_recommendations, parameters

    clients.reset()  # clients and cached ARNs belong to the AWS (real or emulated) active when serving starts
    parameters.reset()
    lambda_log = get_recommendations.logger.registered_handler
    if isinstance(lambda_log, logging.StreamHandler):
        # The handler's JSON logs go to stderr: stdout is the CLI's. Set, not setStream(): that flushes the stream of
        # an earlier load, which may be closed by now (a test's captured stderr, when a second run serves again).
        lambda_log.stream = sys.stderr
    return get_recommendations.handler


def function_environment(function_name: str) -> dict[str, str]:
    """The environment of a deployed function (the offline stack's, from template.yaml): its variables, and its role's
    credentials, as the Lambda service provides them, so the handler's calls are allowed only what its policies
    allow (offline IAM refuses the rest, as AWS would)."""
    client = boto3.client("lambda")
    config = client.get_function_configuration(FunctionName=function_name)
    credentials = iam.role_credentials(config["Role"], function_name, client.meta.region_name)
    return {**config.get("Environment", {}).get("Variables", {}), **credentials}


def published(prefix: str) -> dict[str, list[str]]:
    """The campaigns, filters, batch-served jobs and recommenders published in SSM under /{prefix}/, as
    "<datasetGroup>/<name>"."""
    found: dict[str, list[str]] = {"campaigns": [], "filters": [], "batch": [], "recommenders": []}
    if not prefix:
        return found
    pages = boto3.client("ssm").get_paginator("get_parameters_by_path").paginate(Path=f"/{prefix}/", Recursive=True)
    for page in pages:
        for parameter in page["Parameters"]:
            parts = parameter["Name"].strip("/").split("/")  # prefix, group, kind, name
            if len(parts) == 4 and parts[2] in found:
                found[parts[2]].append(f"{parts[1]}/{parts[3]}")
    return found


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # headers and body are two writes: without this, delayed ACKs add ~40 ms

    def do_GET(self) -> None:
        self._invoke()

    def do_POST(self) -> None:
        self._invoke()

    do_PUT = do_PATCH = do_DELETE = do_POST  # no such routes: the handler answers its JSON 404

    def _invoke(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        event = http_event(
            self.command, self.path, dict(self.headers.items()), self.rfile.read(length), self.client_address[0]
        )
        response = self.server.invoke(event)
        body = response.get("body") or ""
        data = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
        self.send_response(int(response["statusCode"]))
        for key, value in (response.get("headers") or {}).items():
            self.send_header(key, str(value))
        for cookie in response.get("cookies") or []:
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if not self.server.quiet:  # the path only: query strings carry user ids, which are not logged
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s -> %s in %.1f ms", self.command, event["rawPath"], response["statusCode"], elapsed)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Answered requests are logged by `_invoke`, with their latency."""

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:  # protocol errors (bad request line, timeouts): never the query string
            log.warning("%s: %s", self.address_string(), format % args if args else format)


class LocalServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that hands every request to the Lambda handler as an HTTP API v2 event."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: Handler, quiet: bool, saved_env: dict[str, str | None]
    ) -> None:
        self.handler, self.quiet, self._saved_env = handler, quiet, saved_env  # before binding: a failed bind closes
        self._lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def server_close(self) -> None:
        """Close the socket and give os.environ back the values it had before `make_server`."""
        super().server_close()
        _restore(self._saved_env)
        self._saved_env = {}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        # A Lambda's stdout is its log (CloudWatch); here the log is stderr, and stdout stays the command's. (With
        # metrics off, powertools 3.37 still prints the ColdStart metric: its single_metric ignores the switch.)
        with self._lock, contextlib.redirect_stdout(sys.stderr):
            try:
                return self.handler(event, LocalContext())
            except Exception:  # the server edge: a handler bug is logged here and the caller gets no stack trace
                log.exception(
                    "the handler failed on %s %s", event["requestContext"]["http"]["method"], event["rawPath"]
                )
                request_id = event["requestContext"]["requestId"]
                message = "the handler failed; the server's log has the details"
                body = {"error": "InternalError", "message": message, "requestId": request_id}
                return {"statusCode": 500, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def make_server(
    port: int = 0,
    host: str = "127.0.0.1",
    *,
    environ: Mapping[str, str] | None = None,
    quiet: bool = True,
    handler: Handler | None = None,
) -> LocalServer:
    """A server bound to host:port (0 = a free port; see `.url`), not yet serving: call `serve_forever()`.

    environ: the function's settings (PREFIX, DEFAULT_CAMPAIGN, ...), set in os.environ until `server_close()`; for the
    offline stack's function, `function_environment(name)`. The handler's EMF metrics are off (no CloudWatch here);
    unless quiet, each request is logged to the `autopersonalize.serve` logger with its status and latency. quiet: also
    no info logs from the handler.
    """
    settings = {**SERVER_ENV, **(QUIET_ENV if quiet else {}), **(environ or {})}
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        return LocalServer((host, port), handler or load_handler(), quiet, saved)
    except OSError:  # e.g. the port is taken: leave the environment as it was
        _restore(saved)
        raise


def _restore(saved: Mapping[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def serve(
    port: int = 8080,
    host: str = "127.0.0.1",
    *,
    environ: Mapping[str, str] | None = None,
    quiet: bool = False,
    announce: Callable[[str], None] = print,
    on_ready: Callable[[LocalServer], None] | None = None,
) -> None:
    """Serve until Ctrl-C (or `shutdown()` of the server `on_ready` receives); run it inside the `offline_aws()`
    that holds the deployed campaigns."""
    serve_until_stopped(make_server(port, host, environ=environ, quiet=quiet), announce=announce, on_ready=on_ready)


def serve_until_stopped(
    server: LocalServer,
    *,
    announce: Callable[[str], None] = print,
    on_ready: Callable[[LocalServer], None] | None = None,
) -> None:
    """Say where `server` listens and what it serves, then serve until `shutdown()`; Ctrl-C (KeyboardInterrupt)
    closes the server and reaches the caller, so the CLI exits 130."""
    default = os.environ.get("DEFAULT_CAMPAIGN", "<datasetGroup>/<campaign>")
    announce(f"get_recommendations on {server.url} (default campaign {default}); Ctrl-C stops it")
    for kind, names in published(os.environ.get("PREFIX", "")).items():
        if names or kind not in ("batch", "recommenders"):
            announce(f"  {kind}: {', '.join(sorted(names)) or '(none published)'}")
    announce(f"  curl '{server.url}/recommendations?userId=<user>&numResults=5'")
    if on_ready:
        on_ready(server)
    try:
        server.serve_forever()
    finally:
        server.server_close()
