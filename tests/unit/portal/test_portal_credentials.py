"""Certificates & secrets and federated credentials pages."""

from __future__ import annotations

import re
from html import unescape

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from portal_client import PortalClient, app_page, notices

from tenantlab.clock import FixedClock
from tenantlab.platform import Platform
from tenantlab.portal.certificates import generate_certificate
from tenantlab.storage.schema import Application

SECRET_VALUE = re.compile(r'data-copy="([^"]+)" aria-label="Copy secret value"')


def test_a_new_secret_is_shown_once_and_stored_only_as_a_digest(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    page = app_page(app, "credentials")
    response = browser.submit(
        page, f"{page}/secrets", {"description": "daemon-secret", "days": "365"}
    )
    match = SECRET_VALUE.search(response.text)
    assert match, "the new value is on the page"
    value = unescape(match.group(1))
    [stored] = platform.directory.password_credentials(app.id)
    assert stored.display_name == "daemon-secret"
    assert platform.directory.secret_matches(stored, value)
    assert stored.end_at - stored.start_at == 365 * 86400
    assert value not in stored.secret_digest
    again = browser.get(page).text
    assert value not in again
    assert f"{value[:3]}*" in again
    assert "set-cookie" not in response.headers or value not in response.headers["set-cookie"]


def test_secret_expiry_outside_the_offered_choices_is_refused(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    page = app_page(app, "credentials")
    for days in ("1000", "soon"):
        response = browser.submit(page, f"{page}/secrets", {"days": days})
        assert response.url.path == page
        assert notices(response.text)
    assert platform.directory.password_credentials(app.id) == []


def test_expired_secrets_say_so(
    browser: PortalClient, platform: Platform, app: Application, clock: FixedClock
) -> None:
    platform.directory.add_password(tenant=app.tenant_id, app=app.id, days=90)
    page = app_page(app, "credentials")
    assert "in 90 days" in browser.get(page).text
    clock.advance(91 * 86400)
    browser.sign_in()  # the session ended long ago
    assert "Expired" in browser.get(page).text


def test_removing_a_secret(browser: PortalClient, platform: Platform, app: Application) -> None:
    created = platform.directory.add_password(tenant=app.tenant_id, app=app.id)
    page = app_page(app, "credentials")
    browser.submit(page, f"{page}/secrets/{created.credential.key_id}/delete")
    assert platform.directory.password_credentials(app.id) == []


def test_uploading_a_certificate(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    made = generate_certificate("uploaded", 12, platform.clock.now())
    page = app_page(app, "credentials")
    response = browser.submit(
        page,
        f"{page}/certificates",
        {"description": "daemon cert"},
        files={"certificate": ("daemon.pem", made.certificate_pem.encode(), "application/x-pem")},
    )
    [row] = platform.directory.key_credentials(app.id)
    assert row.thumbprint_sha1 == made.thumbprint
    assert made.thumbprint in response.text
    assert "PRIVATE KEY" not in response.text


def test_an_upload_that_is_not_a_certificate_is_refused(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    made = generate_certificate("key only", 12, platform.clock.now())
    page = app_page(app, "credentials")
    for content in (b"hello", made.private_key_pem.encode(), b"x" * 70_000):
        response = browser.submit(
            page, f"{page}/certificates", files={"certificate": ("c.pem", content, "text/plain")}
        )
        assert response.status_code == 200
        assert response.url.path == page
        assert notices(response.text)
    assert platform.directory.key_credentials(app.id) == []


def test_generating_a_certificate_shows_its_private_key_once(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    page = app_page(app, "credentials")
    response = browser.submit(
        page, f"{page}/certificates/generate", {"subject": "daemon", "months": "6"}
    )
    key_pem = unescape(re.search(r'id="generated-key">(.*?)</textarea>', response.text, re.S)[1])
    cert_pem = unescape(re.search(r'id="generated-cert">(.*?)</textarea>', response.text, re.S)[1])
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    [row] = platform.directory.key_credentials(app.id)
    assert row.display_name == "CN=daemon"
    assert "PRIVATE KEY" not in browser.get(page).text


def test_removing_a_certificate(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    made = generate_certificate("gone", 3, platform.clock.now())
    row = platform.directory.add_certificate(
        tenant=app.tenant_id, app=app.id, certificate_pem_or_der=made.certificate_pem.encode()
    )
    page = app_page(app, "credentials")
    browser.submit(page, f"{page}/certificates/{row.key_id}/delete")
    assert platform.directory.key_credentials(app.id) == []


def test_federated_credentials_are_added_and_removed(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    page = app_page(app, "federated-credentials")
    response = browser.submit(
        page,
        page,
        {
            "name": "github-main",
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:contoso/app:ref:refs/heads/main",
            "audience": "",
        },
    )
    [row] = platform.directory.federated_credentials(app.id)
    assert row.audiences == ["api://AzureADTokenExchange"]
    assert "repo:contoso/app:ref:refs/heads/main" in response.text
    browser.submit(page, f"{page}/{row.id}/delete")
    assert platform.directory.federated_credentials(app.id) == []


def test_a_federated_credential_with_a_plain_http_issuer_is_refused(
    browser: PortalClient, app: Application
) -> None:
    page = app_page(app, "federated-credentials")
    response = browser.submit(
        page, page, {"name": "bad", "issuer": "http://issuer.test", "subject": "s"}
    )
    assert any("must be an https:// URL" in n for n in notices(response.text))
