"""Offline, botocore sessions share one loader per data path (autopersonalize/local/service_models.py)."""

from __future__ import annotations

from pathlib import Path

import boto3
import botocore.session
import pytest

from autopersonalize.local import patches, service_models


def test_service_models_new_sessions_share_the_process_loader() -> None:
    first, second = botocore.session.Session(), botocore.session.get_session()

    assert first.get_component("data_loader") is second.get_component("data_loader")
    assert first.get_component("data_loader") is patches.SERVICE_MODELS  # the one moto's serialisers use too


def test_service_models_a_model_is_parsed_once_for_every_session() -> None:
    first = botocore.session.Session().get_service_model("personalize")
    second = boto3.Session(region_name="us-east-1").client("personalize").meta.service_model

    assert first._service_description is second._service_description  # the same parsed JSON, not a copy


def test_service_models_boto3_sessions_add_their_data_folder_once() -> None:
    boto3.Session()
    paths = list(service_models.shared_loader().search_paths)
    boto3.Session(), boto3.Session()

    assert service_models.shared_loader().search_paths == paths
    assert len(set(paths)) == len(paths)


def test_service_models_another_data_path_gets_its_own_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))

    loader = botocore.session.Session().get_component("data_loader")

    assert loader is not patches.SERVICE_MODELS
    assert loader.search_paths[0] == str(tmp_path)
    assert botocore.session.Session().get_component("data_loader") is loader
