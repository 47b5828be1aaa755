"""A user's own files for `autopersonalize run`: what kind each is, its columns, and the mapping that fits it.

Nothing here reads or converts the data: `run` uploads each file (or folder of parts) to the offline data lake as it
is, and the same Glue export that reads a lake on AWS reads it, with one set of conformance rules. This module only
looks at the header (the first line, a parquet footer, the first JSON record), to refuse a bad argument before
anything heavy runs, with the CLI's own option names in the message.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from autopersonalize import paths
from autopersonalize.errors import PipelineError

if TYPE_CHECKING:
    from autopersonalize.run_params import RunParams

DATASETS = ("interactions", "items", "users")
DEFAULT_EVENT_TYPE = "interaction"  # the interactions schema's EVENT_TYPE is required: filled in when there is none
# file name endings -> the export's --source_type (a .gz CSV or JSON lines file is read compressed, as on S3)
KINDS = {
    ".csv": "s3_csv",
    ".tsv": "s3_csv",
    ".txt": "s3_csv",
    ".jsonl": "s3_jsonl",
    ".ndjson": "s3_jsonl",
    ".json": "s3_jsonl",
    ".parquet": "s3_parquet",
    ".pq": "s3_parquet",
}
KIND_NAMES = {"s3_csv": "CSV", "s3_jsonl": "JSON lines", "s3_parquet": "parquet"}


@dataclass(frozen=True)
class UserFile:
    """One dataset's input as the user gave it: the files (one, or a folder's parts), and how the export reads them."""

    dataset: str
    given: Path  # the path on the command line, for messages
    files: tuple[Path, ...]
    source_type: str  # s3_csv | s3_jsonl | s3_parquet
    columns: tuple[str, ...]  # as the export will see them (after --explode for JSON lines)
    delimiter: str = ""  # CSV only: given or detected
    encoding: str = "utf-8"
    explode: str = ""

    @property
    def source_options(self) -> str:
        """The stack's <Dataset>SourceOptions parameter: how the export reads these files."""
        options = {"delimiter": _delimiter_name(self.delimiter), "encoding": self.encoding, "explode": self.explode}
        if self.source_type != "s3_csv":
            options.pop("delimiter")
        if self.encoding == "utf-8":
            options.pop("encoding")
        return ",".join(f"{key}={value}" for key, value in options.items() if value)

    def relative_names(self) -> list[tuple[Path, str]]:
        """(file, name under the lake prefix): a folder's parts keep their relative paths."""
        if self.given.is_dir():
            return [(f, f.relative_to(self.given).as_posix()) for f in self.files]
        return [(self.given, self.given.name)]


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(delimiter, delimiter)


@dataclass(frozen=True)
class RunInputs:
    """What `run` (and `serve`) were given: one UserFile per dataset, the mappings (--map for every file, and
    --<dataset>-map per file)."""

    files: dict[str, UserFile]
    map: str = ""
    maps: dict[str, str] = dataclasses.field(default_factory=dict)
    same_second: str = "keep"  # the stack's InteractionsSameSecondDuplicates


def open_inputs(
    files: dict[str, Path | None],
    *,
    map: str = "",
    maps: dict[str, str] | None = None,
    delimiter: str = "",
    encoding: str = "utf-8",
    explode: str = "",
    same_second: str = "keep",
) -> RunInputs:
    """Inspect every given file (interactions required); --explode applies to the interactions file."""
    opened = {}
    for dataset, path in files.items():
        if path is not None:
            options = {"explode": explode} if dataset == "interactions" else {}
            opened[dataset] = open_user_file(dataset, path, delimiter=delimiter, encoding=encoding, **options)
    if "interactions" not in opened:
        raise PipelineError("--interactions FILE is required: the events (user, item, time) to train on")
    for dataset, text in (maps or {}).items():
        if text and dataset not in opened:
            raise PipelineError(f"--{dataset}-map {text}: no --{dataset} file was given to map")
    return RunInputs(opened, map, dict(maps or {}), same_second)


