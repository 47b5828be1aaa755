"""The pipeline commands of the CLI: `demo` and `run` (offline, end to end), with a live view or one JSON document."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from autopersonalize import console as view
from autopersonalize import history, pipeline, report, run_params, sample_data, userdata
from autopersonalize.errors import PipelineError
from autopersonalize.heap import frozen_heap
from autopersonalize.local import offline_aws
from autopersonalize.pipeline import RunResult, Source
from autopersonalize.run_params import RunParams
from autopersonalize.userdata import RunPlan

EXIT_OK, EXIT_FAILED = 0, 1
DEMO_SEED, DEMO_GROUP = 7, "demo"


def demo_params() -> dict[str, Any]:
    """params/demo.json with its schema files inline: what the demo's Glue workflow publishes."""
    return run_params.prepare(None, frozenset(userdata.DATASETS)).template


def demo_sources(seed: int, **sizes: int) -> dict[str, Source]:
    """The demo's lake tables; `sizes` (n_users, per_category) override sample_data.generate's defaults."""
    lake = sample_data.generate(seed=seed, **sizes)
    return {
        "interactions": Source(lake.interactions, sample_data.INTERACTIONS_MAPPING),
        "items": Source(lake.items, sample_data.ITEMS_MAPPING),
        "users": Source(lake.users, sample_data.USERS_MAPPING),
    }


def quiet_glue_output(verbose: bool) -> None:
    """The Glue scripts' summaries (CloudWatch lines on AWS) go to stderr with --verbose, nowhere otherwise."""
    glue_log = logging.getLogger("glue_jobs")
    glue_log.handlers[:] = [logging.StreamHandler(sys.stderr) if verbose else logging.NullHandler()]
    glue_log.setLevel(logging.INFO)
    glue_log.propagate = False


@contextlib.contextmanager
def _quiet_stdout(enabled: bool) -> Iterator[None]:
    """With --json, stdout carries the document only: everything else the run prints goes to stderr."""
    if not enabled:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield


def execute(
    sources: dict[str, Source],
    params_template: dict[str, Any],
    *,
    as_json: bool,
    verbose: bool,
    dataset_group: str,
    schemas: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    assumptions: Sequence[str] = (),
    out_dir: Path | None = None,
    job_inputs: dict[str, bytes] | None = None,
    source: str = "demo",
    history_path: Path | None = None,
) -> int:
    """Run the pipeline offline and show it (and keep its manifest, rejected rows and report in `out_dir`), and add
    its record to the run history (`history_path`, else history.default_path()) as `source` (demo, run); exit 0 on
    DEPLOYED or REJECTED, 1 otherwise."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "INFO" if verbose else "WARNING")
    quiet_glue_output(verbose)
    out = Console(stderr=as_json)
    with _quiet_stdout(as_json), frozen_heap(), offline_aws(progression="paced"):
        with view.live_view(out):
            result = pipeline.run(
                sources,
                params_template,
                dataset_group=dataset_group,
                schemas=schemas,
                settings=settings,
                job_inputs=job_inputs,
            )
        document = report.collect(result, assumptions)
        _add_to_history(history_path, result, document, source)
        if out_dir is not None:
            written = report.write_out(result, document, out_dir)
            out.print(f"Wrote {', '.join(str(path) for path in written)}")
        if not as_json:
            view.render_report(out, document)
    if as_json:
        print(json.dumps(document, indent=2, default=str))
    return EXIT_OK if document["outcome"] in ("DEPLOYED", "REJECTED") else EXIT_FAILED


def _add_to_history(path: Path | None, result: RunResult, document: dict[str, Any], source: str) -> None:
    """The run's record at the end of the history `report` draws; a history that cannot be written is a warning:
    the run itself went as the report shows."""
    target = path or history.default_path()
    record = history.record_of(result.execution, document["export"], source=source, dataset_group=result.dataset_group)
    try:
        history.append(target, record)
    except PipelineError as error:
        print(f"warning: {error}", file=sys.stderr)


def demo(as_json: bool = False, verbose: bool = False, seed: int = DEMO_SEED, history_path: Path | None = None) -> int:
    params = demo_params()
    return execute(
        demo_sources(seed),
        params,
        as_json=as_json,
        verbose=verbose,
        dataset_group=DEMO_GROUP,
        history_path=history_path,
    )


def _pipeline(
    out: Console, plan: RunPlan | None = None, demo_with: RunParams | None = None
) -> tuple[RunResult, dict[str, Any]]:
    """The demo pipeline (or `run`'s on the plan's files, or the demo's data through `demo_with`'s params) in the
    caller's offline AWS, shown live (Glue output quiet); the run and its document."""
    quiet_glue_output(verbose=False)
    with view.live_view(out):
        if plan is None and demo_with is not None:
            result = pipeline.run(
                demo_sources(DEMO_SEED),
                demo_with.template,
                dataset_group=demo_with.dataset_group,
                job_inputs=demo_with.job_inputs,
            )
        elif plan is None:
            result = pipeline.run(demo_sources(DEMO_SEED), demo_params(), dataset_group=DEMO_GROUP)
        else:
            sources, template = run_sources(plan), plan.template
            result = pipeline.run(
                sources,
                template,
                dataset_group=plan.dataset_group,
                schemas=plan.schemas,
                settings=plan.settings,
                job_inputs=plan.job_inputs,
            )
    return result, report.collect(result, plan.assumptions if plan else ())


