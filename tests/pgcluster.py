"""PostgreSQL for tests: TENANTLAB_TEST_POSTGRES_URL, or a private throw-away cluster.

The private cluster is Debian's PostgreSQL started by `initdb` + `pg_ctl` in a temporary folder
(as the `postgres` user when the tests run as root: PostgreSQL refuses to run as root), listening
only on a Unix socket in that folder, and stopped when the session ends. Each test gets its own
database. When PostgreSQL cannot start, tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tenantlab.storage.database import normalize_url

# A shared database needs a key-encryption key (keys.encryption_key): the tests' nodes share this.
TEST_KEY_ENCRYPTION_KEY = "dGVuYW50bGFiIHRlc3RzOiBub3QgYSByZWFsIHNlY3I="


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return found[0] if found else shutil.which(name)


@dataclass
class PrivateCluster:
    folder: Path
    run_as: str | None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql://tenantlab@/postgres?host={quote(str(self.folder), safe='/')}"

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = list(argv)
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> str | None:
        """Returns why it could not start, or None."""
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if not initdb or not pg_ctl:
            return "initdb/pg_ctl not found (scripts/system-deps installs postgresql)"
        if self.run_as:
            uid = pwd.getpwnam(self.run_as)
            os.chown(self.folder, uid.pw_uid, uid.pw_gid)
        done = self._run(
            initdb,
            "-D",
            str(self.data),
            "-U",
            "tenantlab",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        if done.returncode != 0:
            return f"initdb failed: {done.stderr.strip()[-300:]}"
        options = f"-c listen_addresses='' -k {self.folder} -c fsync=off -c full_page_writes=off"
        done = self._run(
            pg_ctl,
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )
        if done.returncode != 0:
            return f"pg_ctl start failed: {done.stderr.strip()[-300:]}"
        return None

    def stop(self) -> None:
        pg_ctl = _bin("pg_ctl")
        if pg_ctl and (self.data / "postmaster.pid").exists():
            self._run(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server URL whose user may create databases."""
    given = os.environ.get("TENANTLAB_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    run_as = "postgres" if os.geteuid() == 0 else None
    if run_as:
        try:
            pwd.getpwnam(run_as)
        except KeyError:
            _missing("running as root and there is no 'postgres' user to run the server")
    folder = Path(tempfile.mkdtemp(prefix="tenantlab-pg-"))
    cluster = PrivateCluster(folder, run_as)
    try:
        problem = cluster.start()
        if problem:
            _missing(problem)
        yield cluster.url
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database on that server for one test (dropped afterwards)."""
    name = f"tenantlab_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(postgres_server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        _missing(f"cannot create a database: {str(exc).splitlines()[0]}")
    url = make_url(normalize_url(postgres_server_url)).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
