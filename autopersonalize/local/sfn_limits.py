"""Step Functions' payload quota, enforced offline as AWS enforces it (moto 5.2.5 checks part of it, and softly).

AWS ("Step Functions service quotas", https://docs.aws.amazon.com/step-functions/latest/dg/limits.html): the maximum
input or output size for a task, state, or execution is 262,144 bytes of data as a UTF-8 encoded string; the history
event fields say "Maximum length of 262144" (API_StateEnteredEventDetails, API_StateExitedEventDetails).
"Handling errors in Step Functions workflows" (concepts-error-handling.html) names the error and when it is raised:
States.DataLimitExceeded when a connector's output, a state's output, or a state's input after Parameters processing
is larger than the quota; it is terminal and States.ALL does not catch it (nor States.Runtime errors).

What moto's interpreter does and what this module changes:
- moto checks a state's output and a task's result, but fails at exactly 262,144 bytes (`<`, not `<=`), measures
  `json.dumps` with spaces and ASCII escapes, and for a Lambda task the whole Invoke response around the payload;
  here the payload itself is measured, as compact JSON in UTF-8.
- moto never checks a state's input after `Parameters` (Task, Pass, Parallel, Map) or a Map's `ItemSelector` (the
  Map form of Parameters): both are checked here, with AWS's cause text "provided parameters with a size exceeding...".
- moto's States.ALL matches every error; here it does not match States.DataLimitExceeded or States.Runtime.
- moto turns a Map iteration's `States.*` error into States.Runtime ("Custom Error Names MUST NOT begin with the prefix
  'States.'"); here the Map fails with the iteration's error, as on AWS.
"""

from __future__ import annotations

import json
from typing import Any

from moto.stepfunctions.parser import quotas
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.parargs import Parargs
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.state_map import item_selector
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.encoding import _DateTimeEncoder

MAX_PAYLOAD_BYTES = 262_144  # "262,144 bytes of data as a UTF-8 encoded string"
DATA_LIMIT_EXCEEDED = StatesErrorNameType.StatesStatesDataLimitExceeded.to_name()
# "[States.ALL] can't catch the States.DataLimitExceeded terminal error type and runtime error types."
NOT_MATCHED_BY_ALL = frozenset({DATA_LIMIT_EXCEEDED, StatesErrorNameType.StatesRuntime.to_name()})
_installed = False


def payload_bytes(value: Any) -> int:
    """The size Step Functions counts: the payload (a JSON value) as compact JSON text, encoded in UTF-8."""
    text = json.dumps(value, cls=_DateTimeEncoder, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8"))


def is_within_size_quota(value: Any) -> bool:
    """True up to and including 262,144 bytes (moto's own check fails at exactly 262,144)."""
    return payload_bytes(value) <= MAX_PAYLOAD_BYTES


def data_limit_exceeded(env: Environment, cause: str) -> FailureEventException:
    """The terminal error Step Functions raises for an oversized payload."""
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesStatesDataLimitExceeded),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]  # moto's TypedDict lists every event kind
                taskFailedEventDetails=TaskFailedEventDetails(error=DATA_LIMIT_EXCEEDED, cause=cause)
            ),
        )
    )


def _check_parameters(env: Environment) -> None:
    """After Parameters (or ItemSelector) processing, the state's new input must fit the quota."""
    if not is_within_size_quota(env.stack[-1]):
        raise data_limit_exceeded(
            env,
            f"The state/task '{env.next_state_name}' provided parameters with a size exceeding the maximum number "
            "of bytes service limit.",
        )


_original_parargs_eval = Parargs._eval_body
_original_item_selector_eval = item_selector.ItemSelector._eval_body
_original_error_equals_eval = error_equals_decl.ErrorEqualsDecl._eval_body
_original_lambda_result_check = state_task_lambda.StateTaskLambda._verify_size_quota


def _parargs_eval(self: Parargs, env: Environment) -> None:
    _original_parargs_eval(self, env)
    _check_parameters(env)


def _item_selector_eval(self: item_selector.ItemSelector, env: Environment) -> None:
    _original_item_selector_eval(self, env)
    _check_parameters(env)


def _lambda_result_check(self: state_task_lambda.StateTaskLambda, env: Environment, value: Any) -> None:
    """A Lambda task's result is its payload (moto measured the whole Invoke response around it)."""
    payload = value.get("Payload") if isinstance(value, dict) and "Payload" in value else value
    _original_lambda_result_check(self, env, payload)


def _error_equals_eval(self: error_equals_decl.ErrorEqualsDecl, env: Environment) -> None:
    """States.ALL matches every error but the terminal ones; named errors match as before."""
    error: ErrorName = env.stack[-1]
    if error.error_name in NOT_MATCHED_BY_ALL and not any(n.error_name == error.error_name for n in self.error_names):
        env.stack.pop()
        env.stack.append(False)
        return
    _original_error_equals_eval(self, env)


def _iteration_error_name(error_name: str | None) -> ErrorName:
    """A failed Map iteration's error, for the Map state: a `States.*` name keeps its kind (moto raised ValueError)."""
    if error_name is not None and error_name.startswith("States."):
        return StatesErrorName.from_name(error_name)
    return CustomErrorName(error_name=error_name)


def install() -> None:
    """Install the checks once per process (idempotent)."""
    global _installed
    if _installed:
        return
    for module in (quotas, state_module, state_task_lambda, state_task_service):
        module.is_within_size_quota = is_within_size_quota  # type: ignore[attr-defined]
    Parargs._eval_body = _parargs_eval  # type: ignore[method-assign]
    item_selector.ItemSelector._eval_body = _item_selector_eval  # type: ignore[method-assign]
    error_equals_decl.ErrorEqualsDecl._eval_body = _error_equals_eval  # type: ignore[method-assign]
    state_task_lambda.StateTaskLambda._verify_size_quota = _lambda_result_check  # type: ignore[method-assign]
    iteration_worker.CustomErrorName = _iteration_error_name  # type: ignore[attr-defined,misc,assignment]
    _installed = True