def open_user_file(
    dataset: str, path: Path, *, delimiter: str = "", encoding: str = "utf-8", explode: str = ""
) -> UserFile:
    """Inspect `path` (a file or a folder of parts) given for `dataset`; PipelineError names the option and the file."""
    option = f"--{dataset}"
    if not path.exists():
        raise PipelineError(f"{option} {path}: no such file or folder")
    files = _data_files(path) if path.is_dir() else (path,)
    if not files:
        raise PipelineError(f"{option} {path}: the folder has no data files (CSV, JSON lines or parquet parts)")
    kinds = {_kind(f, option) for f in files}
    if len(kinds) > 1:
        found = ", ".join(sorted(KIND_NAMES[k] for k in kinds))
        raise PipelineError(f"{option} {path}: the folder mixes {found} files; a folder is one table of one format")
    kind = kinds.pop()
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise PipelineError(f"--encoding {encoding!r}: unknown encoding (e.g. utf-8, latin-1, cp1252)") from None
    if explode and kind != "s3_jsonl":
        raise PipelineError(f"--explode {explode}: {path} is {KIND_NAMES[kind]}; --explode applies to JSON lines")
    if kind == "s3_parquet":
        columns = _parquet_columns(files[0], option)
        return UserFile(dataset, path, files, kind, columns)
    for part in files:
        _check_decodes(part, option, codec)
    if kind == "s3_jsonl":
        columns = _json_columns(files[0], option, codec, explode)
        return UserFile(dataset, path, files, kind, columns, encoding=codec, explode=explode)
    found = ""
    columns = ()
    for part in files:  # every part of a folder is one table: the same header, by the same delimiter
        header = _first_line(part, option, codec)
        found = delimiter or found or _job_io().detect_delimiter(header)
        part_columns = tuple(next(csv.reader([header], delimiter=found), []))
        if columns and part_columns != columns:
            raise PipelineError(
                f"{option} {path}: {part.name} has the columns {list(part_columns)}, the other parts "
                f"{list(columns)}; the parts of a folder must share one header"
            )
        columns = part_columns
    if len(columns) == 1 and not delimiter:
        raise PipelineError(
            f"{option} {path}: the header {columns[0]!r} has one column and no delimiter among , ; tab |; "
            "give it with --delimiter"
        )
    return UserFile(dataset, path, files, kind, columns, delimiter=found, encoding=codec)


def _job_io() -> Any:
    """The Glue jobs' boto3-only helpers (one delimiter detection for `run` and for the export on AWS)."""
    paths.import_glue_jobs()
    import job_io

    return job_io


def _data_files(folder: Path) -> tuple[Path, ...]:
    """The folder's files, in name order and in subfolders too; names starting with _ or . (_SUCCESS, .crc) are not
    data, as for Spark, Hive and the export."""
    return tuple(
        sorted(
            f
            for f in folder.rglob("*")
            if f.is_file() and not any(part.startswith(("_", ".")) for part in f.relative_to(folder).parts)
        )
    )


def _kind(path: Path, option: str) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
        if suffixes and KINDS.get(suffixes[-1]) == "s3_parquet":
            suffixes = []
    kind = KINDS.get(suffixes[-1]) if suffixes else None
    if kind is None:
        known = ", ".join(KINDS)
        raise PipelineError(
            f"{option} {path}: unknown file type; name it by its format ({known}, or .csv.gz/.jsonl.gz)"
        )
    return kind


def _open_text(path: Path, encoding: str) -> IO[str]:
    codec = "utf-8-sig" if encoding == "utf-8" else encoding  # a byte order mark is not part of the first name
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rt", encoding=codec, newline="")
    return path.open(encoding=codec, newline="")


