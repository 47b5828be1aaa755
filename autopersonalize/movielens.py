"""`autopersonalize fetch-movielens`: MovieLens latest-small from its publisher, checksum-checked (stdlib only).

The MovieLens licence forbids shipping it with this project, so users fetch it from GroupLens. The pinned SHA-256 is
the one TensorFlow Datasets publishes for the same URL (tensorflow_datasets/url_checksums/movielens.txt: 978202 bytes,
696d65a3...); the unpacked ratings.csv and movies.csv are the files this project's tests and benchmarks were run on.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

URL = "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"
SHA256 = "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436"
FOLDER = "ml-latest-small"  # the archive's top folder: ratings.csv, movies.csv, tags.csv, links.csv, README.txt
LICENCE = "research use only, no commercial use without GroupLens' permission; cite Harper & Konstan 2015 (README.txt)"
CHUNK = 1 << 16


class FetchError(Exception):
    """The archive could not be fetched, or is not the archive expected: the message says what to do."""


def fetch(dest: Path, url: str = URL, sha256: str | None = None, timeout: float = 60.0) -> Path:
    """Download the archive to `dest`, check its SHA-256, unpack it; returns dest/ml-latest-small (kept if present)."""
    sha256 = sha256 or SHA256
    folder = dest / FOLDER
    if (folder / "ratings.csv").is_file():
        return folder
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".fetch-") as scratch:
        archive = Path(scratch) / "archive.zip"
        digest = _download(url, archive, timeout)
        if digest != sha256:
            raise FetchError(
                f"{url}: SHA-256 {digest} is not the expected {sha256}; the archive is not the one this project "
                "was checked with (a changed release or a broken download): nothing was unpacked"
            )
        _unpack(archive, Path(scratch) / "out", url)
        shutil.move(str(Path(scratch) / "out" / FOLDER), folder)
    return folder


def _download(url: str, target: Path, timeout: float) -> str:
    hasher = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:
            while chunk := response.read(CHUNK):
                hasher.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as error:
        raise FetchError(f"{url}: the server answered {error.code} {error.reason}") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise FetchError(
            f"cannot reach {url} ({reason}): are you offline? Download it by other means and unpack it, or retry"
        ) from error
    return hasher.hexdigest()


def _unpack(archive: Path, out: Path, url: str) -> None:
    try:
        with zipfile.ZipFile(archive) as zipped:
            if not any(name.startswith(f"{FOLDER}/") for name in zipped.namelist()):
                raise FetchError(f"{url}: the archive has no {FOLDER}/ folder")
            zipped.extractall(out)  # extractall drops absolute paths and '..' parts
    except zipfile.BadZipFile as error:
        raise FetchError(f"{url}: not a zip archive ({error})") from error
