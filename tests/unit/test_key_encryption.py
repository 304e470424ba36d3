"""The key-encryption key: the AES-GCM envelope, where the KEK comes from, and who is refused."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from tenantlab.config import PlatformSettings
from tenantlab.errors import ConfigError
from tenantlab.keys.encryption_key import load_key_encryption_key
from tenantlab.keys.envelope import KeyEncryptionKey, SealedSecretError
from tenantlab.storage import open_database


def test_a_sealed_secret_opens_only_under_its_kek_and_its_context() -> None:
    kek = KeyEncryptionKey.generate()
    blob = kek.seal(b"the private key", context="signing-key:A")
    assert b"the private key" not in blob
    assert kek.open(blob, context="signing-key:A") == b"the private key"
    assert kek.seal(b"the private key", context="signing-key:A") != blob  # fresh keys, nonces
    with pytest.raises(SealedSecretError, match="another key-encryption key"):
        KeyEncryptionKey.generate().open(blob, context="signing-key:A")
    with pytest.raises(SealedSecretError, match="damaged"):
        kek.open(blob, context="signing-key:B")  # copied into another key's row
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(SealedSecretError, match="damaged"):
        kek.open(tampered, context="signing-key:A")
    with pytest.raises(SealedSecretError, match="damaged"):
        kek.open(b"tle1short", context="signing-key:A")


def test_a_kek_reads_as_openssl_prints_it_and_never_shows_itself() -> None:
    raw = os.urandom(32)
    standard = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert KeyEncryptionKey.parse(standard + "\n", where="X").key_id == KeyEncryptionKey(raw).key_id
    assert KeyEncryptionKey.parse(urlsafe, where="X").key_id == KeyEncryptionKey(raw).key_id
    assert standard not in repr(KeyEncryptionKey(raw))
    for bad in ("", "c2hvcnQ=", "not base64 at all!", base64.b64encode(os.urandom(31)).decode()):
        with pytest.raises(ConfigError, match=r"^X is not a key-encryption key .*openssl rand"):
            KeyEncryptionKey.parse(bad, where="X")


def _sqlite(settings: PlatformSettings):  # type: ignore[no-untyped-def]
    return open_database(settings.resolved_database_url)


def test_a_single_node_makes_its_kek_file_once_and_keeps_it(tmp_path: Path) -> None:
    settings = PlatformSettings(home=tmp_path / "home")
    database = _sqlite(settings)
    first = load_key_encryption_key(settings, database)
    path = settings.key_encryption_key_path
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_key_encryption_key(settings, database).key_id == first.key_id
    assert first.text() not in path.with_name("tenantlab.db").read_bytes().decode("latin-1")

    path.unlink()
    with pytest.raises(ConfigError, match=r"key-encryption.key is missing.*restore it"):
        load_key_encryption_key(settings, database)

    path.write_text(KeyEncryptionKey.generate().text())
    with pytest.raises(ConfigError, match=r"is not the key-encryption key this database"):
        load_key_encryption_key(settings, database)


def test_the_environment_wins_and_must_be_the_installations(tmp_path: Path) -> None:
    kek = KeyEncryptionKey.generate()
    settings = PlatformSettings(home=tmp_path / "home", key_encryption_key=kek.text())
    database = _sqlite(settings)
    assert load_key_encryption_key(settings, database).key_id == kek.key_id
    assert not settings.key_encryption_key_path.exists()

    other = PlatformSettings(
        home=tmp_path / "home", key_encryption_key=KeyEncryptionKey.generate().text()
    )
    with pytest.raises(ConfigError) as refused:
        load_key_encryption_key(other, database)
    message = str(refused.value)
    assert message.startswith("TENANTLAB_KEY_ENCRYPTION_KEY is not the key-encryption key")
    assert "\n" not in message
    assert other.key_encryption_key is not None
    assert str(other.key_encryption_key) not in message


def test_a_shared_database_requires_the_kek(tmp_path: Path) -> None:
    settings = PlatformSettings(home=tmp_path, database_url="postgresql://db.example/tenantlab")
    assert settings.shared_database
    with pytest.raises(ConfigError, match=r"^a shared database needs TENANTLAB_KEY_ENCRYPTION_KEY"):
        load_key_encryption_key(settings, _sqlite(PlatformSettings(home=tmp_path)))
