"""A page rendered by a real headless browser (Debian's chromium; `make test` installs it): the DOM after its scripts
ran, and a screenshot. Flags as this machine needs them: no sandbox as root, no GPU, and no background connections
(the network is closed; chromium would try Google's hosts at every start)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",  # the page's scripts run to completion before the DOM is read
)


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "no chromium on PATH: `make browser` (part of `make test`) installs Debian's chromium"
    return found


def _run(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM once its scripts have run."""
    return _run(page, profile, "--dump-dom").stdout


def screenshot(page: Path, profile: Path, target: Path, size: str = "1280,2400") -> Path:
    _run(page, profile, f"--window-size={size}", f"--screenshot={target}")
    assert target.stat().st_size > 0
    return target
