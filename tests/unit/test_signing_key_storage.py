"""Signing keys live sealed in the database: every process sharing it signs with the same key."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.keys.envelope import KeyEncryptionKey
from tenantlab.keys.store import KeyStore, SigningKeyUnavailable
from tenantlab.platform import Platform
from tenantlab.storage.schema import SigningKey


def _secret_bytes(key: rsa.RSAPrivateKey) -> list[bytes]:
    """What of a private key could show in a file: its PEM, and its primes and exponent raw."""
    from cryptography.hazmat.primitives import serialization

    numbers = key.private_numbers()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    raw = [n.to_bytes((n.bit_length() + 7) // 8, "big") for n in (numbers.p, numbers.q, numbers.d)]
    return [pem, pem.splitlines()[1], b"PRIVATE KEY", *raw]


def test_a_tenant_is_made_with_its_key_sealed_in_the_database(
    platform: Platform, settings: PlatformSettings
) -> None:
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    with platform.database.session() as session:
        rows = list(session.scalars(select(SigningKey).where(SigningKey.tenant_id == tenant.id)))
    assert len(rows) == 1
    assert rows[0].retired_at is None
    assert rows[0].key_file is None
    assert rows[0].sealed_key
    material = platform.keys.active(tenant.id)
    assert material.kid == rows[0].kid
    assert not (settings.home / "signing-keys").exists()

    platform.rotate_signing_key(tenant.id)
    platform.database.dispose()
    files = [settings.home / "tenantlab.db", *settings.home.glob("tenantlab.db-*")]
    stored = b"".join(f.read_bytes() for f in files if f.exists())
    assert material.kid.encode() in stored  # the scan reads the right file
    for key in (material, platform.keys.active(tenant.id)):
        for secret in _secret_bytes(key.private_key):
            assert secret not in stored


def test_two_processes_on_one_database_sign_with_the_same_key_and_see_rotations(
    settings: PlatformSettings, clock: FixedClock
) -> None:
    node_a = Platform.open(settings, clock)
    node_b = Platform.open(settings, clock)
    try:
        tenant = node_a.directory.create_tenant(display_name="Contoso", domain="contoso")
        assert node_b.keys.active(tenant.id).kid == node_a.keys.active(tenant.id).kid
        new = node_a.rotate_signing_key(tenant.id)
        assert node_b.keys.active(tenant.id).kid == new.kid
        assert next(k.public.kid for k in node_b.keys.published(tenant.id)) == new.kid
        assert len(node_b.keys.published(tenant.id)) == 2
        token = node_b.keys.active(tenant.id).sign({"sub": "x"})
        assert token.count(".") == 2
    finally:
        node_a.close()
        node_b.close()


def test_the_jwks_needs_no_private_key(platform: Platform, clock: FixedClock) -> None:
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    kid = platform.keys.active(tenant.id).kid
    # A store whose KEK opens nothing still publishes every key: the certificates suffice.
    blind = KeyStore(platform.database, KeyEncryptionKey.generate(), clock)
    published = blind.published(tenant.id)
    assert [k.public.kid for k in published] == [kid]
    assert published[0].public.jwk("https://issuer")["kid"] == kid
    found = blind.find(kid)
    assert found is not None
    assert found.kid == kid
    with pytest.raises(SigningKeyUnavailable, match="another key-encryption key: rotate"):
        blind.active(tenant.id)


def test_the_database_allows_one_active_key_per_tenant(platform: Platform) -> None:
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    with platform.database.session() as session:
        row = session.scalars(select(SigningKey).where(SigningKey.tenant_id == tenant.id)).one()
        twin = {
            "kid": "0" * 27,
            "tenant_id": tenant.id,
            "cert_pem": row.cert_pem,
            "created_at": 0.0,
        }
    with pytest.raises(IntegrityError), platform.database.session() as session:
        session.add(SigningKey(**twin, activated_at=0.0))
    with platform.database.session() as session:  # a retired one is fine
        session.add(SigningKey(**twin, activated_at=0.0, retired_at=0.0, remove_after=1e12))


def test_a_first_key_made_meanwhile_elsewhere_is_used_not_doubled(platform: Platform) -> None:
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    kid = platform.keys.active(tenant.id).kid
    platform.keys.create_first(tenant.id)  # what a second node meeting the tenant would try
    assert [k.public.kid for k in platform.keys.published(tenant.id)] == [kid]


def test_a_tenant_without_an_active_key_gets_one_on_first_use(platform: Platform) -> None:
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    with platform.database.session() as session:
        session.execute(update(SigningKey).values(retired_at=0.0, remove_after=1.0))
    fresh = KeyStore(platform.database, KeyEncryptionKey.generate(), platform.clock)
    keys = fresh.published(tenant.id)
    assert len(keys) == 1
    assert keys[0].active


def test_an_unsealed_key_of_another_node_says_what_to_do(platform: Platform) -> None:
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    with platform.database.session() as session:
        session.execute(update(SigningKey).values(sealed_key=None, key_file="/elsewhere/k.pem"))
    fresh = KeyStore(platform.database, KeyEncryptionKey.generate(), platform.clock)
    with pytest.raises(SigningKeyUnavailable, match=r"/elsewhere/k.pem\): start that node once"):
        fresh.active(tenant.id)
    assert fresh.adopt_key_files() == []  # not this node's file: left for its node


def test_damaged_key_files_are_left_alone(platform: Platform, tmp_path: Path) -> None:
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    damaged = tmp_path / "damaged.pem"
    damaged.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n")
    with platform.database.session() as session:
        session.execute(
            update(SigningKey)
            .where(SigningKey.tenant_id == tenant.id)
            .values(sealed_key=None, key_file=str(damaged))
        )
    assert platform.keys.adopt_key_files() == []
    assert damaged.exists()
