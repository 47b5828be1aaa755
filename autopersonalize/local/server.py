"""Offline AWS as a local endpoint (moto server mode), so the AWS CLI and boto3 scripts can look at the resources."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer

from autopersonalize import emulator, ports
from autopersonalize.local import patches
from autopersonalize.local.aws import REGION, Progression


@contextmanager
def offline_endpoint(port: int = 5000, progression: Progression = "paced") -> Iterator[str]:
    """Serve emulated AWS on http://127.0.0.1:<port>; this process's boto3 clients use it too. Yields the URL.

    A port nothing can listen on raises PipelineError first: moto's server thread would die binding it, and its
    `start()` would wait for it forever."""
    ports.ensure_free(port)
    url = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "MOTO_PORT": str(port),  # moto's Step Functions interpreter calls back into the server on this port
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    patches.install()
    emulator.install()
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        emulator.set_progression(progression)
        yield url
    finally:
        server.stop()
