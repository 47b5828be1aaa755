"""Whether a local TCP port can be listened on: the CLI asks before anything heavy runs (stdlib imports only)."""

from __future__ import annotations

import errno
import os
import socket

from autopersonalize.errors import PipelineError

HOST = "127.0.0.1"


def unavailable(port: int, host: str, error: OSError) -> str:
    """The user-facing reason `host:port` could not be bound, naming the option that changes it."""
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use; choose another with --port"
    if error.errno == errno.EACCES:
        return (
            f"port {port} on {host} is not open to this user (ports below 1024 usually need root); "
            "choose another with --port"
        )
    return f"port {port} on {host} cannot be listened on ({error.strerror or error}); choose another with --port"


def ensure_free(port: int, host: str = HOST) -> None:
    """Raise PipelineError when nothing could listen on host:port now; port 0 (any free port) always passes.

    The probe binds as the servers do (SO_REUSEADDR on POSIX, as http.server and werkzeug set it), so a port whose
    last connection is in TIME_WAIT counts as free and one with a listener counts as busy. On Windows that option
    would let the probe share a listener's port, so it is left off there."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name == "posix":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PipelineError(unavailable(port, host, error)) from None
