"""Fixes that make moto 5.2.5 run this project offline: in-process Lambdas, Glue scripts and workflows, SFN quirks.

Each patch touches a moto internal (hence the exact pin); `tests/functional/test_local_stack.py` and the e2e tests
cover them, so a moto upgrade fails loudly. Each patch's docstring or comment says which moto gap it closes.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import os
import runpy
import shutil
import sys
import tempfile
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaFunction
from moto.core import utils as moto_utils
from moto.events import models as events_models
from moto.glue import models as glue_models
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for as _original_boto_client_for
from moto.stepfunctions.parser.models import StepFunctionsParserBackend, stepfunctions_parser_backends

from autopersonalize import paths
from autopersonalize.local import iam, service_models

# Where Glue job scripts live offline: ScriptLocation's basename under the first of these folders that has it. Each
# offline_aws() starts from the repository's glue_jobs/; a deployed stack puts its own folder first.
REPO_GLUE_SCRIPTS = paths.GLUE_JOBS
GLUE_SCRIPTS_DIR: list[Path] = [REPO_GLUE_SCRIPTS]
# Called with (kind, name, phase, detail) as Lambdas and Glue jobs start and end: the CLI's live view listens here.
LISTENERS: list[Callable[[str, str, str, dict[str, Any]], None]] = []
# One botocore loader per process: each service's JSON model is parsed once, for boto3's clients (every
# offline_aws() session registers it) and for moto's response serialisers alike (moto makes a new loader per model);
# the sessions moto makes share it too (service_models).
SERVICE_MODELS = service_models.shared_loader()
_ENV_LOCK = threading.RLock()  # os.environ is process-global: handler calls are serialised
_installed = False


def _emit(kind: str, name: str, phase: str, detail: dict[str, Any] | None = None) -> None:
    for listener in LISTENERS:
        listener(kind, name, phase, detail or {})


class FakeLambdaContext:
    """Enough of the Lambda context object for powertools' `inject_lambda_context`."""

    def __init__(self, fn: LambdaFunction) -> None:
        self.function_name = fn.function_name
        self.function_version = fn.version
        self.invoked_function_arn = fn.function_arn
        self.memory_limit_in_mb = int(fn.memory_size)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.function_name}"
        self.log_stream_name = "offline"
        self._timeout_ms = int(fn.timeout) * 1000

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


@contextmanager
def _function_environment(env: dict[str, str]) -> Iterator[None]:
    """Set the function's variables for the call; afterwards put back the values that existed before and remove the
    ones that did not (one key at a time: mock.patch.dict would empty the whole environment for a moment, under the
    interpreter's other threads). Credentials must not outlive the call: a role's session token left behind would be
    sent with the operator's keys."""
    before = {key: os.environ[key] for key in env if key in os.environ}
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.update(before)
        for key in env.keys() - before.keys():
            os.environ.pop(key, None)


def _resolve_handler(fn: LambdaFunction) -> Callable[[Any, Any], Any]:
    module_name, _, func_name = str(fn.handler).rpartition(".")
    return getattr(importlib.import_module(module_name), func_name)  # type: ignore[no-any-return]


def _invoke_in_process(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    """Run the function's real handler in this process, with its Environment, and answer as the Lambda runtime does."""
    from moto import settings
    from moto.core.models import botocore_stubber

    credentials, session = iam.role_session(self.role, self.function_name, self.region, SERVICE_MODELS)
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
        "AWS_REGION": self.region,
        "AWS_DEFAULT_REGION": self.region,
        "_HANDLER": self.handler,
        **credentials,  # the function's own role, as the Lambda service provides it
        **{k: str(v) for k, v in (self.environment_vars or {}).items()},
    }
    if not botocore_stubber.enabled:  # server mode: the handler's own AWS calls go back to the moto server
        env["AWS_ENDPOINT_URL"] = os.environ.get("AWS_ENDPOINT_URL", f"http://127.0.0.1:{settings.moto_server_port()}")
    payload = json.loads(event) if isinstance(event, str) else (event or {})
    # Listeners are called under the lock too: one event at a time.
    with _ENV_LOCK, _function_environment(env), iam.as_default_session(session):
        _emit("lambda", self.function_name, "start", {"event": payload})
        try:
            result = _resolve_handler(self)(payload, FakeLambdaContext(self))
        except Exception as exc:  # the Lambda runtime's error payload: errorType becomes the ASL error name
            _emit("lambda", self.function_name, "fail", {"errorType": type(exc).__name__, "errorMessage": str(exc)})
            error = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return json.dumps(error), True, ""
        _emit("lambda", self.function_name, "end", {"result": result})
    return json.dumps(result), False, ""


