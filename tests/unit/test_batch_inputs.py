"""The users file an offline run writes for a batch-served job: every distinct user of the interactions source."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from autopersonalize import batch_inputs
from autopersonalize.pipeline import Source
from autopersonalize.userdata import UserFile

SERVED = {
    "name": "up",
    "solution": "up",
    "jobInput": "s3://BUCKET/batch/input/users.jsonl",
    "jobOutput": "s3://BUCKET/batch/up/",
    "serving": {},
}
PLAIN = {**{k: v for k, v in SERVED.items() if k != "serving"}, "name": "plain", "jobInput": "s3://BUCKET/in.jsonl"}


def test_batch_inputs_users_of_a_mapped_csv_are_distinct_and_sorted(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("who;what;when\nb;i1;1\na;i2;2\nb;i3;3\n")
    files = UserFile("interactions", path, (path,), "s3_csv", ("who", "what", "when"), delimiter=";")
    source = Source(mapping="USER_ID=who,ITEM_ID=what,TIMESTAMP=when", files=files)
    assert batch_inputs.users_of(source) == ["a", "b"]


def test_batch_inputs_only_served_jobs_get_a_users_file_in_the_stack_bucket() -> None:
    template = {"batchInferenceJobs": [SERVED, PLAIN]}
    source = Source(frame=pd.DataFrame({"customer_id": ["u2", "u1", "u2"]}), mapping="USER_ID=customer_id")
    moved = batch_inputs.on_bucket(template, "stack-bucket")
    assert [j["jobInput"] for j in moved["batchInferenceJobs"]] == [
        "s3://stack-bucket/batch/input/users.jsonl",
        "s3://BUCKET/in.jsonl",
    ]
    written = batch_inputs.job_inputs(moved, {"interactions": source})
    assert list(written) == ["batch/input/users.jsonl"]
    assert [json.loads(line) for line in written["batch/input/users.jsonl"].splitlines()] == [
        {"userId": "u1"},
        {"userId": "u2"},
    ]
