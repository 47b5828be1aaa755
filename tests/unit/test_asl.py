"""The ASL files: moto's grammar accepts them, the state graph is sound, placeholders match template.yaml, and every
Task follows the naming chain (state -> handler module -> SAM function -> placeholder; error name -> errors class)."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from workflow import errors

REPO = Path(__file__).resolve().parents[2]
MACHINES = {"TrainingStateMachine": "training", "TeardownStateMachine": "teardown"}
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
BUILTIN_ERRORS = re.compile(r"^(States|Lambda|DynamoDB)\.")


def template() -> dict[str, Any]:
    return dict(cfn_yaml.loads((REPO / "template.yaml").read_text(), "template.yaml"))


def asl_text(name: str) -> str:
    return (REPO / "statemachine" / f"{name}.asl.json").read_text()


def substituted(text: str) -> str:
    def dummy(match: re.Match[str]) -> str:
        key = match.group(1)
        return f"arn:aws:lambda:us-east-1:123456789012:function:{key}" if key.endswith("Arn") else key

    return PLACEHOLDER.sub(dummy, text)


def walk(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, nested Map and Parallel states included."""
    for name, state in definition["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from walk(branch)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from walk(processor)


def graph_errors(definition: dict[str, Any], where: str = "root") -> list[str]:
    """Missing targets, unreachable states, states with neither Next nor End (Appendix F, layer 3)."""
    states, problems = definition["States"], []
    if definition["StartAt"] not in states:
        problems.append(f"{where}: StartAt {definition['StartAt']} missing")
    targets = {definition["StartAt"]}
    for name, state in states.items():
        nexts = [state.get("Next"), state.get("Default")]
        nexts += [c.get("Next") for c in state.get("Choices", []) + state.get("Catch", [])]
        for target in filter(None, nexts):
            targets.add(target)
            if target not in states:
                problems.append(f"{where}/{name}: target {target} missing")
        if state["Type"] not in ("Choice", "Succeed", "Fail") and not state.get("End") and not state.get("Next"):
            problems.append(f"{where}/{name}: neither Next nor End")
        for index, branch in enumerate(state.get("Branches", [])):
            problems += graph_errors(branch, f"{where}/{name}[{index}]")
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            problems += graph_errors(processor, f"{where}/{name}")
    return problems + [f"{where}/{n}: unreachable" for n in states if n not in targets]


def snake(state: str) -> str:
    return state.lower().replace(" ", "_")


def pascal(state: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in state.split())


def chain_errors(definition: dict[str, Any], resources: dict[str, Any]) -> list[str]:
    """Naming-chain problems of every Lambda Task (STYLE.md)."""
    problems = []
    for name, state in walk(definition):
        resource = state.get("Resource", "")
        match = PLACEHOLDER.fullmatch(resource) if state["Type"] == "Task" else None
        if state["Type"] == "Task" and not resource.startswith("arn:aws:states:::") and match is None:
            problems.append(f"{name}: Resource {resource!r} is neither a ${{...FunctionArn}} nor a service integration")
        if match is None:
            continue
        logical = f"{pascal(name)}Function"
        if match.group(1) != f"{logical}Arn":
            problems.append(f"{name}: placeholder ${{{match.group(1)}}}, expected ${{{logical}Arn}}")
        function = resources.get(logical, {}).get("Properties", {})
        if function.get("Handler") != f"workflow.handlers.{snake(name)}.handler":
            problems.append(f"{name}: template {logical} Handler {function.get('Handler')!r}")
        if function.get("CodeUri") != "lambdas/":
            problems.append(f"{name}: template {logical} CodeUri {function.get('CodeUri')!r}, expected lambdas/")
        try:
            module = importlib.import_module(f"workflow.handlers.{snake(name)}")
        except ModuleNotFoundError:
            problems.append(f"{name}: no module lambdas/workflow/handlers/{snake(name)}.py")
            continue
        if not callable(getattr(module, "handler", None)):
            problems.append(f"{name}: workflow.handlers.{snake(name)} has no handler")
    return problems


# "Handle transient Lambda service exceptions" (Step Functions developer guide, bp-lambda-serviceexception.html):
# retry these on every Lambda Task; TooManyRequestsException is the Lambda concurrency limit (same page).
LAMBDA_TRANSIENT = (
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


def walk_with_map(
    definition: dict[str, Any], around: dict[str, Any] | None = None
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """Every state with the Map state it runs in (None at the top level)."""
    for name, state in definition["States"].items():
        yield name, state, around
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from walk_with_map(processor, state)


def lambda_tasks(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    for name, state, around in walk_with_map(definition):
        if state["Type"] == "Task" and PLACEHOLDER.fullmatch(state.get("Resource", "")):
            yield name, state, around


def retrier_errors(definition: dict[str, Any]) -> list[str]:
    """Lambda Tasks without a retrier for every transient Lambda service error."""
    problems = []
    for name, state, _ in lambda_tasks(definition):
        retried = {error for rule in state.get("Retry", []) for error in rule["ErrorEquals"]}
        missing = [e for e in LAMBDA_TRANSIENT if e not in retried]
        if missing:
            problems.append(f"{name}: no Retry for {', '.join(missing)}")
    return problems


def catch_errors(definition: dict[str, Any]) -> list[str]:
    """What errors.py says of the ASL: each Lambda Task (or its Map) catches States.ALL; nothing named is retried."""
    problems = []
    for name, state, around in lambda_tasks(definition):
        catchers = state.get("Catch") or (around or {}).get("Catch", [])
        if not any(rule["ErrorEquals"] == ["States.ALL"] for rule in catchers):
            problems.append(f"{name}: neither the Task nor its Map catches States.ALL")
    for name, state in walk(definition):
        retried = {error for rule in state.get("Retry", []) for error in rule["ErrorEquals"]}
        problems += [f"{name}: retries {e}" for e in sorted(retried) if not re.match(r"^(Lambda|DynamoDB)\.", e)]
    return problems


def docstring_claims(module: Any, definition: dict[str, Any]) -> list[str]:
    """Classes whose docstring says the ASL retries or catches them, when no Retry/Catch names them."""
    named: dict[str, set[str]] = {"Retry": set(), "Catch": set()}
    for _, state in walk(definition):
        for kind, found in named.items():
            found.update(error for rule in state.get(kind, []) for error in rule["ErrorEquals"])
    problems = []
    for name, cls in vars(module).items():
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            continue
        doc = (cls.__doc__ or "").lower()
        if re.search(r"\bretr(y|ied|ies)\b", doc) and name not in named["Retry"]:
            problems.append(f"{name}: docstring claims a retry the ASL does not have")
        if re.search(r"\b(catch|caught)\b", doc) and "before any" not in doc and name not in named["Catch"]:
            problems.append(f"{name}: docstring claims a catch the ASL does not have")
    return problems


def error_name_errors(definition: dict[str, Any]) -> list[str]:
    names = {
        error
        for _, state in walk(definition)
        for rule in state.get("Retry", []) + state.get("Catch", [])
        for error in rule["ErrorEquals"]
    }
    custom = {n for n in names if not BUILTIN_ERRORS.match(n)}
    return [f"ErrorEquals {n}: no class {n} in workflow/errors.py" for n in sorted(custom) if not hasattr(errors, n)]


@pytest.mark.parametrize("machine", MACHINES.values())
def test_asl_parses_with_motos_grammar(machine: str) -> None:
    AmazonStateLanguageParser.parse(substituted(asl_text(machine)))


@pytest.mark.parametrize("machine", MACHINES.values())
def test_asl_graph_every_state_reachable_and_every_target_exists(machine: str) -> None:
    assert graph_errors(json.loads(asl_text(machine))) == []


@pytest.mark.parametrize(("logical_id", "machine"), MACHINES.items())
def test_asl_placeholders_match_definition_substitutions(logical_id: str, machine: str) -> None:
    used = set(PLACEHOLDER.findall(asl_text(machine)))
    given = set(template()["Resources"][logical_id]["Properties"]["DefinitionSubstitutions"])
    assert sorted(used - given) == [], "placeholders without a DefinitionSubstitutions entry"
    assert sorted(given - used) == [], "DefinitionSubstitutions entries the ASL does not use"


@pytest.mark.parametrize("machine", MACHINES.values())
def test_asl_tasks_follow_the_naming_chain(machine: str) -> None:
    assert chain_errors(json.loads(asl_text(machine)), template()["Resources"]) == []


@pytest.mark.parametrize("machine", MACHINES.values())
def test_asl_custom_error_names_are_classes_of_the_errors_module(machine: str) -> None:
    assert error_name_errors(json.loads(asl_text(machine))) == []


@pytest.mark.parametrize("machine", MACHINES.values())
def test_asl_every_lambda_task_retries_transient_lambda_service_errors(machine: str) -> None:
    assert retrier_errors(json.loads(asl_text(machine))) == []


@pytest.mark.parametrize("machine", MACHINES.values())
def test_asl_errors_module_docstring_matches_the_catches_and_retries(machine: str) -> None:
    definition = json.loads(asl_text(machine))
    assert "catches none of them by name and retries none of them" in " ".join(str(errors.__doc__).split())
    custom = {
        error
        for _, state in walk(definition)
        for rule in state.get("Retry", []) + state.get("Catch", [])
        for error in rule["ErrorEquals"]
        if not BUILTIN_ERRORS.match(error)
    }
    assert custom == set(), "errors.py says the ASL names none of its classes"
    assert catch_errors(definition) == []
    assert docstring_claims(errors, definition) == []


def test_asl_training_waits_read_their_seconds_from_the_state() -> None:
    waits = [s for _, s in walk(json.loads(asl_text("training"))) if s["Type"] == "Wait"]
    assert waits
    assert all(set(s) == {"Type", "SecondsPath", "Next"} for s in waits)


# The checks themselves must be able to fail.
def test_asl_graph_check_reports_a_dangling_next_and_an_unreachable_state() -> None:
    broken = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "C": {"Type": "Succeed"}}}
    assert graph_errors(broken) == ["root/A: target B missing", "root/C: unreachable"]


def test_asl_chain_check_reports_a_task_without_handler_or_function() -> None:
    definition = {
        "StartAt": "Do Magic",
        "States": {"Do Magic": {"Type": "Task", "Resource": "${DoMagicFunctionArn}", "End": True}},
    }
    assert chain_errors(definition, {}) == [
        "Do Magic: template DoMagicFunction Handler None",
        "Do Magic: template DoMagicFunction CodeUri None, expected lambdas/",
        "Do Magic: no module lambdas/workflow/handlers/do_magic.py",
    ]


def test_asl_error_check_reports_an_unknown_error_name() -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "End": True, "Catch": [{"ErrorEquals": ["NoSuchError", "States.ALL"]}]}},
    }
    assert error_name_errors(definition) == ["ErrorEquals NoSuchError: no class NoSuchError in workflow/errors.py"]


