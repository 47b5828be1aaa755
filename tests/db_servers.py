"""Real database servers for the tests of the database sources: PostgreSQL and MariaDB from Debian's packages
(`make db-servers` installs them), each started once per test session in a temporary folder on a free loopback port,
and stopped with its folder removed when the session ends.

PostgreSQL and MariaDB refuse to run as root: as root, PostgreSQL runs as the `postgres` user the Debian package
creates (runuser), MariaDB with `--user=root`, which it accepts when said explicitly.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER, PASSWORD, DATABASE = "ap_reader", "s3cr3t-pw", "lake"
INSTALL = "run `make db-servers` (apt-get install postgresql mariadb-server-core mariadb-client-core)"


@dataclass(frozen=True)
class Server:
    kind: str  # postgresql | mysql
    port: int
    user: str = USER
    password: str = PASSWORD
    database: str = DATABASE
    host: str = "127.0.0.1"

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:{self.kind}://{self.host}:{self.port}/{self.database}"

    def connect(self) -> object:
        """A DB-API connection as the test's own user (to create and fill tables)."""
        if self.kind == "postgresql":
            import pg8000.dbapi

            return pg8000.dbapi.connect(
                user=self.user, password=self.password, host=self.host, port=self.port, database=self.database
            )
        import pymysql

        return pymysql.connect(
            user=self.user, password=self.password, host=self.host, port=self.port, database=self.database
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _binary(name: str, *patterns: str) -> str:
    found = shutil.which(name) or next(iter(sorted(p for pattern in patterns for p in glob.glob(pattern))), None)
    if not found:
        pytest.fail(f"{name} not found (PATH, {', '.join(patterns)}): {INSTALL}")
    return found


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        pytest.fail(f"{what} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


def start_postgresql(root: Path) -> tuple[Server, list[str]]:
    """initdb (scram-sha-256 passwords) and start; returns the server and the command that stops it."""
    initdb = _binary("initdb", "/usr/lib/postgresql/*/bin/initdb")
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    root.mkdir(parents=True, exist_ok=True)
    (root / "pw").write_text(PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pw", "postgres")
    data, port = root / "data", free_port()
    initialise = [initdb, "-D", str(data), "-U", USER, "--auth=scram-sha-256", f"--pwfile={root / 'pw'}", "-E", "UTF8"]
    _run(_as_postgres([*initialise, "--locale=C", "--no-sync"]), "initdb")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    _run(_as_postgres([pg_ctl, "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start"]), "pg_ctl")
    stop = _as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"])
    server = Server("postgresql", port)
    admin = Server("postgresql", port, database="postgres").connect()
    admin.autocommit = True  # type: ignore[attr-defined]
    admin.cursor().execute(f"CREATE DATABASE {DATABASE}")  # type: ignore[attr-defined]
    admin.close()  # type: ignore[attr-defined]
    return server, stop


def start_mariadb(root: Path) -> tuple[Server, subprocess.Popen[bytes]]:
    """mariadb-install-db and mariadbd on a loopback port; the test user owns the `lake` database."""
    install = _binary("mariadb-install-db", "/usr/bin/mariadb-install-db")
    daemon = _binary("mariadbd", "/usr/sbin/mariadbd")
    root.mkdir(parents=True, exist_ok=True)
    data, socket_path, port = root / "data", root / "sock", free_port()
    user = ["--user=root"] if os.geteuid() == 0 else []
    _run([install, "--no-defaults", f"--datadir={data}", *user, "--auth-root-authentication-method=normal",
          "--skip-test-db"], "mariadb-install-db")  # fmt: skip
    server_log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        [daemon, "--no-defaults", f"--datadir={data}", *user, f"--port={port}", "--bind-address=127.0.0.1",
         f"--socket={socket_path}", f"--pid-file={root / 'pid'}", "--skip-log-bin", "--innodb-buffer-pool-size=16M",
         "--skip-name-resolve"],
        stdout=server_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    import pymysql

    deadline = time.monotonic() + 30
    while True:
        try:
            admin = pymysql.connect(unix_socket=str(socket_path), user="root", password="")
            break
        except pymysql.err.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"mariadbd did not start: {(root / 'server.log').read_text()[-2000:]}")
            time.sleep(0.1)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {DATABASE}")
        cursor.execute(f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'")
        cursor.execute(f"GRANT ALL ON {DATABASE}.* TO '{USER}'@'%'")
    admin.close()
    return Server("mysql", port), process


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[Server]:
    root = Path(tempfile.mkdtemp(prefix="ap-postgresql-"))  # not under pytest's 0700 folder: postgres must enter it
    server, stop = start_postgresql(root)
    try:
        yield server
    finally:
        subprocess.run(stop, capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[Server]:
    root = Path(tempfile.mkdtemp(prefix="ap-mariadb-"))
    server, process = start_mariadb(root)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
