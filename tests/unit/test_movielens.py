"""`autopersonalize fetch-movielens`: download, checksum check, unpack; a tiny archive served on 127.0.0.1."""

from __future__ import annotations

import functools
import hashlib
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from autopersonalize import movielens
from autopersonalize.cli import main

RATINGS = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.0,964981247\n"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No request lines on stderr."""


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A tiny stand-in for ml-latest-small.zip: the same top folder, two of its files."""
    served = tmp_path / "served"
    served.mkdir()
    path = served / "ml-latest-small.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("ml-latest-small/ratings.csv", RATINGS)
        zipped.writestr("ml-latest-small/movies.csv", "movieId,title,genres\n1,Toy Story (1995),Animation\n")
    return path


@pytest.fixture
def server(archive: Path) -> Iterator[str]:
    """http://127.0.0.1:<port>/ serving the archive's folder, for the test's duration."""
    handler = functools.partial(_QuietHandler, directory=str(archive.parent))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_unpacks_the_archive_whose_checksum_matches(tmp_path: Path, archive: Path, server: str) -> None:
    folder = movielens.fetch(tmp_path / "data", url=f"{server}/ml-latest-small.zip", sha256=_sha256(archive))

    assert folder == tmp_path / "data" / "ml-latest-small"
    assert (folder / "ratings.csv").read_text() == RATINGS
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["ml-latest-small"]  # no scratch files left


def test_fetch_movielens_command_downloads_into_dest(
    tmp_path: Path, archive: Path, server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(movielens, "SHA256", _sha256(archive))  # the fixture stands in for the published archive

    code = main(["fetch-movielens", "--dest", str(tmp_path / "data"), "--url", f"{server}/ml-latest-small.zip"])

    assert code == 0
    assert (tmp_path / "data" / "ml-latest-small" / "ratings.csv").read_text() == RATINGS
    assert f"MovieLens latest-small is in {tmp_path / 'data' / 'ml-latest-small'}" in capsys.readouterr().out


def test_fetch_movielens_refuses_an_archive_with_another_checksum(
    tmp_path: Path, archive: Path, server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["fetch-movielens", "--dest", str(tmp_path / "data"), "--url", f"{server}/ml-latest-small.zip"])

    assert code == 2
    err = capsys.readouterr().err
    assert f"SHA-256 {_sha256(archive)} is not the expected {movielens.SHA256}" in err
    assert "nothing was unpacked" in err
    assert not (tmp_path / "data" / "ml-latest-small").exists()


def test_fetch_movielens_offline_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused, as when offline
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/ml-latest-small.zip"

    code = main(["fetch-movielens", "--dest", str(tmp_path / "data"), "--url", url])

    assert code == 2
    assert f"error: cannot reach {url} (" in capsys.readouterr().err
    assert not (tmp_path / "data" / "ml-latest-small").exists()


def test_fetch_names_the_server_answer_when_the_archive_is_missing(tmp_path: Path, server: str) -> None:
    with pytest.raises(movielens.FetchError, match=r"/nothing\.zip: the server answered 404 File not found"):
        movielens.fetch(tmp_path / "data", url=f"{server}/nothing.zip")


def test_fetch_refuses_an_archive_without_the_movielens_folder(tmp_path: Path, archive: Path, server: str) -> None:
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("other/ratings.csv", RATINGS)

    with pytest.raises(movielens.FetchError, match=r"the archive has no ml-latest-small/ folder"):
        movielens.fetch(tmp_path / "data", url=f"{server}/ml-latest-small.zip", sha256=_sha256(archive))


def test_fetch_keeps_a_folder_already_fetched(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "ml-latest-small"
    folder.mkdir(parents=True)
    (folder / "ratings.csv").write_text(RATINGS)

    assert movielens.fetch(tmp_path / "data", url="http://127.0.0.1:9/never-asked.zip") == folder
