"""`run`'s look at the user's files before anything runs: the kind, the columns, the mapping that fits each file, and
errors that name the CLI's own option and the file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from autopersonalize import userdata
from autopersonalize.errors import PipelineError

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
INTERACTIONS = userdata.schema_fields((SCHEMAS / "interactions.avsc").read_text())
ITEMS = userdata.schema_fields((SCHEMAS / "items.avsc").read_text())
EVENTS = frozenset({"EVENT_TYPE"})


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_semicolon_and_tab_files_are_detected_from_the_header(tmp_path: Path) -> None:
    semicolon = userdata.open_user_file("interactions", write(tmp_path / "a.csv", "user;item;ts\nu;i;1\n"))
    tabs = userdata.open_user_file("interactions", write(tmp_path / "b.tsv", "user\titem\tts\nu\ti\t1\n"))

    assert (semicolon.columns, semicolon.delimiter, semicolon.source_options) == (
        ("user", "item", "ts"),
        ";",
        "delimiter=semicolon",
    )
    assert (tabs.columns, tabs.source_options) == (("user", "item", "ts"), "delimiter=tab")


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    opened = userdata.open_user_file("interactions", write(tmp_path / "a.csv", b"\xef\xbb\xbfuser,item\nu,i\n"))

    assert opened.columns == ("user", "item")


def test_a_one_column_header_asks_for_the_delimiter(tmp_path: Path) -> None:
    with pytest.raises(
        PipelineError, match=r"--interactions .*a\.csv: the header 'user item ts' has one column.*--delimiter"
    ):
        userdata.open_user_file("interactions", write(tmp_path / "a.csv", "user item ts\nu i 1\n"))


def test_a_header_that_is_not_utf8_names_the_option_that_reads_it(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "utilisé,item\nu,i\n".encode("latin-1"))

    with pytest.raises(PipelineError, match=r"not utf-8 text .*--encoding latin-1"):
        userdata.open_user_file("interactions", path)
    assert userdata.open_user_file("interactions", path, encoding="latin-1").columns == ("utilisé", "item")


def test_json_lines_columns_after_explode_are_the_events_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", '{"session": 1, "events": [{"aid": 2, "ts": 3, "type": "clicks"}]}\n')

    assert userdata.open_user_file("interactions", path).columns == ("session", "events")
    exploded = userdata.open_user_file("interactions", path, explode="events")
    assert (exploded.columns, exploded.source_options) == (("session", "aid", "ts", "type"), "explode=events")
    with pytest.raises(PipelineError, match=r"--explode evts: the first record .* has no list 'evts'"):
        userdata.open_user_file("interactions", path, explode="evts")


def test_explode_on_a_csv_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"--explode events: .* is CSV; --explode applies to JSON lines"):
        userdata.open_user_file("interactions", write(tmp_path / "a.csv", "a,b\n1,2\n"), explode="events")


def test_a_folder_of_parquet_parts_is_one_table_and_spark_markers_are_not_data(tmp_path: Path) -> None:
    folder = tmp_path / "events"
    folder.mkdir()
    for n in range(2):
        pd.DataFrame({"user": ["u"], "item": ["i"], "ts": [1]}).to_parquet(folder / f"part-{n}.parquet")
    write(folder / "_SUCCESS", "")
    write(folder / ".part-0.parquet.crc", "x")

    opened = userdata.open_user_file("interactions", folder)

    assert [f.name for f in opened.files] == ["part-0.parquet", "part-1.parquet"]
    assert (opened.source_type, opened.columns) == ("s3_parquet", ("user", "item", "ts"))
    assert [name for _, name in opened.relative_names()] == ["part-0.parquet", "part-1.parquet"]


def test_folder_parts_must_share_one_format_and_one_header(tmp_path: Path) -> None:
    write(tmp_path / "mixed" / "a.csv", "user,item\n")
    write(tmp_path / "mixed" / "b.jsonl", "{}\n")
    write(tmp_path / "headers" / "a.csv", "user,item\n")
    write(tmp_path / "headers" / "b.csv", "user,sku\n")

    with pytest.raises(PipelineError, match="mixes CSV, JSON lines files"):
        userdata.open_user_file("interactions", tmp_path / "mixed")
    with pytest.raises(PipelineError, match=r"b\.csv has the columns \['user', 'sku'\], the other parts"):
        userdata.open_user_file("interactions", tmp_path / "headers")


def test_gzip_csv_is_read_compressed(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress(b"user;item\nu;i\n"))

    opened = userdata.open_user_file("interactions", path)

    assert (opened.source_type, opened.columns, opened.delimiter) == ("s3_csv", ("user", "item"), ";")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.csv", r"--items .*missing\.csv: no such file or folder"),
        ("data.xlsx", r"--items .*data\.xlsx: unknown file type; name it by its format"),
        ("empty", r"--items .*empty: the folder has no data files"),
    ],
)
def test_bad_paths_name_the_option(tmp_path: Path, name: str, message: str) -> None:
    write(tmp_path / "data.xlsx", b"PK")
    (tmp_path / "empty").mkdir()

    with pytest.raises(PipelineError, match=message):
        userdata.open_user_file("items", tmp_path / name)


def test_each_file_gets_the_mapping_that_fits_it(tmp_path: Path) -> None:
    """--map applies where a file has the column; --items-map is the items file's own (the ID is `id` there)."""
    events = userdata.open_user_file("interactions", write(tmp_path / "r.csv", "userId,movieId,timestamp\n"))
    movies = userdata.open_user_file("items", write(tmp_path / "m.csv", "id,title,genres\n"))
    names = {"interactions": tuple(INTERACTIONS), "items": tuple(ITEMS)}
    shared = userdata.parse_map("--map", "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp", names)
    own = userdata.parse_map("--items-map", "ITEM_ID=id,CATEGORY=genres", {"items": tuple(ITEMS)})

    assert userdata.mapping_for(events, INTERACTIONS, shared, [], EVENTS) == (
        "USER_ID=userId,ITEM_ID=movieId,TIMESTAMP=timestamp"
    )
    fitted = {"ITEM_ID": True, "CATEGORY": True}
    assert userdata.mapping_for(movies, fitted, shared, own) == "ITEM_ID=id,CATEGORY=genres"
    with pytest.raises(PipelineError, match=r"items: .*m\.csv has no column for ITEM_ID.*--items-map ITEM_ID="):
        userdata.mapping_for(movies, fitted, shared, [])


