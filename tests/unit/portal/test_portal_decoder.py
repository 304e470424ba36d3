"""The token decoder: claims explained, signature checked against the tenant's keys, expiry."""

from __future__ import annotations

import json
from html import unescape
from typing import Any

import pytest
from portal_client import PortalClient

from tenantlab.clock import FixedClock
from tenantlab.ids import b64url, new_guid
from tenantlab.platform import Platform
from tenantlab.portal.formatting import relative_time
from tenantlab.portal.tokens import TokenDecodeError, split_token
from tenantlab.portal.urls import safe_next
from tenantlab.storage.schema import Tenant

PAGE = "/portal/decoder"


def claims_for(platform: Platform, tenant: Tenant, **extra: Any) -> dict[str, Any]:
    now = int(platform.clock.now())
    return {
        "aud": "api://todo",
        "iss": f"{platform.settings.origin}/{tenant.id}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "azp": new_guid(),
        "idtyp": "app",
        "roles": ["ToDoList.Read.All"],
        "tid": tenant.id,
        "ver": "2.0",
        **extra,
    }


def decode(browser: PortalClient, token: str) -> str:
    return unescape(browser.submit(PAGE, PAGE, {"token": token}).text)


def test_a_token_of_the_tenant_is_verified_and_explained(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    token = platform.keys.active(tenant.id).sign(claims_for(platform, tenant))
    html = decode(browser, token)
    assert "Signature verified" in html
    assert "signed with the active signing key of Contoso" in html
    assert "Not expired" in html
    assert "expires in 1 hour" in html
    assert 'id="claim-roles"' in html
    assert '["ToDoList.Read.All"]' in html
    assert "Application permissions (app roles)" in html


def test_a_bearer_prefix_and_line_breaks_are_ignored(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    token = platform.keys.active(tenant.id).sign(claims_for(platform, tenant))
    pasted = "Bearer " + token[:40] + "\n" + token[40:]
    assert "Signature verified" in decode(browser, pasted)


def test_a_tampered_token_fails_the_signature_check(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    token = platform.keys.active(tenant.id).sign(claims_for(platform, tenant))
    header, _, signature = token.split(".")
    forged = b64url(json.dumps(claims_for(platform, tenant, roles=["Admin"])).encode())
    html = decode(browser, f"{header}.{forged}.{signature}")
    assert "Invalid signature" in html


def test_a_retired_key_still_verifies_until_it_is_unpublished(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    token = platform.keys.active(tenant.id).sign(claims_for(platform, tenant))
    platform.keys.rotate(tenant.id)
    assert "a retired key, still published" in decode(browser, token)


def test_a_key_of_another_tenant_is_reported(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    other = platform.directory.create_tenant(display_name="Other", domain="other")
    token = platform.keys.active(other.id).sign(claims_for(platform, tenant))
    html = decode(browser, token)
    assert "Unknown key" in html
    assert "a key of another tenant" in html


def test_a_token_of_no_known_tenant_is_not_verified(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    token = platform.keys.active(tenant.id).sign(claims_for(platform, tenant, tid=new_guid()))
    html = decode(browser, token)
    assert "names no tenant of this tenantlab" in html


def test_an_expired_token_says_when_it_expired(
    browser: PortalClient, platform: Platform, tenant: Tenant, clock: FixedClock
) -> None:
    token = platform.keys.active(tenant.id).sign(claims_for(platform, tenant))
    clock.advance(3600 + 120)
    html = decode(browser, token)
    assert "Expired" in html
    assert "expired 2 minutes ago" in html


def test_an_unsigned_token_is_not_verified(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    header = b64url(b'{"alg":"none","typ":"JWT"}')
    payload = b64url(json.dumps(claims_for(platform, tenant)).encode())
    assert "alg none is not RS256" in decode(browser, f"{header}.{payload}.")


def test_claim_values_are_escaped(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    token = platform.keys.active(tenant.id).sign(
        claims_for(platform, tenant, app_displayname="<script>alert(1)</script>")
    )
    raw = browser.submit(PAGE, PAGE, {"token": token}).text
    assert "<script>alert" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "paste a token"),
        ("abc", "this one has 1"),
        ("a.b.c.d.e", "encrypted token (JWE)"),
        ("!!!.e30.", "header is not base64url"),
        (f"{b64url(b'[1]')}.e30.", "header is not a JSON object"),
        (f"{b64url(b'{}')}.{b64url(b'nope')}.", "payload is not JSON"),
        ("a" * 20_000, "longer than 16384"),
    ],
)
def test_text_that_is_not_a_jwt_gets_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(TokenDecodeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        split_token(text)


def test_garbage_in_the_decoder_is_a_400_with_the_reason(browser: PortalClient) -> None:
    response = browser.submit(PAGE, PAGE, {"token": "not-a-token"})
    assert response.status_code == 400
    assert "a JWT has three parts" in response.text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (0, "in 0 seconds"),
        (59, "in 59 seconds"),
        (3600, "in 1 hour"),
        (-120, "2 minutes ago"),
        (2 * 86400 + 5, "in 2 days"),
        (-400 * 86400, "1 year ago"),
    ],
)
def test_relative_times(delta: float, text: str) -> None:
    assert relative_time(1_000_000 + delta, 1_000_000) == text


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/portal/tenants", True),
        ("/portal/tenants/x/applications?search=a", True),
        ("https://evil.test/portal/", False),
        ("/portal//evil.test", False),
        ("/portal/\\evil", False),
        ("/other", False),
        ("/portal/a b", False),
    ],
)
def test_sign_in_targets_stay_inside_the_portal(target: str, safe: bool) -> None:
    assert safe_next(target) is safe
