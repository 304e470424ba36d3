"""Issue 11 #8: every data file tenantlab creates is 0600 and every folder it creates 0700.

SQLite gives the -wal and -shm files its database file's mode, so the database file is created
owner-only before SQLite opens it, wherever it lives (also outside the data folder).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.keys import ensure_tls
from tenantlab.platform import Platform
from tenantlab.quickstart import provision, write_sample_configs
from tenantlab.quickstart.configs import Endpoints
from tenantlab.storage import StorageError, open_database
from tenantlab.todo.store import open_todo_database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """The common 022: without care, files come out 0644 and folders 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_data_folder_the_database_and_its_wal_and_shm(
    tmp_path: Path, clock: FixedClock
) -> None:
    home = tmp_path / "a" / "b" / "home"
    platform = Platform.open(PlatformSettings(home=home), clock)
    try:
        platform.directory.create_tenant(display_name="Contoso", domain="contoso")
        db = home / "tenantlab.db"
        # While a connection is open in WAL mode both companions exist.
        with platform.database.engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM tenants"))
            assert (home / "tenantlab.db-wal").exists()
            assert (home / "tenantlab.db-shm").exists()
            for path in (db, home / "tenantlab.db-wal", home / "tenantlab.db-shm"):
                assert mode(path) == 0o600, path
        for folder in (tmp_path / "a", tmp_path / "a" / "b", home):
            assert mode(folder) == 0o700, folder
        every = list(home.rglob("*"))
        assert every
        for path in every:
            assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    finally:
        platform.close()


def test_a_database_outside_the_data_folder(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "deep" / "directory.db"
    database = open_database(f"sqlite:///{outside}")
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            assert mode(outside.with_name("directory.db-wal")) == 0o600
        assert mode(outside) == 0o600
        assert mode(outside.parent) == mode(outside.parent.parent) == 0o700
    finally:
        database.dispose()


def test_an_existing_world_readable_database_is_made_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    first = open_database(f"sqlite:///{db}")
    first.dispose()
    os.chmod(db, 0o644)
    again = open_database(f"sqlite:///{db}")
    try:
        with again.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            assert mode(db.with_name("old.db-shm")) == 0o600
        assert mode(db) == 0o600
    finally:
        again.dispose()


def test_a_database_path_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(StorageError, match=r"cannot open the database .*file\.txt/x\.db"):
        open_database(f"sqlite:///{not_a_folder / 'x.db'}")


def test_the_todo_database(tmp_path: Path) -> None:
    db = tmp_path / "home" / "todo.db"
    database = open_todo_database(f"sqlite:///{db}")
    try:
        assert mode(db) == 0o600
        assert mode(db.parent) == 0o700
    finally:
        database.dispose()


def test_quickstart_configs_and_tls_files(platform: Platform, tmp_path: Path) -> None:
    tls = ensure_tls(tmp_path / "tlshome")
    for path in (tls.ca_cert, tls.server_cert, tls.server_key, tls.ca_bundle):
        assert mode(path) == 0o600, path
    endpoints = Endpoints(
        cloud="https://localhost:5443", todo="https://localhost:44351", ca_bundle=tls.ca_bundle
    )
    configs = write_sample_configs(tmp_path / "out" / "quickstart", provision(platform), endpoints)
    assert mode(tmp_path / "out") == 0o700
    for path in configs.folder.rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert mode(configs.folder / "dotnet") == 0o700
