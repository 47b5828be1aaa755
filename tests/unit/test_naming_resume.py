"""The names that make resume work: import jobs carry a digest of their data, versions a digest of config + imports."""

from __future__ import annotations

import pytest
from workflow import data_check, imports, naming, training

FILES = [{"key": "exports/r1/interactions/part-0.csv", "etag": "abc", "size": 10}]


@pytest.fixture(autouse=True)
def prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFIX", "ap")


def test_naming_fingerprint_changes_with_location_mode_and_etag() -> None:
    base = data_check.fingerprint("s3://b/x/", "FULL", FILES)
    assert base == data_check.fingerprint("s3://b/x/", "FULL", [dict(FILES[0])])
    assert base != data_check.fingerprint("s3://b/y/", "FULL", FILES)
    assert base != data_check.fingerprint("s3://b/x/", "INCREMENTAL", FILES)
    assert base != data_check.fingerprint("s3://b/x/", "FULL", [{**FILES[0], "etag": "abd"}])


def test_naming_import_candidates_are_distinct_valid_and_fit_63_even_for_long_groups() -> None:
    digest = data_check.fingerprint("s3://b/x/", "FULL", FILES)
    for group in ("demo", "a-very-long-dataset-group-name-that-goes-on-and-on"):
        names = imports.candidate_names(group, "Interactions", digest)
        assert len(set(names)) == imports.MAX_ATTEMPTS
        assert all(len(n) <= naming.MAX_NAME and naming.NAME_PATTERN.fullmatch(n) for n in names)
    assert imports.candidate_names("demo", "Interactions", digest)[0] == f"ap-demo-interactions-d{digest[:12]}"


def test_naming_version_names_depend_on_config_and_imports_only() -> None:
    params = {"datasetGroup": {"name": "demo"}}
    solution = {"name": "personal", "recipe": "aws-user-personalization-v2"}
    jobs = [{"jobArn": "arn:1"}, {"jobArn": "arn:2"}]
    names = training._names(params, solution, jobs)
    assert names == training._names(params, dict(solution), list(reversed(jobs)))
    assert names != training._names(params, {**solution, "trainingMode": "UPDATE"}, jobs)
    assert names != training._names(params, solution, [{"jobArn": "arn:1"}, {"jobArn": "arn:3"}])
    assert names[0].startswith("ap-demo-personal-t")
    assert names[1] == names[0] + "-2"
