"""The `autopersonalize` command line: one small function per subcommand, registered in COMMANDS."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from autopersonalize import __version__, paths

if TYPE_CHECKING:
    from workflow.params import Params

EXIT_OK, EXIT_INVALID = 0, 1
# The import names of the `offline` extra (pyproject.toml): a command that misses one says which extra to install.
OFFLINE_MODULES = frozenset(
    {"moto", "awswrangler", "aws_lambda_powertools", "pydantic", "pydantic_core", "implicit", "numpy", "scipy"}
    | {"pandas", "pyarrow", "rich", "threadpoolctl"}
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
    ]
    return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts)


def demo(args: argparse.Namespace) -> int:
    """Run the whole pipeline offline on a generated data lake: export, train, gate, deploy, recommend."""
    from autopersonalize import commands

    return _guarded(lambda: commands.demo(as_json=args.json, verbose=args.verbose, seed=args.seed))


def run(args: argparse.Namespace) -> int:
    """Run the whole pipeline offline on your own CSV, parquet or JSON-lines files."""
    from autopersonalize import commands

    return _guarded(
        lambda: commands.run(
            args.interactions, args.items, args.users, args.map, args.params, as_json=args.json, verbose=args.verbose
        )
    )


def endpoint(args: argparse.Namespace) -> int:
    """Keep offline AWS running as a local endpoint (moto server) for the AWS CLI and boto3, optionally after a demo."""
    from autopersonalize import commands

    return _guarded(lambda: commands.endpoint(args.port, run_demo=args.demo))


def teardown(args: argparse.Namespace) -> int:
    """Delete every Personalize resource of a dataset group by running the stack's teardown state machine."""
    from autopersonalize import commands

    return _guarded(lambda: commands.teardown(args.dataset_group, args.prefix, args.endpoint_url))


def serve(args: argparse.Namespace) -> int:
    """Run the demo pipeline offline, then serve get_recommendations over HTTP on 127.0.0.1 until Ctrl-C."""
    from autopersonalize import commands

    return _guarded(lambda: commands.serve(args.port))


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


BENCHES = ("engine", "etl", "serving", "e2e")
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


def _guarded(action: Callable[[], int]) -> int:
    """User mistakes end with one clear line on stderr and exit 2, never a traceback."""
    from autopersonalize.errors import PipelineError

    try:
        return action()
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _output_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document and nothing else on stdout")
    parser.add_argument("--verbose", action="store_true", help="show the Lambdas' own logs")


def _demo_args(parser: argparse.ArgumentParser) -> None:
    _output_args(parser)
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data lake (default 7)")


def _run_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interactions", type=Path, required=True, metavar="FILE", help="interactions file")
    parser.add_argument("--items", type=Path, metavar="FILE", help="items file (optional)")
    parser.add_argument("--users", type=Path, metavar="FILE", help="users file (optional)")
    parser.add_argument("--map", default="", metavar="FIELD=col,...", help="e.g. USER_ID=userId,ITEM_ID=movieId")
    parser.add_argument("--params", type=Path, metavar="FILE", help="params file (default: the demo's, trimmed)")
    _output_args(parser)


def _endpoint_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (default 5000)")
    parser.add_argument("--demo", action="store_true", help="run the demo pipeline into it first")


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080)")


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


Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _validate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="params JSON files")
    parser.add_argument("--prefix", help="stack prefix: also check the derived Personalize names")
    parser.add_argument("--offline", action="store_true", help="also check what offline (run, demo) cannot train or do")


def _schema_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="print the params reference (docs/params.md)")


COMMANDS: dict[str, Command] = {
    "validate": (_validate_args, validate),
    "schema": (_schema_args, schema),
    "demo": (_demo_args, demo),
    "run": (_run_args, run),
    "endpoint": (_endpoint_args, endpoint),
    "serve": (_serve_args, serve),
    "teardown": (_teardown_args, teardown),
    "bench": (_bench_args, bench),
    "fetch-movielens": (_fetch_movielens_args, fetch_movielens),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autopersonalize", description="Automation for Amazon Personalize.")
    parser.add_argument("--version", action="version", version=f"autopersonalize {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (add_arguments, handler) in COMMANDS.items():
        sub = subcommands.add_parser(name, help=(handler.__doc__ or "").splitlines()[0])
        add_arguments(sub)
        sub.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `autopersonalize` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ModuleNotFoundError as error:
        missing = (error.name or "").partition(".")[0]
        if missing not in OFFLINE_MODULES:
            raise
        print(
            f"error: `autopersonalize {args.command}` needs the offline stack (no module {missing!r} here): "
            "pip install 'autopersonalize[offline]'",
            file=sys.stderr,
        )
        return 2
