"""A data folder of an older tenantlab: its key files move into the database, sealed, once."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings, write_private_file
from tenantlab.ids import b64url_decode
from tenantlab.keys.jose import SigningKeyMaterial, generate_signing_key
from tenantlab.platform import Platform
from tenantlab.storage.database import MIGRATIONS_DIR, Database, create_db_engine
from tenantlab.storage.schema import SigningKey

TENANT = "6f0e9e3c-1f7a-4f0c-9a59-0c8e0d6f2a11"


def _old_data_folder(settings: PlatformSettings) -> list[SigningKeyMaterial]:
    """What versions before 0011 left: their schema, two active keys (two nodes raced), each
    key a 0600 file under signing-keys/{tenant}/ named in `key_file`."""
    database = Database(create_db_engine(settings.resolved_database_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection_engine"] = database.engine
    command.upgrade(config, "0010")
    keys = [generate_signing_key(), generate_signing_key()]
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO tenants (id, display_name, tenant_type, created_at, graph_throttling)"
                " VALUES (:id, 'Contoso', 'workforce', 1, 0)"
            ),
            {"id": TENANT},
        )
        for when, material in enumerate(keys):
            path = settings.signing_keys_dir / TENANT / f"{material.kid}.pem"
            write_private_file(path, material.private_pem())
            connection.execute(
                sa.text(
                    "INSERT INTO signing_keys (kid, tenant_id, cert_pem, key_file, created_at,"
                    " activated_at) VALUES (:kid, :tid, :cert, :file, :at, :at)"
                ),
                {
                    "kid": material.kid,
                    "tid": TENANT,
                    "cert": material.cert_pem,
                    "file": str(path),
                    "at": when + 1,
                },
            )
    database.dispose()
    return keys


def test_an_old_data_folder_upgrades_to_sealed_keys(tmp_path: Path, clock: FixedClock) -> None:
    settings = PlatformSettings(home=tmp_path / "home")
    older, newer = _old_data_folder(settings)

    platform = Platform.open(settings, clock)
    try:
        with platform.database.session() as session:
            rows = {r.kid: r for r in session.scalars(sa.select(SigningKey))}
        assert all(r.sealed_key and r.key_file is None for r in rows.values())
        assert rows[newer.kid].retired_at is None  # the newest stays the signer
        assert rows[older.kid].retired_at is not None
        assert rows[older.kid].remove_after
        assert not list((settings.signing_keys_dir / TENANT).iterdir())

        signer = platform.keys.active(TENANT)
        assert signer.kid == newer.kid
        token = signer.sign({"sub": "x"})
        signed, _, signature = token.rpartition(".")
        newer.certificate.public_key().verify(  # type: ignore[call-arg]
            b64url_decode(signature), signed.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        assert platform.keys.published(TENANT)[0].public.kid == newer.kid
    finally:
        platform.close()

    stored = (settings.home / "tenantlab.db").read_bytes()
    for material in (older, newer):
        assert material.private_pem().splitlines()[1] not in stored
    again = Platform.open(settings, clock)  # a second start has nothing left to move
    try:
        assert again.keys.adopt_key_files() == []
        assert again.keys.active(TENANT).kid == newer.kid
    finally:
        again.close()
    assert os.stat(settings.key_encryption_key_path).st_mode & 0o777 == 0o600
