"""The `autopersonalize` command line: one small function per subcommand, registered in COMMANDS."""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from autopersonalize import __version__, paths, ports
from autopersonalize.heap import frozen_heap

if TYPE_CHECKING:
    from workflow.params import Params

    from autopersonalize.run_params import RunParams
    from autopersonalize.userdata import RunPlan

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# The import names of the `offline` extra (pyproject.toml): a command that misses one says which extra to install.
OFFLINE_MODULES = frozenset(
    {"moto", "awswrangler", "aws_lambda_powertools", "pydantic", "pydantic_core", "implicit", "numpy", "scipy"}
    | {"pandas", "pyarrow", "rich", "threadpoolctl", "pg8000", "pymysql", "plotly", "narwhals"}
)


def validate(args: argparse.Namespace) -> int:
    """Check params files: an OK line per valid file; otherwise every problem, and exit 1."""
    results = [_validate_one(Path(name), args.prefix, args.offline) for name in args.files]
    return EXIT_OK if all(results) else EXIT_INVALID


def schema(args: argparse.Namespace) -> int:
    """Print the params JSON schema (== schemas/params.schema.json), or with --markdown the params reference."""
    paths.import_lambdas()  # `workflow` is deployed as Lambda code, not as part of this package
    from workflow.params import params_json_schema, params_reference_markdown

    if args.markdown:
        sys.stdout.write(params_reference_markdown())
    else:
        sys.stdout.write(json.dumps(params_json_schema(), indent=2) + "\n")
    return EXIT_OK


def _validate_one(path: Path, prefix: str | None, offline: bool = False) -> bool:
    from autopersonalize.errors import PipelineError
    from autopersonalize.run_params import check_file  # `run --params` checks with the same function

    try:
        checked = check_file(path, prefix, offline=offline)
    except PipelineError as error:
        return _fail(str(error))
    for warning in checked.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{path}: OK ({_summary(checked.params)})")
    return True


def _fail(message: str) -> bool:
    print(message, file=sys.stderr)
    return False


def _summary(params: Params) -> str:
    counts = [
        (len(params.datasets), "dataset"),
        (len(params.solutions), "solution"),
        (len(params.campaigns), "campaign"),
        (len(params.filters), "filter"),
        *([(len(params.recommenders), "recommender")] if params.recommenders else []),
    ]
    return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts)


def demo(args: argparse.Namespace) -> int:
    """Run the whole pipeline offline on a generated data lake: export, train, gate, deploy, recommend.

    Generates a seeded data lake, runs the Glue exports and the training state machine against offline AWS, and shows
    what was created, the offline metrics, the metrics gate's decision and recommendations. Exit 0 when the model is
    deployed or rejected by the gate, 1 when the run failed."""

    def action() -> int:
        with frozen_heap():  # the offline stack's imports too: they make about a million objects
            from autopersonalize import commands

            return commands.demo(as_json=args.json, verbose=args.verbose, seed=args.seed, history_path=args.history)

    return _guarded(action, as_json=args.json)


def run(args: argparse.Namespace) -> int:
    """Run the whole pipeline offline on your own CSV, parquet or JSON-lines files (or folders of parts).

    Your files are uploaded unchanged to the offline data lake and exported by the same Glue jobs that read a lake on
    AWS (IDs stay text, timestamps in any unit are converted, rows that cannot be conformed are rejected with their
    reason); then the training state machine imports, trains, gates and deploys, as in the demo. Bad arguments are
    reported before anything runs. Exit 0 when deployed or rejected by the gate, 1 when the workflow failed, 2 when
    the run could not start."""

    def action() -> int:
        plan = _plan(args)
        with frozen_heap():  # the offline stack (imported only once the inputs are known to be good) and the run
            from autopersonalize import commands

            return commands.run(plan, args.out, as_json=args.json, verbose=args.verbose, history_path=args.history)

    return _guarded(action, as_json=args.json)


