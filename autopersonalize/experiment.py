"""`autopersonalize experiment`: read out, promote or end an experiment of a deployed stack (on AWS, or against
`autopersonalize endpoint`), or `simulate` one offline end to end: a params file with an experiment runs on the
demo's data, simulated users are served and click, and the report says which variant won."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autopersonalize import paths
from autopersonalize.errors import PipelineError

EXIT_OK = 0
TABLE = "{prefix}-experiments"  # template.yaml's ExperimentsTable TableName
DEMO_SEED = 7


@contextmanager
def _environment(settings: dict[str, str]) -> Iterator[None]:
    """`settings` in os.environ (where the workflow's code reads PREFIX, the table, the endpoint), then as before."""
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _stack_settings(prefix: str, endpoint_url: str | None) -> dict[str, str]:
    """The deployed stack's names, and the caller's region (and an endpoint's credentials where none are set)."""
    from autopersonalize.teardown import ENDPOINT_CREDENTIALS, aws_session

    session = aws_session(endpoint_url)  # names a missing region
    settings = {"PREFIX": prefix, "EXPERIMENTS_TABLE": TABLE.format(prefix=prefix)}
    settings["AWS_DEFAULT_REGION"] = str(session.region_name)
    if endpoint_url:
        settings["AWS_ENDPOINT_URL"] = endpoint_url
        if session.get_credentials() is None:
            settings["AWS_ACCESS_KEY_ID"] = ENDPOINT_CREDENTIALS["aws_access_key_id"]
            settings["AWS_SECRET_ACCESS_KEY"] = ENDPOINT_CREDENTIALS["aws_secret_access_key"]
    return settings


def act(action: str, name: str, group: str | None, prefix: str, endpoint_url: str | None, as_json: bool) -> int:
    """report | promote | end the running experiment `name` of the stack `prefix`."""
    paths.import_lambdas()
    from workflow import experiment_verdict
    from workflow.errors import ResourceConflictError

    from autopersonalize.teardown import aws_errors

    try:
        with (
            aws_errors(f"experiment {action}", "run", endpoint_url),
            _environment(_stack_settings(prefix, endpoint_url)),
        ):
            document = experiment_verdict.find(name, group)
            readout = experiment_verdict.report(document)
            outcome = None
            if action == "promote":
                outcome = experiment_verdict.promote(document)
            elif action == "end":
                outcome = experiment_verdict.end(document)
    except ResourceConflictError as error:
        raise PipelineError(str(error)) from None
    show(readout, outcome, as_json)
    return EXIT_OK


def show(readout: dict[str, Any], outcome: dict[str, Any] | None, as_json: bool) -> None:
    if as_json:
        print(json.dumps({**readout, **({"outcome": outcome} if outcome else {})}, indent=2))
        return
    from rich.console import Console

    out = Console()
    render(out, readout)
    if outcome:
        version = outcome.get("solutionVersionArn")
        done = f"promoted: the champion campaign now deploys {version}" if version else "ended: the champion stays"
        out.print(f"{outcome['experiment']} {done}; the challenger campaign and the experiment's counts are deleted")


def simulate(params: Path, users: int, seed: int, as_json: bool) -> int:
    """Run `params` offline on the demo's data (`users` users), serve every user once through get_recommendations,
    let them click as experiment_sim says, and report the experiment."""
    from autopersonalize import commands, experiment_sim, run_params, sample_data, userdata
    from autopersonalize.local import offline_aws
    from autopersonalize.serve import function_environment, make_server

    prepared = run_params.prepare(params, frozenset(userdata.DATASETS))
    experiments = prepared.template.get("experiments") or []
    if len(experiments) != 1:
        raise PipelineError(f"{params}: simulate needs exactly one experiment in the params, found {len(experiments)}")
    experiment = experiments[0]
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    commands.quiet_glue_output(verbose=False)
    lake = sample_data.generate(seed=DEMO_SEED, n_users=users)
    with offline_aws("immediate"):
        result = _pipeline(commands, prepared, users)
        environment = function_environment(result.stack.name("GetRecommendationsFunction"))
        server = make_server(0, environ=environment)
        try:
            population = experiment_sim.Population.of(lake)
            rules = experiment_sim.Behaviour(conversion_event_type=experiment["conversionEventType"])
            campaign = f"{prepared.dataset_group}/{experiment['campaign']}"
            experiment_sim.run(server.invoke, campaign, sorted(population.prefers), population, rules, seed)
        finally:
            server.server_close()
        with _environment({key: environment[key] for key in ("PREFIX", "EXPERIMENTS_TABLE")}):
            paths.import_lambdas()
            from workflow import experiment_verdict

            readout = experiment_verdict.report(experiment_verdict.find(experiment["name"], prepared.dataset_group))
    show(readout, None, as_json)
    return EXIT_OK


def _pipeline(commands: Any, prepared: Any, users: int) -> Any:
    from autopersonalize import pipeline

    print(f"running the pipeline offline on the demo's data ({users} users)...", file=sys.stderr)
    result = pipeline.run(
        commands.demo_sources(DEMO_SEED, n_users=users),
        prepared.template,
        dataset_group=prepared.dataset_group,
        job_inputs=prepared.job_inputs,
    )
    if result.execution["status"] != "SUCCEEDED":
        raise PipelineError(f"the pipeline ended {result.execution['status']}: nothing to experiment on")
    return result


def render(out: Any, readout: dict[str, Any]) -> None:
    """The readout as a table per variant, then the verdict in a sentence."""
    from rich.table import Table

    title = f"Experiment {readout['experiment']} on {readout['datasetGroup']}/{readout['campaign']}"
    table = Table(title=f"{title} (round {readout['round']}, since {readout['startedAt']})", title_justify="left")
    for column in ("variant", "campaign", "users", readout["conversionEventType"], "rate", "95% interval", "events"):
        table.add_column(column, justify="right" if column in ("users", "rate") else "left")
    settings = readout["settings"]
    confidence = f"{(1 - settings['alpha']) * 100:g}% interval"
    table.columns[5].header = confidence
    for name, numbers in readout["variants"].items():
        low, high = numbers["interval"]
        rate = numbers["conversionRate"]
        events = ", ".join(f"{kind} {count}" for kind, count in numbers["events"].items()) or "-"
        campaign = readout["campaign"] if name == "champion" else readout["challenger"]["campaign"]
        shown = "-" if rate is None else f"{rate:.2%}"
        table.add_row(
            name, campaign, str(numbers["users"]), str(numbers["converted"]), shown, f"{low:.2%} - {high:.2%}", events
        )
    out.print(table)
    out.print(verdict_sentence(readout), soft_wrap=True)


def verdict_sentence(readout: dict[str, Any]) -> str:
    verdict, settings = readout["verdict"], readout["settings"]
    shown = "p < 0.001" if readout["pValue"] < 0.001 else f"p = {readout['pValue']:.3f}"
    test = f"{shown} at alpha {settings['alpha']:g}"
    if verdict == "not enough data":
        missing = readout["usersStillNeeded"]
        if missing is None:
            kind = readout["conversionEventType"]
            return f"Verdict: not enough data yet: the champion has no {kind} yet to size the test on"
        return (
            f"Verdict: not enough data yet ({test}): {missing['champion']} more champion and {missing['challenger']} "
            f"more challenger users are needed to detect a {settings['minimumDetectableEffect']:.0%} change with "
            f"power {settings['power']:g}"
        )
    return f"Verdict: {verdict} ({test})"