def test_an_unknown_field_in_a_mapping_names_the_valid_fields() -> None:
    with pytest.raises(PipelineError, match=r"--map: 'USERID' is not a field; the fields are .*USER_ID"):
        userdata.parse_map("--map", "USERID=user", {"interactions": tuple(INTERACTIONS)})
    with pytest.raises(PipelineError, match=r"--map: 'USER_ID' is not FIELD=column"):
        userdata.parse_map("--map", "USER_ID", {"interactions": tuple(INTERACTIONS)})


def test_an_own_mapping_to_a_missing_column_names_the_columns(tmp_path: Path) -> None:
    movies = userdata.open_user_file("items", write(tmp_path / "m.csv", "id,title\n"))

    with pytest.raises(
        PipelineError, match=r"--items-map ITEM_ID=movieId: .* has no column 'movieId'; its columns are id, title"
    ):
        userdata.mapping_for(movies, ITEMS, [], [("ITEM_ID", "movieId")])


def test_schema_fields_know_which_are_required() -> None:
    schema = {"fields": [{"name": "A", "type": "string"}, {"name": "B", "type": ["null", "float"]}]}

    assert userdata.schema_fields(json.dumps(schema)) == {"A": True, "B": False}


def test_the_default_items_schema_is_cut_to_the_metadata_the_file_has(tmp_path: Path) -> None:
    movies = userdata.open_user_file("items", write(tmp_path / "m.csv", "movieId,title,genres\n"))
    schema = (SCHEMAS / "items.avsc").read_text()

    fitted, assumed = userdata.fit_default_schema(movies, schema, [], [("ITEM_ID", "movieId"), ("CATEGORY", "genres")])

    assert [f["name"] for f in json.loads(fitted)["fields"]] == ["ITEM_ID", "CATEGORY"]
    assert "has no column for PRICE, CREATION_TIMESTAMP" in assumed
    with pytest.raises(PipelineError, match=r"no metadata column .* at least one: map one .*--items-map CATEGORY="):
        userdata.fit_default_schema(movies, schema, [], [("ITEM_ID", "movieId")])


def test_a_file_that_does_not_decode_is_refused_with_its_line_before_anything_runs(tmp_path: Path) -> None:
    body = "user,item,ts\n" + "u,i,1\n" * 100_000 + "zoë,café,1\n"
    path = write(tmp_path / "a.csv", body.encode("latin-1"))

    with pytest.raises(PipelineError, match=r"line 100002 is not utf-8 text \(byte 0xeb\).*--encoding latin-1"):
        userdata.open_user_file("interactions", path)
    assert userdata.open_user_file("interactions", path, encoding="latin-1").encoding == "iso8859-1"