def _plan(args: argparse.Namespace) -> RunPlan:
    """`run`'s (and `serve`'s) inputs checked and fitted, before the offline stack is imported: the files and their
    headers, the params as `validate --offline` checks them, the mapping of each file."""
    from autopersonalize import run_params, segment_inputs, userdata

    inputs = userdata.open_inputs(
        {"interactions": args.interactions, "items": args.items, "users": args.users},
        map=args.map,
        maps={"interactions": args.interactions_map, "items": args.items_map, "users": args.users_map},
        delimiter=args.delimiter,
        encoding=args.encoding,
        explode=args.explode,
        same_second=args.same_second_duplicates,
    )
    given = segment_inputs.parse_option(getattr(args, "segment_input", None))
    prepared = run_params.prepare(args.params, frozenset(inputs.files), given)
    for warning in prepared.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return userdata.plan(inputs, prepared, default_params=args.params is None)


def report(args: argparse.Namespace) -> int:
    """Draw the run history as one self-contained HTML page: runs, metrics per version against the gate, rows.

    A timeline of the runs (start, duration, outcome), each solution's offline metrics per trained version with the
    gate's minimums drawn in, and the rows each run's export wrote and rejected, as plotly charts inlined in FILE
    (it opens without a network). Offline, the history is what `demo` and `run` recorded (--history PATH, else
    AUTOPERSONALIZE_HISTORY, else history.jsonl in your data folder, ~/.local/share/autopersonalize); with no
    history yet, the demo runs first. With --aws, the runs of the deployed stack: the executions of <prefix>-training
    and what they published (your credentials and region, or --endpoint-url for `autopersonalize endpoint`)."""

    def action() -> int:
        from autopersonalize import history

        path = args.history or history.default_path()
        if args.clear_history:
            removed = history.clear(path)
            print(f"Cleared the run history {path}" if removed else f"No run history at {path}: nothing to clear")
            if args.html is None:
                return EXIT_OK
        if args.html is None:
            from autopersonalize.errors import PipelineError

            raise PipelineError("give --html FILE, the page to write (or --clear-history to empty the history)")
        return _report_html(args, path)

    return _guarded(action)


def _report_html(args: argparse.Namespace, path: Path) -> int:
    from autopersonalize import history, html_report
    from autopersonalize.errors import PipelineError

    html_report.check_writable(args.html)  # before the demo runs or AWS is read
    warnings: list[str] = []
    if args.aws or args.endpoint_url:
        records = history.read_aws(args.prefix, args.region, args.endpoint_url, args.limit)
        where = f"the executions of {args.prefix}-training" + (f" at {args.endpoint_url}" if args.endpoint_url else "")
        if not records:
            raise PipelineError(f"no finished run of {args.prefix}-training there yet: nothing to draw")
    else:
        found = history.read(path)
        if not found.records and found.lines:
            raise PipelineError(
                f"run history {path}: none of its {found.lines} lines is a run record ({found.warnings[0]}); "
                "empty it with `autopersonalize report --clear-history` or give another --history"
            )
        if not found.records:
            print(f"No run history at {path} yet: running the demo first (autopersonalize demo).", file=sys.stderr)
            with frozen_heap():
                from autopersonalize import commands

                commands.demo(history_path=path)
            found = history.read(path)
            if not found.records:
                raise PipelineError(f"the demo did not add its run to {path}: see the warning above")
        records, warnings, where = found.records, found.warnings, str(path)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
    html_report.write(args.html, html_report.render(records, where, warnings))
    print(f"Wrote {args.html}: {len(records)} run{'' if len(records) == 1 else 's'} from {where}")
    return EXIT_OK


def endpoint(args: argparse.Namespace) -> int:
    """Keep offline AWS running as a local endpoint (moto server) for the AWS CLI and boto3, optionally after a demo.

    Deploys the stack (template.yaml) into offline AWS on 127.0.0.1:PORT and keeps it up until Ctrl-C (exit 130).
    Any credentials work against it; its region is us-east-1."""

    def action() -> int:
        ports.ensure_free(args.port)  # before the offline stack is imported, and before the demo runs
        from autopersonalize import commands

        return commands.endpoint(args.port, run_demo=args.demo)

    return _guarded(action)


def teardown(args: argparse.Namespace) -> int:
    """Delete every Personalize resource of a dataset group by running the stack's teardown state machine.

    Runs <prefix>-teardown on AWS (the region and credentials of your environment) or, with --endpoint-url, against
    `autopersonalize endpoint` (region us-east-1 and any credentials, where none are set). A dataset group with
    nothing left to delete is an error (exit 2)."""
    from autopersonalize.teardown import teardown as tear_down

    return _guarded(lambda: tear_down(args.dataset_group, args.prefix, args.endpoint_url))


