"""`offline_aws()`: moto with Step Functions execution, in-process Lambdas, Glue scripts, the Personalize emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal
from unittest import mock

import boto3
import botocore.session
from moto import mock_aws

from autopersonalize import emulator
from autopersonalize.local import iam, patches

Progression = Literal["immediate", "paced"]
REGION = "us-east-1"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "core": {"reset_boto3_session": True}}


def _offline_environment() -> dict[str, str]:
    """A region and no endpoint: the operator's credentials are made inside moto (see `iam`), so nothing can reach a
    real AWS account by accident."""
    return {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "autopersonalize",
        "POWERTOOLS_METRICS_DISABLED": "true",  # no CloudWatch to read the metric lines: they would flood stdout
    }


def _default_session(credentials: dict[str, str]) -> boto3.Session:
    """A fresh default session signing as the operator, that reuses the service models the process has parsed:
    loading one costs 10-60 ms per service, paid once per process instead of once per context."""
    core = botocore.session.get_session()
    core.register_component("data_loader", patches.SERVICE_MODELS)
    core.set_credentials(credentials["AWS_ACCESS_KEY_ID"], credentials["AWS_SECRET_ACCESS_KEY"])
    session = boto3.Session(botocore_session=core)
    paths = patches.SERVICE_MODELS.search_paths  # boto3 appends its data path once per session
    paths[:] = list(dict.fromkeys(paths))
    return session


@contextmanager
def offline_aws(progression: Progression = "immediate") -> Iterator[None]:
    """Run the body against emulated AWS: plain boto3 clients work unchanged inside, and state is fresh each time.

    progression: "immediate" makes each Personalize resource ACTIVE (or CREATE FAILED) at its first describe (tests);
    "paced" walks CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE over a few describes, as AWS does.
    """
    patches.install()
    emulator.install()
    endpoint_vars = [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]
    with mock.patch.dict(os.environ, _offline_environment()):
        for key in [*endpoint_vars, "AWS_SESSION_TOKEN"]:  # moto only intercepts *.amazonaws.com
            os.environ.pop(key, None)
        with mock_aws(config=MOTO_CONFIG), iam.enforced():  # type: ignore[call-overload]
            operator = iam.operator_credentials(REGION)
            os.environ.update(operator)
            boto3.DEFAULT_SESSION = _default_session(operator)  # moto puts the previous one back on exit
            patches.GLUE_SCRIPTS_DIR[:] = [patches.REPO_GLUE_SCRIPTS]  # no stack deployed yet in this context
            emulator.set_progression(progression)
            yield