def run_sources(plan: RunPlan) -> dict[str, Source]:
    """The plan's files as the export's sources, each with its mapping."""
    return {dataset: Source(mapping=plan.mappings[dataset], files=f) for dataset, f in plan.files.items()}


def run(
    plan: RunPlan,
    out_dir: Path | None = None,
    as_json: bool = False,
    verbose: bool = False,
    history_path: Path | None = None,
) -> int:
    """The pipeline on the user's files (checked and fitted by userdata.plan), as the demo runs on its lake."""
    return execute(
        run_sources(plan),
        plan.template,
        as_json=as_json,
        verbose=verbose,
        dataset_group=plan.dataset_group,
        schemas=plan.schemas,
        settings=plan.settings,
        assumptions=plan.assumptions,
        out_dir=out_dir,
        job_inputs=plan.job_inputs,
        source="run",
        history_path=history_path,
    )


def endpoint(port: int, run_demo: bool = False) -> int:
    """Serve offline AWS on 127.0.0.1:<port> with the stack deployed (and the demo run into it) until Ctrl-C."""
    import threading
    from functools import partial

    from autopersonalize.local.server import offline_endpoint
    from autopersonalize.local.stack import PARAMS_BY_HAND, deploy_stack

    out = Console()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request (hundreds per deploy)
    with offline_endpoint(port) as url:
        if run_demo:
            result, document = _pipeline(out)
            view.render_report(out, document)
            bucket = result.stack.bucket
        else:
            bucket = deploy_stack(parameters=PARAMS_BY_HAND).bucket
        say = partial(out.print, soft_wrap=True)  # commands to copy: never wrapped
        say(f"Offline AWS listening on [bold]{url}[/] (Ctrl-C to stop). Try:")
        say(f"  aws --endpoint-url {url} personalize list-campaigns")
        say(f"  aws --endpoint-url {url} stepfunctions list-state-machines")
        say(f"  aws --endpoint-url {url} s3 ls s3://{bucket}/ --recursive")
        say("  (any credentials work; region us-east-1)")
        threading.Event().wait()
    return EXIT_OK


def serve(port: int, plan: RunPlan | None = None, host: str = "127.0.0.1", demo_params: RunParams | None = None) -> int:
    """Run the demo pipeline offline (or `run`'s on the plan's files, or the demo's data through `demo_params`),
    then serve get_recommendations from the same process until Ctrl-C (which reaches the CLI as KeyboardInterrupt:
    exit 130). Requests are logged to stderr with their status and latency."""
    from autopersonalize import ports
    from autopersonalize.serve import function_environment, make_server, serve_until_stopped

    out = Console()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    _log_requests_to_stderr()
    with offline_aws(progression="immediate"):
        result, document = _pipeline(out, plan, demo_params)
        if document["outcome"] != "DEPLOYED":
            view.render_report(out, document)
            raise PipelineError(f"the pipeline ended {document['outcome']}: no campaign to serve")
        environment = function_environment(result.stack.name("GetRecommendationsFunction"))
        try:
            server = make_server(port, host, environ=environment, quiet=False)
        except OSError as error:  # taken while the pipeline ran (the CLI checked it first)
            raise PipelineError(ports.unavailable(port, host, error)) from None
        serve_until_stopped(server, announce=lambda line: out.print(line, soft_wrap=True))
    return EXIT_OK


def _log_requests_to_stderr() -> None:
    """The local server's one line per request (method, path, status, latency) goes to stderr; stdout stays the
    announcement's."""
    requests_log = logging.getLogger("autopersonalize.serve")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    requests_log.handlers[:] = [handler]
    requests_log.setLevel(logging.INFO)
    requests_log.propagate = False