def test_plan_assumes_an_event_type_only_where_the_schema_has_one(tmp_path: Path) -> None:
    from autopersonalize.run_params import RunParams

    events = userdata.open_inputs({"interactions": write(tmp_path / "e.csv", "USER_ID,ITEM_ID,TIMESTAMP\n")})
    without = {
        "fields": [{"name": n, "type": "string"} for n in ("USER_ID", "ITEM_ID")]
        + [{"name": "TIMESTAMP", "type": "long"}]
    }

    def assumed(schema: str) -> list[str]:
        prepared = RunParams(template={}, dataset_group="g", schemas={"interactions": schema}, assumptions=[])
        return userdata.plan(events, prepared, default_params=False).assumptions

    assert any(
        "every event gets the type 'interaction'" in a for a in assumed((SCHEMAS / "interactions.avsc").read_text())
    )
    assert assumed(json.dumps(without)) == []  # the ml_ops sample's interactions have no EVENT_TYPE to fill


def test_plan_fills_the_params_event_type_when_the_file_has_none(tmp_path: Path) -> None:
    from autopersonalize.run_params import RunParams

    schema = (SCHEMAS / "interactions.avsc").read_text()
    bare = userdata.open_inputs({"interactions": write(tmp_path / "e.csv", "USER_ID,ITEM_ID,TIMESTAMP\n")})
    typed = userdata.open_inputs({"interactions": write(tmp_path / "t.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n")})
    fills = {"interactions": {"EVENT_TYPE": "Watch"}}
    prepared = RunParams(template={}, dataset_group="g", schemas={"interactions": schema}, assumptions=[], fills=fills)

    filled = userdata.plan(bare, prepared, default_params=False)
    assert filled.settings["InteractionsFill"] == '{"EVENT_TYPE": "Watch"}'  # one route: the export's --fill
    assert "InteractionsEventType" not in filled.settings
    assert filled.assumptions == [
        'the interactions have no EVENT_TYPE column: every row gets "Watch" (the params\' datasets[Interactions].fill)'
    ]
    with pytest.raises(PipelineError, match="the params give EVENT_TYPE the constant"):
        userdata.plan(typed, prepared, default_params=False)  # the file's column and the params' constant: one


def test_plan_fills_the_params_constants_for_fields_the_file_lacks(tmp_path: Path) -> None:
    from autopersonalize.run_params import RunParams

    schemas = {
        "interactions": (SCHEMAS / "interactions.avsc").read_text(),
        "items": (SCHEMAS / "items.avsc").read_text(),
    }
    files = {
        "interactions": write(tmp_path / "e.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n"),
        "items": write(tmp_path / "m.csv", "movieId,genres\n"),
    }
    prepared = RunParams(
        template={}, dataset_group="g", schemas=schemas, assumptions=[], fills={"items": {"CREATION_TIMESTAMP": 1}}
    )
    inputs = userdata.open_inputs(files, maps={"items": "ITEM_ID=movieId,CATEGORY=genres"})

    planned = userdata.plan(inputs, prepared, default_params=False)

    assert planned.settings["ItemsFill"] == '{"CREATION_TIMESTAMP": 1}'
    assert planned.mappings["items"] == "ITEM_ID=movieId,CATEGORY=genres"
    assert any(
        "the items have no CREATION_TIMESTAMP column: every row gets 1 (the params' datasets[Items].fill)" in a
        for a in planned.assumptions
    )


def test_plan_refuses_a_params_constant_for_a_field_the_file_maps(tmp_path: Path) -> None:
    from autopersonalize.run_params import RunParams

    schemas = {
        "interactions": (SCHEMAS / "interactions.avsc").read_text(),
        "items": (SCHEMAS / "items.avsc").read_text(),
    }
    files = {
        "interactions": write(tmp_path / "e.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n"),
        "items": write(tmp_path / "m.csv", "movieId,genres,year\n"),
    }
    prepared = RunParams(
        template={}, dataset_group="g", schemas=schemas, assumptions=[], fills={"items": {"CREATION_TIMESTAMP": 1}}
    )
    inputs = userdata.open_inputs(files, maps={"items": "ITEM_ID=movieId,CATEGORY=genres,CREATION_TIMESTAMP=year"})

    with pytest.raises(PipelineError) as refused:
        userdata.plan(inputs, prepared, default_params=False)
    assert str(refused.value) == (
        f"items: the params give CREATION_TIMESTAMP the constant 1 (datasets[Items].fill), but {files['items']} has "
        "the column 'year' for it; remove the constant from the params to export the column, or the column from "
        "--map/--items-map to export the constant"
    )
