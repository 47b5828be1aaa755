"""The `autopersonalize` command line: one small function per subcommand, registered in COMMANDS."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

LAMBDAS = Path(__file__).resolve().parents[1] / "lambdas"
if str(LAMBDAS) not in sys.path:
    sys.path.insert(0, str(LAMBDAS))  # `workflow` is deployed as Lambda code, not as part of this package

from workflow.errors import InvalidParamsError  # noqa: E402
from workflow.params import Params, load_params, params_json_schema, params_reference_markdown  # noqa: E402

from autopersonalize import __version__  # noqa: E402

EXIT_OK, EXIT_INVALID = 0, 1


def validate(args: argparse.Namespace) -> int:
    """Check params files: an OK line per valid file; otherwise every problem, and exit 1."""
    results = [_validate_one(Path(name), args.prefix) for name in args.files]
    return EXIT_OK if all(results) else EXIT_INVALID


def schema(args: argparse.Namespace) -> int:
    """Print the params JSON schema (== schemas/params.schema.json), or with --markdown the params reference."""
    if args.markdown:
        sys.stdout.write(params_reference_markdown())
    else:
        sys.stdout.write(json.dumps(params_json_schema(), indent=2) + "\n")
    return EXIT_OK


def _validate_one(path: Path, prefix: str | None) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _fail(f"{path}: file not found; check the path")
    except IsADirectoryError:
        return _fail(f"{path}: is a directory; give params files, e.g. {path}/*.json")
    except UnicodeDecodeError:
        return _fail(f"{path}: not UTF-8 text; a params file is JSON")
    except OSError as error:
        return _fail(f"{path}: cannot be read: {error.strerror or error}")
    try:
        params = load_params(text, str(path), read_schema_file, prefix=prefix)
    except InvalidParamsError as error:
        return _fail(f"{path}: {error.problems[0]}" if len(error.problems) == 1 else str(error))
    for warning in params.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{path}: OK ({_summary(params)})")
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


def read_schema_file(location: str) -> str:
    """The CLI's schemaFile reader: local paths, and s3:// URIs with the caller's AWS credentials."""
    if not location.startswith("s3://"):
        return Path(location).read_text(encoding="utf-8")
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = location[5:].partition("/")
    try:
        return str(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
            raise FileNotFoundError(location) from error
        raise OSError(f"S3 refused: {error}") from error
    except BotoCoreError as error:
        raise OSError(f"S3 unreachable: {error}") from error


Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _validate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="params JSON files")
    parser.add_argument("--prefix", help="stack prefix: also check the derived Personalize names")


def _schema_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="print the params reference (docs/params.md)")


COMMANDS: dict[str, Command] = {
    "validate": (_validate_args, validate),
    "schema": (_schema_args, schema),
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
    return handler(args)
