"""Campaign/filter ARNs from SSM: the names equal the workflow's, values are cached for a TTL, then read again."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from serving import batch, clients, errors, parameters
from workflow import naming


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        clients.reset()
        yield boto3.client("ssm")
    clients.reset()


def test_parameter_names_equal_the_workflows() -> None:
    assert parameters.campaign_parameter("ap", "demo", "up") == naming.campaign_parameter("ap", "demo", "up")
    assert parameters.filter_parameter("ap", "demo", "f") == naming.filter_parameter("ap", "demo", "f")
    assert parameters.recommender_parameter("ap", "demo", "r") == naming.recommender_parameter("ap", "demo", "r")
    assert parameters.campaign_parameter("p-1", "g_2", "c-3") == "/p-1/g_2/campaigns/c-3"
    assert batch.batch_parameter("ap", "demo", "j") == naming.batch_serving_parameter("ap", "demo", "j")


def test_cache_reads_once_within_the_ttl_and_again_after_it() -> None:
    now, reads = [100.0], []
    values = {"/a": "v1"}

    def fetch(name: str) -> str | None:
        reads.append(name)
        return values.get(name)

    cache = parameters.ParameterCache(30, fetch, clock=lambda: now[0])
    assert cache.get("/a") == "v1"
    values["/a"] = "v2"
    now[0] = 129.9
    assert cache.get("/a") == "v1"
    now[0] = 130.0
    assert cache.get("/a") == "v2"
    assert reads == ["/a", "/a"]


def test_cache_remembers_a_missing_parameter_for_the_ttl() -> None:
    now, reads = [0.0], []
    cache = parameters.ParameterCache(5, lambda name: reads.append(name) or None, clock=lambda: now[0])
    assert cache.get("/missing") is None
    assert cache.get("/missing") is None
    assert len(reads) == 1


def test_cache_forget_reads_again_at_once() -> None:
    reads: list[str] = []
    cache = parameters.ParameterCache(60, lambda name: reads.append(name) or "v")
    cache.get("/a")
    cache.forget("/a")
    cache.get("/a")
    assert reads == ["/a", "/a"]


def test_fetch_from_ssm_returns_the_value_or_none(ssm) -> None:
    ssm.put_parameter(Name="/ap/demo/campaigns/up", Value="arn:aws:personalize:us-east-1:1:campaign/c", Type="String")
    assert parameters.fetch_from_ssm("/ap/demo/campaigns/up") == "arn:aws:personalize:us-east-1:1:campaign/c"
    assert parameters.fetch_from_ssm("/ap/demo/campaigns/other") is None


def test_fetch_from_ssm_throttled_is_a_throttled_error(ssm) -> None:
    with Stubber(clients.client("ssm")) as stub:
        stub.add_client_error("get_parameter", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(errors.ThrottledError) as caught:
            parameters.fetch_from_ssm("/ap/demo/campaigns/up")
    assert caught.value.message == "SSM Parameter Store is throttling requests; retry after 1 second(s)"


def test_fetch_from_ssm_access_denied_is_an_upstream_error(ssm) -> None:
    with Stubber(clients.client("ssm")) as stub:
        stub.add_client_error("get_parameter", "AccessDeniedException", "not authorized on arn:...", 400)
        with pytest.raises(errors.UpstreamError) as caught:
            parameters.fetch_from_ssm("/ap/demo/campaigns/up")
    assert caught.value.message.startswith("SSM Parameter Store failed (AccessDeniedException); retry later")
    assert "arn:" not in caught.value.message


def test_ttl_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARAMETER_TTL_SECONDS", raising=False)
    assert parameters.ttl_from_env() == 30.0
    monkeypatch.setenv("PARAMETER_TTL_SECONDS", "2.5")
    assert parameters.ttl_from_env() == 2.5


def test_ttl_that_is_not_a_number_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARAMETER_TTL_SECONDS", "30s")
    with pytest.raises(errors.ConfigurationError) as caught:
        parameters.ttl_from_env()
    assert caught.value.message == "environment variable PARAMETER_TTL_SECONDS must be a number of seconds, found '30s'"
