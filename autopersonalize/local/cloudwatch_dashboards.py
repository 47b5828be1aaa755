"""PutDashboard as CloudWatch checks it: moto 5.2.5 refuses only a body that is not JSON.

What is checked, and the evidence: the name's characters and length (botocore's cloudwatch 2010-08-01 model,
PutDashboardInput.DashboardName: "The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and
"_""); the body's structure (CloudWatch API Reference, "Dashboard Body Structure and Syntax": a `widgets` array of 0
to 500 widgets; each widget's `type` and `properties` required, `width` 1-24 and `height` 1-1000; a metric widget's
`region`, a log widget's `query` and `region`, a text widget's `markdown` required; each metric line is strings,
then at most one options object). The refusal is InvalidParameterInput with the text CloudWatch answers, as
deployments report it: "The dashboard body is invalid, there are N validation errors:" and a JSON list of
{"dataPath", "message"}, each message as CloudWatch words it ("Invalid metric field type, only 'String' type is
allowed", "Should have required property 'region'"). Not checked: the values inside properties (periods, stats, view
names), SEARCH expressions and log queries themselves.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.cloudwatch.exceptions import DashboardInvalidInputError
from moto.cloudwatch.models import CloudWatchBackend

NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
TYPES = ("metric", "text", "log", "alarm", "explorer", "custom")
REQUIRED = {"metric": ("region",), "log": ("query", "region"), "text": ("markdown",)}
MAX_WIDGETS = 500
SIZES = {"width": (1, 24), "height": (1, 1000)}


def validation_errors(body: Any) -> list[dict[str, str]]:
    """Every {"dataPath", "message"} CloudWatch would answer for this (parsed) body; [] when it is accepted."""
    if not isinstance(body, dict):
        return [{"dataPath": "", "message": "Should be object"}]
    widgets = body.get("widgets")
    if widgets is None:
        return [{"dataPath": "", "message": "Should have required property 'widgets'"}]
    if not isinstance(widgets, list):
        return [{"dataPath": "/widgets", "message": "Should be array"}]
    if len(widgets) > MAX_WIDGETS:
        return [{"dataPath": "/widgets", "message": f"Should NOT have more than {MAX_WIDGETS} items"}]
    found: list[dict[str, str]] = []
    for index, widget in enumerate(widgets):
        found += _widget(widget, f"/widgets/{index}")
    return found


def _widget(widget: Any, path: str) -> list[dict[str, str]]:
    if not isinstance(widget, dict):
        return [{"dataPath": path, "message": "Should be object"}]
    for key in ("type", "properties"):
        if key not in widget:
            return [{"dataPath": path, "message": f"Should have required property '{key}'"}]
    if widget["type"] not in TYPES:
        return [{"dataPath": f"{path}/type", "message": "Should be equal to one of the allowed values"}]
    found = []
    for key, (low, high) in SIZES.items():
        if key in widget and isinstance(widget[key], int | float):
            if widget[key] > high:
                found.append({"dataPath": f"{path}/{key}", "message": f"Should be <= {high}"})
            elif widget[key] < low:
                found.append({"dataPath": f"{path}/{key}", "message": f"Should be >= {low}"})
    properties = widget["properties"]
    if not isinstance(properties, dict):
        return [*found, {"dataPath": f"{path}/properties", "message": "Should be object"}]
    missing = [key for key in REQUIRED.get(widget["type"], ()) if key not in properties]
    if missing:
        return [*found, {"dataPath": f"{path}/properties", "message": f"Should have required property '{missing[0]}'"}]
    if widget["type"] == "metric":
        for number, line in enumerate(properties.get("metrics") or []):
            found += _metric_line(line, f"{path}/properties/metrics/{number}")
    return found


def _metric_line(line: Any, path: str) -> list[dict[str, str]]:
    """Strings (namespace, name, dimension name and value pairs; or "." for the line above's), then at most one
    options object; or a single object (an expression with its id)."""
    if not isinstance(line, list):
        return [{"dataPath": path, "message": "Should be array"}]
    fields = line[:-1] if line and isinstance(line[-1], dict) else line
    return [
        {"dataPath": f"{path}/{position}", "message": "Invalid metric field type, only 'String' type is allowed"}
        for position, field in enumerate(fields)
        if not isinstance(field, str)
    ]


def _put_dashboard(original: Any) -> Any:
    def put_dashboard(self: CloudWatchBackend, name: str, body: str) -> Any:
        if not NAME.fullmatch(name or ""):
            raise DashboardInvalidInputError(
                "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, "
                "dash (-) and underscore (_).\n"
            )
        errors = validation_errors(json.loads(body))  # moto's response already refused a body that is not JSON
        if errors:
            raise DashboardInvalidInputError(
                f"The dashboard body is invalid, there are {len(errors)} validation errors:\n"
                + json.dumps(errors, indent=2)
            )
        return original(self, name, body)

    return put_dashboard


def install() -> None:
    CloudWatchBackend.put_dashboard = _put_dashboard(CloudWatchBackend.put_dashboard)  # type: ignore[method-assign]