def serve(args: argparse.Namespace) -> int:
    """Run the pipeline offline (the demo's, or `run`'s on your files), then serve get_recommendations over HTTP.

    The same handler as the deployed HTTP API, on 127.0.0.1, on the campaigns the run deployed: the demo's without
    input files, else a run on your files with the same options as `run`. Each request is logged to stderr with its
    status and latency; Ctrl-C stops the server (exit 130)."""

    def action() -> int:
        ports.ensure_free(args.port)  # before the offline stack is imported, and before the pipeline runs
        files = any(getattr(args, name) for name in ("interactions", "items", "users"))
        plan = _plan(args) if files else None
        demo_params = _demo_with_params(args) if args.params and not files else None
        from autopersonalize import commands

        return commands.serve(args.port, plan, demo_params=demo_params)

    return _guarded(action)


def _demo_with_params(args: argparse.Namespace) -> RunParams:
    """`serve --params FILE` without data files: the demo's data through FILE (checked as `run` checks it; its
    datasets must be the demo's: interactions, items, users with the demo's columns)."""
    from autopersonalize import run_params, segment_inputs, userdata

    given = segment_inputs.parse_option(getattr(args, "segment_input", None))
    prepared = run_params.prepare(args.params, frozenset(userdata.DATASETS), given)
    for warning in prepared.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return prepared


def experiment(args: argparse.Namespace) -> int:
    """Read out an A/B experiment (report), promote its challenger, end it, or simulate one offline.

    report: per variant the users exposed, the events per type, the conversion rate with its confidence interval, and
    the verdict (challenger wins or loses, no difference, or not enough data yet with the users still needed), from
    the stack's experiments table (your credentials and region, or --endpoint-url for `autopersonalize endpoint`).
    promote: the champion campaign is updated to the challenger's version, then the challenger campaign and the
    experiment (its SSM parameter and counts) are deleted; end: the same without the update. simulate: a params file
    with one experiment runs offline on the demo's data, every simulated user is served once and clicks more often
    on items of the categories they prefer, and the report follows."""

    def action() -> int:
        from autopersonalize import experiment as experiments
        from autopersonalize.errors import PipelineError

        if args.action == "simulate":
            if args.params is None:
                raise PipelineError("experiment simulate needs --params FILE (a params file with one experiment)")
            with frozen_heap():
                return experiments.simulate(args.params, args.users, args.seed, args.json)
        if args.name is None:
            raise PipelineError(f"experiment {args.action} needs the experiment's NAME (params experiments[].name)")
        return experiments.act(args.action, args.name, args.dataset_group, args.prefix, args.endpoint_url, args.json)

    return _guarded(action, as_json=args.json)


def fetch_movielens(args: argparse.Namespace) -> int:
    """Download MovieLens latest-small from GroupLens into DEST/ml-latest-small (checksum-checked; not shipped here)."""
    from autopersonalize import movielens

    try:
        folder = movielens.fetch(args.dest, url=args.url)
    except movielens.FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"MovieLens latest-small is in {folder} ({movielens.LICENCE})")
    return EXIT_OK


BENCHES = ("engine", "fidelity", "etl", "serving", "e2e")
REPO_BENCH = paths.CHECKOUT / "bench"  # benchmarks are part of the repository, not of the installed package


def bench(args: argparse.Namespace) -> int:
    """Run benchmarks from bench/ (each prints ratios against baselines measured in the same run, then TARGET lines)."""
    import subprocess

    unknown = sorted(set(args.names) - set(BENCHES))
    if unknown:
        print(f"error: no benchmark {', '.join(unknown)}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    if not REPO_BENCH.is_dir():
        print("error: the benchmarks are in the repository's bench/, not in the installed package", file=sys.stderr)
        return 2
    for name in args.names or BENCHES:
        print(f"== bench/{name}.py", flush=True)
        subprocess.run([sys.executable, str(REPO_BENCH / f"{name}.py")], check=False)
    return EXIT_OK


def _guarded(action: Callable[[], int], *, as_json: bool = False) -> int:
    """User mistakes end with one clear line on stderr and exit 2, never a traceback; Ctrl-C ends with exit 130.
    With as_json (the command's --json), stdout also gets the outcome as a JSON document."""
    from autopersonalize.errors import PipelineError

    try:
        return action()
    except PipelineError as error:
        return _ended("ERROR", str(error), EXIT_USAGE, f"error: {error}", as_json=as_json)
    except KeyboardInterrupt:
        return _ended("INTERRUPTED", "interrupted", EXIT_INTERRUPTED, "interrupted", as_json=as_json)


def _ended(outcome: str, message: str, code: int, line: str, *, as_json: bool) -> int:
    """Say why the command ended: `line` on stderr; with --json, also {"outcome", "error", "exitCode"} on stdout."""
    print(line, file=sys.stderr)
    if as_json:
        print(json.dumps({"outcome": outcome, "error": message, "exitCode": code}, indent=2))
    return code


class UsageError(Exception):
    """An argparse error, raised instead of argparse's exit so `main` can also report it as JSON."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)


def _port(text: str, lowest: int = 1, lowest_means: str = "") -> int:
    """argparse type of --port: a TCP port number from `lowest` to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not lowest <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port number; give one from {lowest}{lowest_means} to 65535"
        )
    return port


