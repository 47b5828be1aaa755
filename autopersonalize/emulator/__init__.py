"""Offline Amazon Personalize inside moto: control plane, data plane, real training; see docs/emulator.md."""

from __future__ import annotations

from autopersonalize.emulator.faults import Faults
from autopersonalize.emulator.lifecycle import set_progression
from autopersonalize.emulator.store import store_for

__all__ = ["Faults", "faults", "install", "set_progression"]
_installed = False


def install() -> None:
    """Make plain boto3 clients for personalize, personalize-runtime and personalize-events work inside moto.

    Idempotent. Call it before `mock_aws()` starts or before a moto server handles its first Personalize request.
    """
    global _installed
    if _installed:
        return
    # Importing the resource modules registers their operations.
    from autopersonalize.emulator import (  # noqa: F401
        attribution,
        campaigns,
        datasets,
        recommenders,
        runtime,
        segments,
        solutions,
        tags,
    )
    from autopersonalize.emulator.routing import install_routes

    install_routes()
    _installed = True


def faults(account: str = "123456789012", region: str = "us-east-1") -> Faults:
    """The fault switches of one emulated account and region (see `autopersonalize.emulator.faults`)."""
    return store_for(account, region).faults
