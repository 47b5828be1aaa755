"""One botocore loader per data path in the offline process: each file botocore reads is parsed once per process.

botocore gives every new session its own loader, which parses again whatever it is asked for, and the offline process
makes many sessions: importing moto's Step Functions interpreter imports moto.ec2 (for its Batch tasks), which lists
EC2's regions through three new sessions, each parsing endpoints.json and EC2's 14 MiB service model (~0.2 s of CPU
each); every moto backend lists its service's regions through another; boto3's clients and moto's response
serialisers load the same service models once more. The files are read-only data, the same for every session with
the same data path (AWS_DATA_PATH), so here those sessions share one loader. `share()` must run before moto is
imported: `autopersonalize.local` calls it first.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import botocore.loaders
import botocore.session

_LOADERS: dict[str | None, botocore.loaders.Loader] = {}
_LOCK = threading.Lock()


class _UniquePaths(list[str]):
    """A loader's search paths: boto3 appends its own data folder at each `boto3.Session()`, once is enough."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def shared_loader(data_path: str | None = None) -> botocore.loaders.Loader:
    """The process's loader for `data_path` (an AWS_DATA_PATH value; None: botocore's own data only), as
    `botocore.loaders.create_loader` makes it."""
    with _LOCK:
        if data_path not in _LOADERS:
            extra = [os.path.expanduser(os.path.expandvars(p)) for p in (data_path or "").split(os.pathsep) if p]
            _LOADERS[data_path] = botocore.loaders.Loader(extra_search_paths=_UniquePaths(extra))
        return _LOADERS[data_path]


def _register_shared_loader(self: Any) -> None:
    """botocore.session.Session._register_data_loader, with the shared loader for the session's data path."""
    components = self._components
    components.lazy_register_component("data_loader", lambda: shared_loader(self.get_config_variable("data_path")))


def share() -> None:
    """From now on, new botocore sessions share the loader of their data path (idempotent)."""
    botocore.session.Session._register_data_loader = _register_shared_loader  # type: ignore[method-assign]