def _port_or_any(text: str) -> int:
    """argparse type of serve's --port: 0 asks for any free port (the server says which)."""
    return _port(text, lowest=0, lowest_means=" (any free port)")


def _output_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document and nothing else on stdout")
    parser.add_argument("--verbose", action="store_true", help="show the Lambdas' own logs")


def _history_arg(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help=f"the run history file {verb} (default: AUTOPERSONALIZE_HISTORY, else "
        "~/.local/share/autopersonalize/history.jsonl)",
    )


def _demo_args(parser: argparse.ArgumentParser) -> None:
    _output_args(parser)
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data lake (default 7)")
    _history_arg(parser, "the run is added to")


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return number


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--html", type=Path, metavar="FILE", help="the page to write (one self-contained HTML file)")
    _history_arg(parser, "to draw")
    parser.add_argument("--clear-history", action="store_true", help="empty the run history (then draw, with --html)")
    on_aws = parser.add_argument_group("the deployed stack's runs instead of the local history")
    on_aws.add_argument("--aws", action="store_true", help="read the runs of the stack in your AWS account")
    on_aws.add_argument("--prefix", default="ap", help="the stack's Prefix parameter (default ap)")
    on_aws.add_argument("--region", help="the stack's region (default: your AWS configuration's)")
    on_aws.add_argument("--endpoint-url", help="an offline endpoint (autopersonalize endpoint) instead of AWS")
    on_aws.add_argument(
        "--limit", type=_positive, default=100, metavar="N", help="the newest N runs only (default 100)"
    )


def _fields_help() -> str:
    """The fields --map knows, per dataset, from the schemas in schemas/ (a params file may bring its own)."""
    lines = []
    for dataset in ("interactions", "items", "users"):
        schema = json.loads((paths.SCHEMAS / f"{dataset}.avsc").read_text(encoding="utf-8"))
        lines.append(f"  {dataset + ':':14}{', '.join(f['name'] for f in schema['fields'])}")
    return "\n".join([*lines, "  (or the fields of the schemas in --params)"])


def _run_args(parser: argparse.ArgumentParser) -> None:
    _input_args(parser, required=True)
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="keep the export's manifest, rejected rows and the report in DIR"
    )
    _output_args(parser)
    _history_arg(parser, "the run is added to")


def _same_second(text: str) -> str:
    policy, _, prefer = text.partition(":")
    if policy not in ("keep", "collapse", "refuse") or (prefer and policy != "collapse"):
        raise argparse.ArgumentTypeError(f"{text!r} is not keep, collapse, collapse:<event type> or refuse")
    return text


