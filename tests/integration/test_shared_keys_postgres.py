"""Nodes with their own data folders and one PostgreSQL: one signer per tenant, one KEK."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.directory import Directory, SecretDigests
from tenantlab.keys.envelope import KeyEncryptionKey
from tenantlab.keys.store import KeyStore
from tenantlab.platform import Platform
from tenantlab.storage import open_database
from tenantlab.storage.schema import SigningKey

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

KEK = KeyEncryptionKey.generate().text()


@pytest.fixture
def nodes(postgres_url: str, tmp_path: Path) -> Iterator[list[Platform]]:
    """Two nodes: each its own data folder (separate machines), the same database and KEK."""
    with ExitStack() as stack:
        opened = []
        for name in ("a", "b"):
            settings = PlatformSettings(
                home=tmp_path / name, database_url=postgres_url, key_encryption_key=KEK
            )
            platform = Platform.open(settings, FixedClock())
            stack.callback(platform.close)
            opened.append(platform)
        yield opened


def test_nodes_with_their_own_folders_sign_with_the_shared_key(nodes: list[Platform]) -> None:
    a, b = nodes
    tenant = a.directory.create_tenant(display_name="Contoso", domain="contoso")
    assert b.keys.active(tenant.id).kid == a.keys.active(tenant.id).kid
    rotated = b.rotate_signing_key(tenant.id)  # `keys rotate` on node b ...
    assert a.keys.active(tenant.id).kid == rotated.kid  # ... is node a's signer at its next look
    assert next(k.public.kid for k in a.keys.published(tenant.id)) == rotated.kid
    for node in nodes:
        assert not (node.settings.home / "signing-keys").exists()


def test_the_one_active_key_index_is_partial_on_postgres(nodes: list[Platform]) -> None:
    """The declared schema leaves PostgreSQL's predicate to migration 0011: it is there."""
    query = text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ux_signing_keys_one_active'")
    with nodes[0].database.engine.connect() as connection:
        definition = connection.execute(query).scalar_one()
    assert definition.startswith("CREATE UNIQUE INDEX")
    assert definition.endswith("(tenant_id) WHERE (retired_at IS NULL)")


def test_two_nodes_meeting_a_keyless_tenant_make_one_key(postgres_url: str) -> None:
    """Both nodes see no active key and make one at the same moment: the index keeps one."""
    database = open_database(postgres_url)
    directory = Directory(database, FixedClock(), secret_digests=SecretDigests(bytes(32)))
    kek = KeyEncryptionKey.parse(KEK, where="test")
    attempts = 0
    count = threading.Lock()

    class CountingStore(KeyStore):
        def _create(self, tenant_id: str, *, retire_current: bool):  # type: ignore[no-untyped-def]
            nonlocal attempts
            with count:
                attempts += 1
            return super()._create(tenant_id, retire_current=retire_current)

    engines = [open_database(postgres_url) for _ in range(2)]
    trials = 10
    try:
        for trial in range(trials):
            # A bare directory has no hook: the tenant starts without a key, as one made by a
            # node that crashed before making it.
            tenant = directory.create_tenant(display_name=f"T{trial}", domain=f"t{trial}")
            stores = [CountingStore(engine, kek, FixedClock()) for engine in engines]
            barrier = threading.Barrier(len(stores))
            kids: list[str] = []

            def meet(
                store: KeyStore, tenant_id: str, barrier: threading.Barrier, kids: list[str]
            ) -> None:
                barrier.wait()
                kids.append(store.active(tenant_id).kid)

            threads = [
                threading.Thread(target=meet, args=(store, tenant.id, barrier, kids))
                for store in stores
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert len(kids) == 2, kids
            assert kids[0] == kids[1]
            with database.session() as session:
                active = session.scalar(
                    select(func.count()).where(
                        SigningKey.tenant_id == tenant.id, SigningKey.retired_at.is_(None)
                    )
                )
            assert active == 1
        assert attempts > trials  # in some trial both nodes really tried: the race happened
    finally:
        for engine in engines:
            engine.dispose()
        database.dispose()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenantlab.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_node_without_the_kek_or_with_another_is_refused_in_one_line(
    postgres_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env.update(TENANTLAB_HOME=str(tmp_path / "a"), TENANTLAB_DATABASE_URL=postgres_url)

    missing = _cli(env, "tenant", "list")
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0, missing.stderr
    assert "a shared database needs TENANTLAB_KEY_ENCRYPTION_KEY" in missing.stderr
    assert "openssl rand -base64 32" in missing.stderr

    first = _cli({**env, "TENANTLAB_KEY_ENCRYPTION_KEY": KEK}, "tenant", "list")
    assert first.returncode == 0, first.stderr

    other = KeyEncryptionKey.generate().text()
    env.update(TENANTLAB_HOME=str(tmp_path / "b"), TENANTLAB_KEY_ENCRYPTION_KEY=other)
    wrong = _cli(env, "tenant", "list")
    assert wrong.returncode == 2
    assert wrong.stderr.strip().count("\n") == 0, wrong.stderr
    assert "is not the key-encryption key this database's secrets are sealed under" in wrong.stderr
    assert other not in wrong.stderr
    assert KEK not in wrong.stderr