def _check_decodes(path: Path, option: str, encoding: str) -> None:
    """Every byte decodes in `encoding` (about 1 s per GB): a file that does not is refused here, with the line and
    what to pass, before anything runs, rather than by the export after the stack is up."""
    decoder = codecs.getincrementaldecoder("utf-8-sig" if encoding == "utf-8" else encoding)()
    line = 1
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as data:
            while block := data.read(1 << 22):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as error:
                    line += error.object.count(b"\n", 0, error.start)  # the decoder's pending bytes, then block
                    byte = error.object[error.start]
                    raise PipelineError(
                        f"{option} {path}: line {line} is not {encoding} text (byte 0x{byte:02x}); give the file's "
                        "encoding with --encoding (e.g. --encoding latin-1 or cp1252) or save it as UTF-8"
                    ) from None
                line += block.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise PipelineError(f"{option} {path}: the file ends inside a {encoding} character; is it cut short?") from None
    except (OSError, EOFError) as error:
        raise PipelineError(f"{option} {path}: cannot be read ({error})") from None


def _first_line(path: Path, option: str, encoding: str) -> str:
    try:
        with _open_text(path, encoding) as text:
            line = text.readline().rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise PipelineError(
            f"{option} {path}: the header is not {encoding} text (byte 0x{error.object[error.start]:02x}); "
            "give the file's encoding with --encoding (e.g. --encoding latin-1) or save it as UTF-8"
        ) from None
    except (OSError, EOFError) as error:
        raise PipelineError(f"{option} {path}: cannot be read ({error})") from None
    if not line.strip():
        raise PipelineError(f"{option} {path}: the first line is empty; a CSV file starts with its header")
    return line


def _json_columns(path: Path, option: str, encoding: str, explode: str) -> tuple[str, ...]:
    """The columns of the first record (with --explode, of its first element too), named as the export names them."""
    try:
        with _open_text(path, encoding) as text:
            first = next((line for line in text if line.strip()), "")
    except UnicodeDecodeError as error:
        raise PipelineError(
            f"{option} {path}: line 1 is not {encoding} text (byte 0x{error.object[error.start]:02x}); give the "
            "file's encoding with --encoding or save it as UTF-8"
        ) from None
    if not first:
        raise PipelineError(f"{option} {path}: the file has no records")
    try:
        record = json.loads(first)
    except json.JSONDecodeError as error:
        raise PipelineError(f"{option} {path}: the first record is not JSON ({error.msg}); is it JSON lines?") from None
    if not isinstance(record, dict):
        raise PipelineError(f"{option} {path}: the first record is not a JSON object; JSON lines has one per line")
    columns = list(_flat_names(record))
    if explode:
        if explode not in columns or not isinstance(record.get(explode), list):
            raise PipelineError(
                f"--explode {explode}: the first record of {path} has no list {explode!r} (keys: {', '.join(record)})"
            )
        columns.remove(explode)
        element = next((e for e in record[explode] if e is not None), None)
        inner = list(_flat_names(element)) if isinstance(element, dict) else [explode]
        columns += [f"{explode}.{c}" if c in columns and c != explode else c for c in inner]
    return tuple(columns)


def _flat_names(record: dict[str, Any], prefix: str = "") -> list[str]:
    names: list[str] = []
    for name, value in record.items():
        names += _flat_names(value, f"{prefix}{name}.") if isinstance(value, dict) else [f"{prefix}{name}"]
    return names


def _parquet_columns(path: Path, option: str) -> tuple[str, ...]:
    import pyarrow.parquet as pq

    try:
        return tuple(pq.read_schema(path).names)
    except (OSError, ValueError) as error:  # pyarrow.ArrowInvalid is a ValueError
        raise PipelineError(f"{option} {path}: not a parquet file ({error})") from None


# ---------------------------------------------------------------- the mapping