def _input_args(parser: argparse.ArgumentParser, required: bool) -> None:
    """The user's files and how to read them: `run`'s inputs, also `serve`'s."""
    files = parser.add_argument_group("your data (a file, or a folder of parts: .csv .tsv .jsonl .parquet, also .gz)")
    files.add_argument("--interactions", type=Path, required=required, metavar="PATH", help="the events to train on")
    files.add_argument("--items", type=Path, metavar="PATH", help="item metadata (optional)")
    files.add_argument("--users", type=Path, metavar="PATH", help="user metadata (optional)")
    mapping = parser.add_argument_group("column names, where yours differ from Personalize's fields", _fields_help())
    mapping.add_argument(
        "--map", default="", metavar="FIELD=col,...", help="for every file that has the column: USER_ID=userId,..."
    )
    for dataset in ("interactions", "items", "users"):
        mapping.add_argument(
            f"--{dataset}-map",
            default="",
            metavar="FIELD=col,...",
            help=f"for the {dataset} file only (wins over --map)",
        )
    reading = parser.add_argument_group("reading the files")
    reading.add_argument(
        "--delimiter",
        default="",
        metavar="CHAR",
        help="CSV delimiter: a character, or comma, semicolon, tab, pipe (default: detected from each header line)",
    )
    reading.add_argument("--encoding", default="utf-8", help="text encoding of CSV and JSON lines (default utf-8)")
    reading.add_argument(
        "--explode",
        default="",
        metavar="COLUMN",
        help="JSON lines interactions: one event per element of this "
        "list column, its keys as columns (OTTO sessions: --explode events)",
    )
    reading.add_argument(
        "--same-second-duplicates",
        default="keep",
        metavar="POLICY",
        type=_same_second,
        help="events of one (user, item) in one second under different event types (one action logged twice "
        "inflates the metrics): keep (default), collapse, collapse:<event type> (keep that one), or refuse",
    )
    parser.add_argument("--params", type=Path, metavar="FILE", help="params file (default: the demo's, trimmed)")
    parser.add_argument(
        "--segment-input",
        action="append",
        metavar="JOB=FILE",
        help="the input of the params' batch segment job JOB (JSON lines), put where its jobInput says (repeatable)",
    )


def _endpoint_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=_port, default=5000, help="port on 127.0.0.1 (default 5000)")
    parser.add_argument("--demo", action="store_true", help="run the demo pipeline into it first")


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=_port_or_any, default=8080, help="port on 127.0.0.1 (default 8080; 0 = any free port)"
    )
    _input_args(parser, required=False)


def _bench_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHES)} (default: all)")


def _fetch_movielens_args(parser: argparse.ArgumentParser) -> None:
    from autopersonalize.movielens import URL

    parser.add_argument("--dest", type=Path, default=Path("data"), metavar="DIR", help="target folder (default data)")
    parser.add_argument(
        "--url",
        default=URL,
        metavar="URL",
        help="the archive's URL, e.g. a mirror (the SHA-256 is checked all the same)",
    )


def _teardown_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset-group", required=True, help="dataset group name as in the params file")
    parser.add_argument("--prefix", default="ap", help="the stack's Prefix parameter (default ap)")
    parser.add_argument("--endpoint-url", help="an offline endpoint (autopersonalize endpoint) instead of AWS")


def _experiment_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("report", "promote", "end", "simulate"), help="what to do")
    parser.add_argument("name", nargs="?", metavar="NAME", help="the experiment's name (report, promote, end)")
    parser.add_argument("--dataset-group", help="the dataset group, when two run an experiment of that name")
    parser.add_argument("--prefix", default="ap", help="the stack's Prefix parameter (default ap)")
    parser.add_argument("--endpoint-url", help="an offline endpoint (autopersonalize endpoint) instead of AWS")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document")
    parser.add_argument("--params", type=Path, metavar="FILE", help="simulate: a params file with one experiment")
    parser.add_argument("--users", type=int, default=2000, help="simulate: users of the demo's data (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="simulate: seed of the users' order and clicks")


Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _validate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="params JSON files")
    parser.add_argument("--prefix", help="stack prefix: also check the derived Personalize names")
    parser.add_argument("--offline", action="store_true", help="also check what offline (run, demo) cannot train or do")


def _schema_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="print the params reference (docs/params.md)")


