"""Nodes starting together on a fresh database all come up: migrations run once, under a lock."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pgcluster import TEST_KEY_ENCRYPTION_KEY
from tenantlab.storage.database import normalize_url

pytestmark = pytest.mark.integration

NODES = 4


def _env(home: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env.update(TENANTLAB_HOME=str(home), **settings)
    return env


def _start_together(envs: list[dict[str, str]], *args: str) -> list[subprocess.CompletedProcess]:  # type: ignore[type-arg]
    """Run `tenantlab ARGS` once per environment, all at once; wait for every one."""
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "tenantlab.cli", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in envs
    ]
    done = []
    for process in started:
        out, err = process.communicate(timeout=180)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def _all_up(done: list[subprocess.CompletedProcess]) -> None:  # type: ignore[type-arg]
    for result in done:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr


@pytest.fixture
def fresh_postgres(postgres_server_url: str) -> Iterator[Callable[[], str]]:
    """A new empty database per call (one per trial), all dropped afterwards."""
    admin = create_engine(normalize_url(postgres_server_url), isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"tenantlab_start_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        url = make_url(normalize_url(postgres_server_url)).set(database=name)
        return url.render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in made:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("trial", range(4))
def test_four_nodes_start_together_on_a_fresh_postgresql(
    trial: int, fresh_postgres: Callable[[], str], tmp_path: Path
) -> None:
    url = fresh_postgres()
    envs = [
        _env(
            tmp_path / f"node{n}",
            TENANTLAB_DATABASE_URL=url,
            TENANTLAB_KEY_ENCRYPTION_KEY=TEST_KEY_ENCRYPTION_KEY,
        )
        for n in range(NODES)
    ]
    _all_up(_start_together(envs, "tenant", "list", "--json"))


@pytest.mark.postgres
@pytest.mark.parametrize("trial", range(2))
def test_four_release_steps_with_the_todo_tables_at_once(
    trial: int, fresh_postgres: Callable[[], str], tmp_path: Path
) -> None:
    url, todo_url = fresh_postgres(), fresh_postgres()
    envs = [
        _env(
            tmp_path / f"node{n}", TENANTLAB_DATABASE_URL=url, TENANTLAB_TODO_DATABASE_URL=todo_url
        )
        for n in range(NODES)
    ]
    done = _start_together(envs, "db", "upgrade", "--todo")
    _all_up(done)
    assert all("schema at revision" in r.stdout for r in done)
    assert len({r.stdout for r in done}) == 1  # every node names the same revisions


def test_four_processes_start_together_on_a_fresh_sqlite_folder(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    _all_up(_start_together([env] * NODES, "tenant", "list", "--json"))
    _all_up(_start_together([env] * NODES, "db", "upgrade", "--todo"))


def test_a_database_from_a_newer_version_is_one_line(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    _all_up(_start_together([env], "db", "upgrade"))
    database = tmp_path / "home" / "tenantlab.db"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    (done,) = _start_together([env], "tenant", "list")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "cannot upgrade the database" in done.stderr
    assert "newer tenantlab" in done.stderr