_original_start_job_run = glue_models.FakeJob.start_job_run
_original_job_run_as_dict = glue_models.FakeJobRun.as_dict


def _script_path(script_location: str) -> Path:
    """The local file behind a ScriptLocation (a repo path or an s3:// URI): its basename under GLUE_SCRIPTS_DIR."""
    name = Path(script_location).name
    return next((d / name for d in GLUE_SCRIPTS_DIR if (d / name).exists()), GLUE_SCRIPTS_DIR[0] / name)


def _start_and_run_script(self: Any, *args: Any, **kwargs: Any) -> str:
    """Start the job run, then run the job's script in-process with Glue's `--key value` argv."""
    run_id: str = _original_start_job_run(self, *args, **kwargs)
    run = self.get_job_run(run_id)
    script = _script_path(self.command["ScriptLocation"])
    argv = [str(script), "--JOB_NAME", self.name, "--JOB_RUN_ID", run_id]
    for key, value in (run.arguments or {}).items():
        argv += [key, str(value)]
    staging = None
    if self.command.get("Name") == "glueetl":  # offline PySpark has no S3 connector (hadoop-aws): the Spark job
        staging = tempfile.mkdtemp(prefix="glue-spark-")  # stages S3 through a local folder, as its role (boto3)
        argv += ["--spark_io", f"local:{staging}"]
    _emit("glue", self.name, "start", {"arguments": run.arguments or {}})
    credentials, session = iam.role_session(self.role, f"glue-{self.name}", self.backend.region_name, SERVICE_MODELS)
    try:  # the job's own role, as Glue provides it
        with mock.patch.object(sys, "argv", argv), _function_environment(credentials), iam.as_default_session(session):
            runpy.run_path(str(script), run_name="__main__")
        run.status = "SUCCEEDED"
        _emit("glue", self.name, "end", {})
    except BaseException as exc:  # SystemExit too: a Glue job that exits non-zero has FAILED
        if isinstance(exc, SystemExit) and not exc.code:
            run.status = "SUCCEEDED"
            _emit("glue", self.name, "end", {})
        else:
            run.status, run.error_message = "FAILED", f"{type(exc).__name__}: {exc}"
            _emit("glue", self.name, "fail", {"errorMessage": run.error_message})
    finally:
        if staging:
            shutil.rmtree(staging, ignore_errors=True)
    return run_id


def _job_run_as_dict(self: Any) -> dict[str, Any]:
    data: dict[str, Any] = _original_job_run_as_dict(self)
    if getattr(self, "error_message", None):
        data["ErrorMessage"] = self.error_message
    return data


_original_start_execution = StepFunctionsParserBackend.start_execution


def _start_execution_with_name(
    self: Any,
    state_machine_arn: str,
    name: str | None = None,
    execution_input: str | None = None,
    trace_header: str | None = None,
) -> Any:
    """moto 5.2.5 gives executions without a name the ARN suffix `None`; AWS gives a UUID. And AWS refuses an input
    over 256 KB (StartExecution `input`: max 262144 in the service model; the Step Functions quotas page counts
    UTF-8 bytes); moto started it."""
    from moto.stepfunctions.exceptions import ValidationException

    if execution_input is not None and len(execution_input.encode("utf-8")) > 262_144:
        raise ValidationException(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length "
            "less than or equal to 262144"
        )
    start: Any = _original_start_execution  # moto annotates the optional arguments as plain str
    return start(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)


_original_send_to_targets = events_models.Rule.send_to_targets


def _send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
    """moto's rules cannot target Step Functions; AWS starts an execution with the event as input. So do we."""
    machine_targets = [t for t in self.targets if ":states:" in t["Arn"]]
    if machine_targets and self.event_pattern.matches_event(original_event):
        for target in machine_targets:
            _, _, _, region, account, _ = target["Arn"].split(":", 5)
            backend = stepfunctions_parser_backends[account][region]
            backend.start_execution(target["Arn"], str(uuid.uuid4()), json.dumps(original_event, default=str))
    others = [t for t in self.targets if t not in machine_targets]
    if others:
        saved, self.targets = self.targets, others
        try:
            _original_send_to_targets(self, original_event, transform_input)  # type: ignore[arg-type]
        finally:
            self.targets = saved