def parse_map(option: str, text: str, fields: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """`FIELD=column,...` pairs of `option`; every FIELD must be a field of one of the `fields` (dataset -> names)."""
    known = sorted({name for names in fields.values() for name in names})
    pairs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        field, sep, column = (s.strip() for s in part.partition("="))
        if not sep or not field or not column:
            raise PipelineError(f"{option}: {part!r} is not FIELD=column (e.g. USER_ID=userId,ITEM_ID=movieId)")
        if field not in known:
            raise PipelineError(f"{option}: {field!r} is not a field; the fields are {', '.join(known)}")
        pairs.append((field, column))
    return pairs


def mapping_for(
    user_file: UserFile,
    fields: dict[str, bool],
    shared: list[tuple[str, str]],
    own: list[tuple[str, str]],
    filled: frozenset[str] = frozenset(),
    constants: dict[str, Any] | None = None,
) -> str:
    """The export's --mapping for one file: `own` (its --<dataset>-map) wins over `shared` (--map), whose pairs apply
    where the file has the column. `fields` are the dataset's schema fields (name -> required); `filled` are
    fields the run fills with a constant when the file has no column (EVENT_TYPE); `constants`, the params'
    datasets[].fill, are fields the file must not have a column for. Every other required field needs a column."""
    option = f"--{user_file.dataset}-map"
    columns = set(user_file.columns)
    mapping = {f: c for f, c in shared if f in fields and c in columns}
    for field, column in own:
        if field not in fields:
            raise PipelineError(
                f"{option}: {field} is not a field of {user_file.dataset}; they are {', '.join(fields)}"
            )
        if column not in columns:
            raise PipelineError(
                f"{option} {field}={column}: {user_file.given} has no column {column!r}; its columns are "
                f"{', '.join(user_file.columns)}"
            )
        mapping[field] = column
    for field, value in (constants or {}).items():
        if mapping.get(field, field) in columns:
            raise PipelineError(
                f"{user_file.dataset}: the params give {field} the constant {json.dumps(value)} "
                f"(datasets[{user_file.dataset.title()}].fill), but {user_file.given} has the column "
                f"{mapping.get(field, field)!r} for it; remove the constant from the params to export the column, or "
                f"the column from --map/{option} to export the constant"
            )
    for field, required in fields.items():
        if (
            required
            and field not in filled
            and field not in (constants or {})
            and mapping.get(field, field) not in columns
        ):
            raise PipelineError(
                f"{user_file.dataset}: {user_file.given} has no column for {field}; its columns are "
                f"{', '.join(user_file.columns)}. Name it with --map {field}=<column> "
                f"(or --{user_file.dataset}-map {field}=<column> for this file alone)"
            )
    return ",".join(f"{field}={column}" for field, column in mapping.items())


def schema_fields(schema_text: str) -> dict[str, bool]:
    """An Avro schema's fields: name -> required (a union with null is optional)."""
    schema = json.loads(schema_text)
    return {f["name"]: not (isinstance(f["type"], list) and "null" in f["type"]) for f in schema.get("fields", [])}


def fit_default_schema(
    user_file: UserFile, schema_text: str, shared: list[tuple[str, str]], own: list[tuple[str, str]]
) -> tuple[str, str]:
    """The demo's items or users schema cut to the metadata the user's file has (Personalize needs the ID and at least
    one metadata field), and a sentence saying what was left out ("" when nothing was)."""
    schema = json.loads(schema_text)
    columns = set(user_file.columns)
    mapped = {f: c for f, c in [*shared, *own] if c in columns}
    id_field = "ITEM_ID" if user_file.dataset == "items" else "USER_ID"
    keep = [f for f in schema["fields"] if f["name"] == id_field or mapped.get(f["name"], f["name"]) in columns]
    names = [f["name"] for f in schema["fields"] if f["name"] != id_field]
    if len(keep) < 2:
        raise PipelineError(
            f"{user_file.dataset}: {user_file.given} has no metadata column for the default schema "
            f"({', '.join(names)}); "
            f"Personalize needs {id_field} and at least one: map one (e.g. --{user_file.dataset}-map "
            f"{names[0]}=<column>), or give --params with your own {user_file.dataset} schema"
        )
    left_out = [f["name"] for f in schema["fields"] if f not in keep]
    if not left_out:
        return schema_text, ""
    kept = ", ".join(f["name"] for f in keep)
    return json.dumps({**schema, "fields": keep}, indent=2), (
        f"the {user_file.dataset} schema is {kept}: {user_file.given} has no column for {', '.join(left_out)} "
        f"(map one with --{user_file.dataset}-map, or give --params with your own schema)"
    )


def has_event_type(mapping: str, columns: tuple[str, ...]) -> bool:
    """Whether interactions with this mapping and these columns have an EVENT_TYPE column (named so, or mapped)."""
    return "EVENT_TYPE=" in mapping or "EVENT_TYPE" in columns


@dataclass(frozen=True)
class RunPlan:
    """Everything `run` needs, checked before anything heavy runs: the files, the mapping of each, the params
    template and the schemas the exports conform to, and what was assumed on the way."""

    files: dict[str, UserFile]
    mappings: dict[str, str]
    template: dict[str, Any]
    schemas: dict[str, str]
    dataset_group: str
    assumptions: list[str]
    settings: dict[str, str] = dataclasses.field(default_factory=dict)  # stack parameters the options set
    job_inputs: dict[str, bytes] = dataclasses.field(default_factory=dict)  # batch segment inputs: S3 key -> body


def plan(inputs: RunInputs, prepared: RunParams, default_params: bool) -> RunPlan:
    """Fit every file to its dataset's schema: the mapping (--map where the file has the column, --<dataset>-map
    over it), and, with the demo's params, the items and users schemas cut to the metadata the files have."""
    schemas = dict(prepared.schemas)
    fields = {dataset: schema_fields(schemas[dataset]) for dataset in inputs.files}
    shared = parse_map("--map", inputs.map, {d: tuple(f) for d, f in fields.items()})
    for field, column in shared:  # --map applies where a file has the column: a column no file has is a mistake
        if not any(column in f.columns for f in inputs.files.values()):
            found = "; ".join(f"{f.given}: {', '.join(f.columns)}" for f in inputs.files.values())
            raise PipelineError(f"--map {field}={column}: no file has a column {column!r} ({found})")
    template = json.loads(json.dumps(prepared.template))
    assumptions = list(prepared.assumptions)
    mappings = {}
    for dataset, user_file in inputs.files.items():
        own = parse_map(f"--{dataset}-map", inputs.maps.get(dataset, ""), {dataset: tuple(fields[dataset])})
        if default_params and dataset != "interactions":
            schemas[dataset], assumed = fit_default_schema(user_file, schemas[dataset], shared, own)
            if assumed:
                assumptions.append(assumed)
                fields[dataset] = schema_fields(schemas[dataset])
                for entry in template["datasets"]:  # the demo's params are in our (native) format
                    if entry["datasetType"].lower() == dataset:
                        entry["schema"] = json.loads(schemas[dataset])
        fillable = frozenset({"EVENT_TYPE"} if dataset == "interactions" else ())
        constants = prepared.fills.get(dataset, {})
        mappings[dataset] = mapping_for(user_file, fields[dataset], shared, own, fillable, constants)
    settings = {"InteractionsSameSecondDuplicates": inputs.same_second}
    event_type_filled = "EVENT_TYPE" in fields["interactions"]  # an ml_ops schema may have none
    event_type_filled &= "EVENT_TYPE" not in prepared.fills.get("interactions", {})  # said below
    if event_type_filled and not has_event_type(mappings["interactions"], inputs.files["interactions"].columns):
        assumptions.append(
            f"the interactions have no EVENT_TYPE column: every event gets the type {DEFAULT_EVENT_TYPE!r} "
            "(map one with --map EVENT_TYPE=<column>, or give the params' datasets[Interactions].fill.EVENT_TYPE)"
        )
    for dataset, constants in prepared.fills.items():
        if dataset not in inputs.files:
            continue
        settings[f"{dataset.title()}Fill"] = json.dumps(constants)  # the export's --fill
        for field, value in constants.items():
            assumptions.append(
                f"the {dataset} have no {field} column: every row gets {json.dumps(value)} (the params' "
                f"datasets[{dataset.title()}].fill)"
            )
    return RunPlan(
        inputs.files, mappings, template, schemas, prepared.dataset_group, assumptions, settings, prepared.job_inputs
    )
