"""Shared fixtures: an isolated data folder and environment for every test, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from pgcluster import postgres_server_url, postgres_url  # noqa: F401  (PostgreSQL fixtures)
from redisserver import redis_server  # noqa: F401  (a private Redis)
from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.platform import Platform

# The fixtures of tenantlab's pytest plugin come from its entry point (pyproject: pytest11); a
# .venv installed before that entry point existed gets them here until `scripts/bootstrap` reruns.
if "tenantlab" not in {ep.name for ep in entry_points(group="pytest11")}:
    pytest_plugins = ["tenantlab.testing.plugin"]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the user's ~/.tenantlab or TENANTLAB_* settings by accident."""
    import os

    for name in list(os.environ):
        if name.startswith("TENANTLAB_") and name != "TENANTLAB_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("TENANTLAB_HOME", str(tmp_path / "tenantlab-home"))


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A command run in-process may call tenantlab.logs.configure: undo it after the test."""
    import logging

    loggers = [logging.getLogger(name) for name in ("tenantlab", "uvicorn")]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def settings(tmp_path: Path) -> PlatformSettings:
    return PlatformSettings(home=tmp_path / "home")


@pytest.fixture
def platform(settings: PlatformSettings, clock: FixedClock) -> Iterator[Platform]:
    p = Platform.open(settings, clock)
    yield p
    p.close()
