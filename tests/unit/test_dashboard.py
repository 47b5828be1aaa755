"""The stack's CloudWatch dashboard charts only what exists: each metric it names is one the workflow, the Glue export,
the serving function or an AWS service really publishes, with exactly its dimensions, on this stack's functions,
state machine and API; its log query reads a log group of the stack and fields the gate metrics' lines carry."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from publish_params import ROW_METRICS
from workflow import metrics

from autopersonalize.local.stack import PARAMS_BY_HAND, REPO
from autopersonalize.local.template import Template

# The metrics each AWS service publishes that the dashboard may use, by namespace and dimension. Evidence: CloudWatch
# User Guide and service guides, "Step Functions execution metrics" (dimension StateMachineArn), "Lambda function
# metrics" (FunctionName), "Metrics for HTTP APIs in API Gateway" (ApiId; 4xx, 5xx, Count, Latency...).
AWS_METRICS: dict[str, tuple[str, frozenset[str]]] = {
    "AWS/States": (
        "StateMachineArn",
        frozenset(
            {
                "ExecutionTime",
                "ExecutionThrottled",
                "ExecutionsAborted",
                "ExecutionsFailed",
                "ExecutionsStarted",
                "ExecutionsSucceeded",
                "ExecutionsTimedOut",
            }
        ),
    ),
    "AWS/Lambda": (
        "FunctionName",
        frozenset({"Duration", "Errors", "Throttles", "Invocations", "ConcurrentExecutions"}),
    ),
    "AWS/ApiGateway": ("ApiId", frozenset({"4xx", "5xx", "Count", "Latency", "IntegrationLatency", "DataProcessed"})),
}
SEARCH = re.compile(r"SEARCH\('\{([^}]*)\}\s+MetricName=\"([^\"]+)\"[^']*',\s*'(\w+)',\s*\d+\)")


def custom_metrics() -> dict[str, set[frozenset[str]]]:
    """Every metric in the `autopersonalize` namespace and each set of dimension names it is emitted with, from the
    code that emits it."""
    found = {name: {frozenset({*d, "service"}) for d in dims} for name, dims in metrics.EMITTED.items()}
    found |= {name: {frozenset({"DatasetGroup", "Dataset"})} for name, _ in ROW_METRICS}  # PutMetricData: no service
    serving = (REPO / "lambdas" / "serving" / "get_recommendations.py").read_text()
    dims = frozenset({*re.findall(r'metrics\.add_dimension\("(\w+)"', serving), "service"})
    found |= {name: {dims} for name in re.findall(r'metrics\.add_metric\("(\w+)"', serving)}
    return found


def stack_names(template: Template) -> dict[str, set[str]]:
    """The dimension values the dashboard may use, by dimension name: this stack's resources."""
    functions = {template.names[k] for k, r in template.resources.items() if r["Type"] == "AWS::Serverless::Function"}
    return {
        "StateMachineArn": {str(template.resolve({"Ref": "TrainingStateMachine"}))},
        "FunctionName": functions,
        "ApiId": {str(template.resolve({"Ref": "RecommendationsApi"}))},
    }


def problems(body: dict[str, Any], template: Template) -> list[str]:
    """Every widget line that charts something nobody emits or names something not in the stack."""
    custom, names = custom_metrics(), stack_names(template)
    groups = {template.names[k] for k, r in template.resources.items() if r["Type"] == "AWS::Logs::LogGroup"}
    fields = {
        "@timestamp",
        *metrics.GATE_PROPERTIES,
        *metrics.EMITTED,
        *(d for sets in metrics.EMITTED.values() for dims in sets for d in dims),
    }
    found: list[str] = []
    for index, widget in enumerate(body["widgets"]):
        where, props = f"widget {index} ({widget['properties'].get('title')})", widget["properties"]
        if widget["type"] == "log":
            source = re.match(r"SOURCE '([^']+)'", props["query"])
            if source is None or source.group(1) not in groups:
                found.append(f"{where}: the query reads no log group of the stack")
            named = set(re.findall(r"ispresent\((\w+)\)", props["query"]))
            named |= {f.strip() for f in re.search(r"\| fields ([^|]+)", props["query"]).group(1).split(",")}  # type: ignore[union-attr]
            found += [f"{where}: no gate metric line has the field {f}" for f in sorted(named - fields)]
        for line in props.get("metrics", []):
            if isinstance(line[0], dict):
                match = SEARCH.fullmatch(line[0]["expression"])
                if match is None:
                    found.append(f"{where}: {line[0]['expression']} is not a SEARCH this test reads")
                    continue
                namespace, *dims = [d.strip() for d in match.group(1).split(",")]
                name = match.group(2)
                if namespace == "autopersonalize" and frozenset(dims) not in custom.get(name, set()):
                    found.append(f"{where}: nothing emits {name} with dimensions {sorted(dims)}")
                elif namespace in AWS_METRICS and (
                    dims != [AWS_METRICS[namespace][0]] or name not in AWS_METRICS[namespace][1]
                ):
                    found.append(f"{where}: {namespace} has no {name} by {dims}")
                elif namespace != "autopersonalize" and namespace not in AWS_METRICS:
                    found.append(f"{where}: unknown namespace {namespace}")
                continue
            namespace, name, *rest = line
            pairs = [x for x in rest if not isinstance(x, dict)]
            values = dict(zip(pairs[::2], pairs[1::2], strict=True))
            if namespace not in AWS_METRICS:
                found.append(
                    f"{where}: {namespace} {name}: chart custom metrics with SEARCH (solutions come from params)"
                )
                continue
            dimension, known = AWS_METRICS[namespace]
            if name not in known or list(values) != [dimension]:
                found.append(f"{where}: {namespace} has no {name} by {list(values)}")
            elif values[dimension] not in names[dimension]:
                found.append(f"{where}: {dimension} {values[dimension]} is not in the stack")
    return found


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.read(REPO / "template.yaml", PARAMS_BY_HAND)