# `--help` examples per subcommand, each working as written from the repository root.
EXAMPLES: dict[str, str] = {
    "validate": """\
  autopersonalize validate params/demo.json
  autopersonalize validate --prefix ap params/*.json   # also checks the Personalize names the stack derives""",
    "schema": """\
  autopersonalize schema | diff - schemas/params.schema.json   # no output: the checked-in schema is current
  autopersonalize schema --markdown > params.md""",
    "demo": """\
  autopersonalize demo
  autopersonalize demo --json --seed 11 > demo.json   # the report as one JSON document""",
    "run": """\
  autopersonalize fetch-movielens --dest data
  autopersonalize run --interactions data/ml-latest-small/ratings.csv \\
    --map USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp
  autopersonalize run --interactions data/ml-latest-small/ratings.csv --items data/ml-latest-small/movies.csv \\
    --map USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp --items-map CATEGORY=genres --out runs/movielens
  autopersonalize run --interactions tests/fixtures/otto/train.jsonl --explode events \\
    --map USER_ID=session,ITEM_ID=aid,TIMESTAMP=ts,EVENT_TYPE=type   # 862 events: ends with the shortfall""",
    "report": """\
  autopersonalize report --html report.html   # the runs demo and run recorded (none yet: the demo runs first)
  autopersonalize report --html stack.html --aws --prefix ap --region eu-west-1   # the deployed stack's runs
  autopersonalize report --clear-history""",
    "endpoint": """\
  autopersonalize endpoint --port 5000 --demo
  # then, in another terminal (any credentials work; region us-east-1):
  aws --endpoint-url http://127.0.0.1:5000 --region us-east-1 personalize list-campaigns""",
    "serve": """\
  autopersonalize serve --port 8080   # the demo's campaigns
  autopersonalize serve --interactions data/ml-latest-small/ratings.csv \\
    --map USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp   # your own data, with run's options
  # then, in another terminal:
  curl 'http://127.0.0.1:8080/recommendations?userId=u00001&numResults=5'""",
    "teardown": """\
  autopersonalize teardown --dataset-group demo --prefix ap   # on AWS, in the stack's region
  autopersonalize teardown --dataset-group demo --endpoint-url http://127.0.0.1:5000   # after endpoint --demo""",
    "experiment": """\
  autopersonalize experiment simulate --params params/experiment.json   # offline: run, serve 2000 users, report
  autopersonalize experiment report personal-vs-popular --prefix ap   # on AWS, in the stack's region
  autopersonalize experiment report personal-vs-popular --json
  autopersonalize experiment promote personal-vs-popular   # the champion campaign takes the challenger's version""",
    "bench": """\
  autopersonalize bench engine
  autopersonalize bench   # all of them""",
    "fetch-movielens": """\
  autopersonalize fetch-movielens --dest data   # then data/ml-latest-small/ratings.csv""",
}

COMMANDS: dict[str, Command] = {
    "validate": (_validate_args, validate),
    "schema": (_schema_args, schema),
    "demo": (_demo_args, demo),
    "run": (_run_args, run),
    "report": (_report_args, report),
    "endpoint": (_endpoint_args, endpoint),
    "serve": (_serve_args, serve),
    "teardown": (_teardown_args, teardown),
    "experiment": (_experiment_args, experiment),
    "bench": (_bench_args, bench),
    "fetch-movielens": (_fetch_movielens_args, fetch_movielens),
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autopersonalize", description="Automation for Amazon Personalize.")
    parser.add_argument("--version", action="version", version=f"autopersonalize {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (add_arguments, handler) in COMMANDS.items():
        description = inspect.cleandoc(handler.__doc__ or "")
        examples = EXAMPLES.get(name)
        sub = subcommands.add_parser(
            name,
            help=description.splitlines()[0],
            description=description,
            epilog=f"examples (from the repository root):\n{examples}" if examples else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_arguments(sub)
        sub.set_defaults(handler=handler)
    return parser


def program() -> int:
    """The `autopersonalize` program (its console script and `python -m autopersonalize`): main() on sys.argv, whose
    exit code is returned for the process to end with. Before returning, the objects that exist are frozen, so the
    interpreter's last collections at shutdown skip them: after a demo, ~500,000 objects, whose scans kept the user
    waiting 1.5-2 s after the report. (main() leaves the heap as it was: the tests call it in one long process.)"""
    code = main()
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """The command line on `argv` (default: sys.argv); returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(arguments)
    except UsageError as error:  # argparse's usage, message and SystemExit(2), as always; with --json, the document too
        error.parser.print_usage(sys.stderr)
        line = f"{error.parser.prog}: error: {error.message}"
        raise SystemExit(_ended("ERROR", error.message, EXIT_USAGE, line, as_json="--json" in arguments)) from None
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ModuleNotFoundError as error:
        missing = (error.name or "").partition(".")[0]
        if missing not in OFFLINE_MODULES:
            raise
        message = (
            f"`autopersonalize {args.command}` needs the offline stack (no module {missing!r} here): "
            "pip install 'autopersonalize[offline]'"
        )
        return _ended("ERROR", message, EXIT_USAGE, f"error: {message}", as_json=getattr(args, "json", False))
