"""One public origin for every node of a shared database: required, recorded, checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgcluster import TEST_KEY_ENCRYPTION_KEY
from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.errors import ConfigError
from tenantlab.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ORIGIN = "https://login.example.test"


def _settings(home: Path, url: str, public_url: str | None) -> PlatformSettings:
    return PlatformSettings(
        home=home,
        database_url=url,
        key_encryption_key=TEST_KEY_ENCRYPTION_KEY,
        public_url=public_url,
    )


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenantlab.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_nodes_must_agree_on_the_origin(postgres_url: str, tmp_path: Path) -> None:
    first = Platform.open(_settings(tmp_path / "a", postgres_url, ORIGIN), FixedClock())
    first.close()
    with pytest.raises(ConfigError) as refused:
        Platform.open(_settings(tmp_path / "b", postgres_url, "https://node-b:5443"))
    message = str(refused.value)
    assert message.startswith("this node's public origin https://node-b:5443 is not " + ORIGIN)
    assert "\n" not in message
    # A command naming no origin (the CLI on any machine) uses the recorded one.
    cli = Platform.open(_settings(tmp_path / "c", postgres_url, None), FixedClock())
    try:
        assert cli.settings.origin == ORIGIN
    finally:
        cli.close()


def test_serve_without_a_public_url_is_refused_and_the_origin_can_move(
    postgres_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env.update(
        TENANTLAB_HOME=str(tmp_path / "a"),
        TENANTLAB_DATABASE_URL=postgres_url,
        TENANTLAB_KEY_ENCRYPTION_KEY=TEST_KEY_ENCRYPTION_KEY,
    )
    refused = _cli(env, "serve", "--port", "0")
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "a shared database needs the one public origin every node serves" in refused.stderr

    assert _cli(env, "db", "public-url").stdout.strip() == "(none recorded yet)"
    assert _cli({**env, "TENANTLAB_PUBLIC_URL": ORIGIN}, "tenant", "list").returncode == 0
    assert _cli(env, "db", "public-url").stdout.strip() == ORIGIN
    moved = "https://new-lb.example.test"
    wrong = _cli({**env, "TENANTLAB_PUBLIC_URL": moved}, "tenant", "list")
    assert wrong.returncode == 2
    assert f"set --public-url (or TENANTLAB_PUBLIC_URL) to {ORIGIN}" in wrong.stderr
    assert _cli(env, "db", "public-url", moved).stdout.strip() == moved
    assert _cli({**env, "TENANTLAB_PUBLIC_URL": moved}, "tenant", "list").returncode == 0