def test_asl_retrier_check_reports_a_lambda_task_without_the_timeout_retry() -> None:
    retry = [{"ErrorEquals": list(LAMBDA_TRANSIENT[1:]), "MaxAttempts": 6}]
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Task", "Resource": "${AFunctionArn}", "Retry": retry, "End": True}},
    }
    assert retrier_errors(definition) == ["A: no Retry for Lambda.ClientExecutionTimeoutException"]


def test_asl_catch_check_reports_an_uncaught_task_and_a_retried_custom_error() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "${AFunctionArn}",
                "Retry": [{"ErrorEquals": ["LockBusyError"]}],
                "End": True,
            },
        },
    }
    assert catch_errors(definition) == [
        "A: neither the Task nor its Map catches States.ALL",
        "A: retries LockBusyError",
    ]


def test_asl_docstring_check_reports_a_claimed_retry() -> None:
    import types

    class PendingError(Exception):
        """Not ready yet: retried by the ASL."""

    module = types.SimpleNamespace(PendingError=PendingError)
    assert docstring_claims(module, {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}) == [
        "PendingError: docstring claims a retry the ASL does not have"
    ]


def test_asl_docs_diagrams_are_generated_from_the_current_asl() -> None:
    from autopersonalize import diagram

    for path, machines in diagram.TARGETS.items():
        current = path.read_text()
        wanted = diagram.render(current, machines, path)
        assert wanted == current, f"{path} is stale: run python -m autopersonalize.diagram"


