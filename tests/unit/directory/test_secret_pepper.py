"""Issue 11 #9: client secret digests are keyed with the installation's pepper, not the keyId.

A digest made before the pepper (HMAC keyed with the public keyId) still verifies, and its
first successful use at the token endpoint rewrites it with the pepper.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import delete

from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings, write_private_file
from tenantlab.directory.secret_digests import PEPPERED, keyid_digest
from tenantlab.errors import ConfigError
from tenantlab.platform import Platform
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import InstallationSetting, PasswordCredential
from tenantlab.sts.app import create_app


def _credential(platform: Platform, key_id: str) -> PasswordCredential:
    with platform.database.session() as session:
        row = session.get(PasswordCredential, key_id)
        assert row is not None
        return row


def _open_with_a_daemon(home: Path, clock: FixedClock) -> tuple[Platform, str, str, str, str]:
    """A platform, a tenant id, a daemon's appId, its secret and the secret's keyId."""
    platform = Platform.open(PlatformSettings(home=home), clock)
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    app = platform.directory.create_application(tenant=tenant.id, display_name="Daemon")
    new = platform.directory.add_password(tenant=tenant.id, app=app.app_id)
    return platform, tenant.id, app.app_id, new.secret_text, new.credential.key_id


def _token(platform: Platform, tenant_id: str, client_id: str, secret: str) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(platform))
        async with httpx.AsyncClient(transport=transport, base_url="https://localhost") as http:
            return await http.post(
                f"/{tenant_id}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                    "scope": "https://graph.microsoft.com/.default",
                },
            )

    return anyio.run(send)


def test_new_digests_are_keyed_with_the_installations_pepper(
    tmp_path: Path, clock: FixedClock
) -> None:
    platform, _, _, secret, key_id = _open_with_a_daemon(tmp_path / "home", clock)
    try:
        credential = _credential(platform, key_id)
        assert not (tmp_path / "home" / "secret-pepper.key").exists()  # sealed in the database
        pepper = platform.directory.secret_digests.pepper
        assert len(pepper) == 32
        stored = credential.secret_digest
        assert stored != keyid_digest(credential.key_id, secret)
        mac = hmac.new(pepper, secret.encode(), hashlib.sha256).digest()
        assert stored == PEPPERED + base64.urlsafe_b64encode(mac).decode().rstrip("=")
        assert platform.directory.secret_matches(credential, secret)
        assert not platform.directory.secret_matches(credential, secret[:-1] + "!")
    finally:
        platform.close()
    # The database keeps the pepper: the secret still verifies after a restart.
    again = Platform.open(PlatformSettings(home=tmp_path / "home"), clock)
    try:
        assert again.directory.secret_matches(_credential(again, key_id), secret)
    finally:
        again.close()


def test_a_keyid_digest_verifies_once_and_is_rewritten_with_the_pepper(
    tmp_path: Path, clock: FixedClock
) -> None:
    platform, tenant_id, app_id, secret, key_id = _open_with_a_daemon(tmp_path / "home", clock)
    try:
        with platform.database.session() as session:
            row = session.get(PasswordCredential, key_id)
            assert row is not None
            old = keyid_digest(key_id, secret)
            row.secret_digest = old
            bump_revision(session)

        # A wrong secret neither authenticates nor touches the stored digest.
        refused = _token(platform, tenant_id, app_id, secret[:-1] + "!")
        assert refused.status_code == 401, refused.text
        assert _credential(platform, key_id).secret_digest == old

        first = _token(platform, tenant_id, app_id, secret)
        assert first.status_code == 200, first.text
        rewritten = _credential(platform, key_id).secret_digest
        assert rewritten.startswith(PEPPERED)
        assert rewritten == platform.directory.secret_digests.digest(secret)

        again = _token(platform, tenant_id, app_id, secret)
        assert again.status_code == 200, again.text
        assert _credential(platform, key_id).secret_digest == rewritten
    finally:
        platform.close()


def test_an_old_pepper_file_is_taken_over_and_a_damaged_one_refused(
    tmp_path: Path, clock: FixedClock
) -> None:
    home = tmp_path / "home"
    platform, tenant_id, app_id, secret, _ = _open_with_a_daemon(home, clock)
    pepper = platform.directory.secret_digests.pepper
    platform.close()
    # What an older version left: the database without the sealed pepper, the pepper in a file.
    with Platform.open(PlatformSettings(home=home), clock).database.session() as session:
        session.execute(
            delete(InstallationSetting).where(InstallationSetting.name == "secret-pepper")
        )
    pepper_file = home / "secret-pepper.key"
    write_private_file(pepper_file, pepper[:5])
    damaged = Platform.open(PlatformSettings(home=home), clock)
    with pytest.raises(ConfigError, match=r"secret-pepper\.key is damaged"):
        _ = damaged.directory.secret_digests.pepper
    damaged.close()
    pepper_file.unlink()
    # Digests made with it exist: a new pepper would silently break every secret.
    lost = Platform.open(PlatformSettings(home=home), clock)
    with pytest.raises(ConfigError, match="digested with a secret pepper it does not have"):
        _ = lost.directory.secret_digests.pepper
    lost.close()
    write_private_file(pepper_file, pepper)
    again = Platform.open(PlatformSettings(home=home), clock)
    try:
        assert _token(again, tenant_id, app_id, secret).status_code == 200
        assert not pepper_file.exists()  # taken over by the database
    finally:
        again.close()
    assert pepper not in (home / "tenantlab.db").read_bytes()


def test_a_pepper_made_in_a_rolled_back_transaction_is_not_kept(
    tmp_path: Path, clock: FixedClock
) -> None:
    platform = Platform.open(PlatformSettings(home=tmp_path / "home"), clock)
    try:
        tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
        app = platform.directory.create_application(tenant=tenant.id, display_name="Daemon")
        with platform.database.transaction(commit=False):  # a dry run
            platform.directory.add_password(tenant=tenant.id, app=app.app_id)
        new = platform.directory.add_password(tenant=tenant.id, app=app.app_id)
    finally:
        platform.close()
    again = Platform.open(PlatformSettings(home=tmp_path / "home"), clock)
    try:
        assert again.directory.secret_digests.matches(
            _credential(again, new.credential.key_id).secret_digest,
            new.credential.key_id,
            new.secret_text,
        )
    finally:
        again.close()