_original_parse = AmazonStateLanguageParser.parse


@functools.lru_cache(maxsize=64)
def _syntax_tree(definition: str) -> Any:
    return _original_parse(definition)[1]


def _parse_reusing_syntax_tree(definition: str) -> tuple[Any, Any]:
    """moto lexes and parses a definition with ANTLR at CreateStateMachine and again at every execution (~0.15 s for
    the training machine): parse each definition once, and build fresh evaluation components from its tree per call,
    so no execution shares state with another. A syntax error raises as before (errors are not cached)."""
    tree = _syntax_tree(definition)
    return Preprocessor().visit(tree), tree


_CLIENTS: dict[tuple[str, str, str, bool, str], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_MACHINE = threading.local()  # the role of the state machine whose Task is calling AWS on this thread


def _cached_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    """The interpreter's AWS client for a Task, signing as the state machine's role (moto's own signs with dummy
    keys, which IAM enforcement refuses). One per (credentials, region, service, mode, port): a new client per Task
    costs ~15 ms, 150 times per demo run; clients are thread-safe and moto intercepts per request."""
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port

    credentials, session = iam.role_session(str(getattr(_MACHINE, "role", "")), "states", region, SERVICE_MODELS)
    key = (credentials["AWS_ACCESS_KEY_ID"], region, service, bool(botocore_stubber.enabled), str(moto_server_port()))
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            model: Any = _original_boto_client_for(region, service, state_credentials)  # for its config and endpoint
            endpoint = None if botocore_stubber.enabled else model.meta.endpoint_url
            _CLIENTS[key] = session.client(service, region_name=region, config=model.meta.config, endpoint_url=endpoint)  # type: ignore[call-overload]
        return _CLIENTS[key]


def _as_machine_role(call: Callable[..., Any], env_position: int) -> Callable[..., Any]:
    """Wrap an interpreter function given the execution's Environment: its AWS calls sign as the machine's role."""

    @functools.wraps(call)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        env = kwargs.get("env", args[env_position] if len(args) > env_position else None)
        machine_arn = env.states.context_object.context_object_data["StateMachine"]["Id"]  # type: ignore[union-attr]
        _, _, _, region, account, _ = machine_arn.split(":", 5)
        backend = stepfunctions_parser_backends[account][region]
        saved, _MACHINE.role = getattr(_MACHINE, "role", ""), backend.describe_state_machine(machine_arn).roleArn
        try:
            return call(*args, **kwargs)
        finally:
            _MACHINE.role = saved

    return wrapper


def _install_client_cache() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_dynamodb

    for module in (lambda_eval_utils, state_task_service_dynamodb):
        module.boto_client_for = _cached_boto_client_for  # type: ignore[attr-defined]
    lambda_eval_utils.execute_lambda_function_integration = _as_machine_role(  # type: ignore[assignment]
        lambda_eval_utils.execute_lambda_function_integration, 0
    )
    dynamodb = state_task_service_dynamodb.StateTaskServiceDynamoDB
    dynamodb._eval_service_task = _as_machine_role(dynamodb._eval_service_task, 1)  # type: ignore[method-assign]


def install() -> None:
    """Install every patch once per process (idempotent)."""
    global _installed
    if _installed:
        return
    LambdaFunction._invoke_lambda = _invoke_in_process  # type: ignore[method-assign]
    glue_models.FakeJob.start_job_run = _start_and_run_script  # type: ignore[method-assign]
    glue_models.FakeJobRun.as_dict = _job_run_as_dict  # type: ignore[method-assign]
    StepFunctionsParserBackend.start_execution = _start_execution_with_name  # type: ignore[method-assign]
    events_models.Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign,assignment]
    AmazonStateLanguageParser.parse = staticmethod(_parse_reusing_syntax_tree)  # type: ignore[method-assign,assignment]
    _install_client_cache()
    iam.install()
    moto_utils._load_service_model = SERVICE_MODELS.load_service_model
    # The interpreter logs every caught state error (a Choice probing an absent path, a Catch) as a whole parse tree;
    # failures reach the user through the execution's error and cause instead.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    from autopersonalize.local import cloudwatch_dashboards, glue_workflow, jsonpath_cache, sfn_limits

    cloudwatch_dashboards.install()  # PutDashboard checks the name and the body as CloudWatch does
    glue_workflow.install()
    sfn_limits.install()  # Step Functions' 256 KB payload quota, as AWS enforces it
    jsonpath_cache.install()
    _installed = True