def body_of(template: Template) -> dict[str, Any]:
    [dashboard] = [r for r in template.resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body: dict[str, Any] = json.loads(template.resolve(dashboard["Properties"]["DashboardBody"]))
    return body


def test_the_dashboard_charts_only_what_the_stack_emits(template: Template) -> None:
    body = body_of(template)
    assert problems(body, template) == []
    searches = [
        SEARCH.fullmatch(m[0]["expression"]).groups()  # type: ignore[union-attr]
        for w in body["widgets"]
        for m in w["properties"].get("metrics", [])
        if isinstance(m[0], dict)
    ]
    charted = {m[1] for w in body["widgets"] for m in w["properties"].get("metrics", []) if not isinstance(m[0], dict)}
    charted |= {name for _, name, _ in searches}
    # what issue 15 asks it to show: runs by outcome, step durations, gate metrics, rows, latency, errors, throttles
    assert {
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionTime",
        "Duration",
        "GateMetric",
        "GateMinimum",
    } <= charted
    assert {"RowsExported", "RowsRejected", "RowsImported", "Latency", "Errors", "Throttles"} <= charted
    # issue 15's recommenders: their gate metrics and decisions, each under its own Recommender dimension
    by_recommender = {name for dims, name, _ in searches if "Recommender" in dims.split(",")}
    assert by_recommender == {"GateMetric", "GateMinimum", "GatePassed", "GateRejected"}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            (6, "metrics", 0, 0, "expression"),
            "SEARCH('{autopersonalize,DatasetGroup,Metric,Solution,service} "
            "MetricName=\"GateMetrics\"', 'Maximum', 3600)",
            "nothing emits GateMetrics",
        ),
        (
            (11, "metrics", 0, 0, "expression"),
            "SEARCH('{autopersonalize,Dataset,DatasetGroup,service} MetricName=\"RowsExported\"', 'Sum', 86400)",
            "nothing emits RowsExported with dimensions",
        ),
        ((4, "metrics", 0, 3), "ap-NoSuchFunction", "FunctionName ap-NoSuchFunction is not in the stack"),
        ((1, "metrics", 0, 1), "ExecutionsSucceded", "AWS/States has no ExecutionsSucceded"),
        ((10, "query"), "SOURCE '/aws/lambda/elsewhere' | fields @timestamp", "reads no log group of the stack"),
        (
            (8, "metrics", 0, 0, "expression"),
            "SEARCH('{autopersonalize,DatasetGroup,Metric,Recommender,Solution,service} "
            "MetricName=\"GateMetric\"', 'Maximum', 3600)",
            "nothing emits GateMetric with dimensions",
        ),
        (
            (9, "metrics", 0, 0, "expression"),
            "SEARCH('{autopersonalize,DatasetGroup,Recommender,service} MetricName=\"TrainingHours\"', 'Sum', 86400)",
            "nothing emits TrainingHours with dimensions",
        ),
    ],
)
def test_a_widget_on_a_metric_nobody_emits_is_found(
    template: Template, path: tuple[Any, ...], value: str, expected: str
) -> None:
    body = copy.deepcopy(body_of(template))
    widget_index, *keys = path
    target = body["widgets"][widget_index]["properties"]
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    assert any(expected in problem for problem in problems(body, template)), problems(body, template)


def test_the_log_table_names_only_fields_a_gate_line_carries(template: Template) -> None:
    body = copy.deepcopy(body_of(template))
    table = body["widgets"][10]["properties"]
    assert "recommenderArn" in table["query"] and problems(body, template) == []
    table["query"] = table["query"].replace("recommenderArn", "recommenderVersionArn")
    assert problems(body, template) == [
        "widget 10 (Gate metrics by solution version and recommender (each line's version or recommender ARN is a "
        "property, not a dimension)): no gate metric line has the field recommenderVersionArn"
    ]