def test_asl_diagram_draws_choices_waits_maps_and_catches() -> None:
    from autopersonalize.diagram import mermaid

    definition = {
        "StartAt": "Go",
        "States": {
            "Go": {
                "Type": "Task",
                "Resource": "x",
                "Next": "Ready?",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Bad"}],
            },
            "Ready?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.r.ready", "BooleanEquals": True, "Next": "Each"}],
                "Default": "Wait For It",
            },
            "Wait For It": {"Type": "Wait", "SecondsPath": "$.s", "Next": "Go"},
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "End": True,
                "ItemProcessor": {"StartAt": "Do", "States": {"Do": {"Type": "Task", "Resource": "y", "End": True}}},
            },
            "Bad": {"Type": "Fail"},
        },
    }
    assert mermaid(definition).splitlines() == [
        "flowchart TD",
        "  start((start)) --> go",
        '  go["Go"]',
        '  ready{"Ready?"}',
        '  wait_for_it[/"Wait For It"/]',
        '  subgraph each["Each: one iteration per items"]',
        '    do["Do"]',
        "  end",
        '  bad(["Bad"])',
        "  go --> ready",
        '  go -.->|"States.ALL"| bad',
        '  ready -->|"r.ready == true"| each',
        "  ready -->|else| wait_for_it",
        "  wait_for_it --> go",
    ]


@pytest.mark.parametrize("machine", MACHINES.values())
def test_asl_passes_cfn_lint_state_machine_schema(machine: str) -> None:
    from cfnlint.api import ManualArgs, lint

    resource = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Definition": json.loads(substituted(asl_text(machine))),
        },
    }
    document = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Machine": resource}}
    assert [str(m) for m in lint(json.dumps(document), config=ManualArgs(regions=["us-east-1"]))] == []
