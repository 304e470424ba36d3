"""Sign-in, sessions, CSRF and the browser-facing headers of the admin center."""

from __future__ import annotations

import json

from portal_client import PASSWORD, PortalClient, administrator
from pydantic import SecretStr
from starlette.applications import Starlette

from tenantlab.clock import FixedClock
from tenantlab.platform import Platform
from tenantlab.portal.admin import ADMIN_SETTING, PortalSettings
from tenantlab.portal.app import create_app
from tenantlab.storage.installation import read_setting


def test_pages_need_a_signed_in_administrator(anonymous: PortalClient) -> None:
    response = anonymous.get("/portal/tenants", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/signin?next=%2Fportal%2Ftenants"


def test_form_posts_need_a_signed_in_administrator(
    anonymous: PortalClient, platform: Platform
) -> None:
    token = anonymous.csrf("/portal/signin")
    response = anonymous.post(
        "/portal/tenants",
        data={"csrf_token": token, "display_name": "Evil", "domain": "evil"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert platform.directory.list_tenants() == []


def test_signing_in_sets_a_strict_secure_http_only_session_cookie(anonymous: PortalClient) -> None:
    token = anonymous.csrf("/portal/signin")
    response = anonymous.post(
        "/portal/signin",
        data={"csrf_token": token, "username": "admin", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/tenants"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("tenantlab_portal=")
    for flag in ("httponly", "samesite=strict", "secure", "path=/portal"):
        assert flag in cookie
    assert PASSWORD.lower() not in cookie


def test_a_wrong_password_is_refused(anonymous: PortalClient) -> None:
    response = anonymous.sign_in("Wrong-Passw0rd!")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.text
    assert anonymous.get("/portal/tenants").url.path == "/portal/signin"


def test_a_wrong_user_name_is_refused(anonymous: PortalClient) -> None:
    token = anonymous.csrf("/portal/signin")
    response = anonymous.post(
        "/portal/signin", data={"csrf_token": token, "username": "root", "password": PASSWORD}
    )
    assert response.status_code == 401


def test_sign_in_without_the_forms_csrf_token_is_refused(anonymous: PortalClient) -> None:
    response = anonymous.post("/portal/signin", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 403
    assert anonymous.get("/portal/tenants").url.path == "/portal/signin"


def test_next_goes_back_to_the_page_asked_for_but_never_off_the_portal(
    anonymous: PortalClient,
) -> None:
    for target, landing in (
        ("/portal/decoder", "/portal/decoder"),
        ("https://evil.test/", "/portal/tenants"),
        ("//evil.test/portal/", "/portal/tenants"),
        ("/portal/..//evil.test", "/portal/tenants"),
    ):
        token = anonymous.csrf("/portal/signin")
        response = anonymous.post(
            "/portal/signin",
            data={"csrf_token": token, "username": "admin", "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == landing
        anonymous.cookies.clear()


def test_every_form_post_checks_the_csrf_token(browser: PortalClient, platform: Platform) -> None:
    for data in ({}, {"csrf_token": "forged-token-of-another-session-000000000"}):
        response = browser.post(
            "/portal/tenants", data={**data, "display_name": "X", "domain": "x"}
        )
        assert response.status_code == 403
        assert "Form expired" in response.text
    assert platform.directory.list_tenants() == []


def test_a_csrf_token_of_another_session_is_refused(
    browser: PortalClient, portal_app: Starlette, platform: Platform
) -> None:
    other = PortalClient(portal_app)
    try:
        other.sign_in()
        foreign = other.csrf("/portal/tenants")
    finally:
        other.close()
    response = browser.post(
        "/portal/tenants", data={"csrf_token": foreign, "display_name": "X", "domain": "x"}
    )
    assert response.status_code == 403
    assert platform.directory.list_tenants() == []


def test_sign_out_ends_the_session_and_copies_of_its_cookie(browser: PortalClient) -> None:
    stolen = dict(browser.cookies)
    response = browser.submit("/portal/tenants", "/portal/signout")
    assert response.url.path == "/portal/signin"
    assert browser.get("/portal/tenants").url.path == "/portal/signin"
    browser.cookies.clear()
    for name, value in stolen.items():
        browser.cookies.set(name, value, domain="portal.test", path="/portal")
    assert browser.get("/portal/tenants").url.path == "/portal/signin"


def test_sessions_end_after_their_lifetime(browser: PortalClient, clock: FixedClock) -> None:
    assert browser.get("/portal/tenants").url.path == "/portal/tenants"
    clock.advance(PortalSettings().session_hours * 3600 + 1)
    assert browser.get("/portal/tenants").url.path == "/portal/signin"


def test_a_new_password_ends_existing_sessions(browser: PortalClient, platform: Platform) -> None:
    administrator(platform.settings.home).set_password("Another-Passw0rd!")
    assert browser.get("/portal/tenants").url.path == "/portal/signin"
    assert browser.sign_in("Another-Passw0rd!").url.path == "/portal/tenants"


def test_repeated_failures_are_throttled_per_client(
    anonymous: PortalClient, clock: FixedClock
) -> None:
    for _ in range(10):
        assert anonymous.sign_in("Wrong-Passw0rd!").status_code == 401
    throttled = anonymous.sign_in()
    assert throttled.status_code == 429
    assert "Too many failed sign-ins" in throttled.text
    clock.advance(301)
    assert anonymous.sign_in().url.path == "/portal/tenants"


def test_clickjacking_and_caching_headers_are_on_every_response(
    browser: PortalClient, anonymous: PortalClient
) -> None:
    for response in (
        browser.get("/portal/tenants"),
        browser.get("/portal/no-such-page"),
        browser.get("/portal/signin"),
    ):
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    static = browser.get("/portal/static/portal.css")
    assert static.status_code == 200
    assert static.headers["x-frame-options"] == "DENY"


def test_unknown_pages_and_methods_get_an_error_page_not_a_traceback(browser: PortalClient) -> None:
    missing = browser.get("/portal/nothing/here")
    assert missing.status_code == 404
    assert "There is no admin center page here" in missing.text
    wrong_method = browser.request("DELETE", "/portal/tenants")
    assert wrong_method.status_code == 405


def test_first_run_generates_a_password_shown_once_and_stored_hashed(
    platform: Platform,
) -> None:
    shown: list[tuple[str, str]] = []
    for _ in range(2):
        create_app(
            platform,
            settings=PortalSettings(),
            announce=lambda u, p: shown.append((u, p)),
            administrator=administrator(platform.settings.home),
        )
    assert len(shown) == 1
    username, password = shown[0]
    record = read_setting(platform.database, ADMIN_SETTING)  # every node's, in the database
    assert record is not None
    assert record.value is not None
    stored = json.loads(record.value)
    assert stored["password_hash"].startswith("$argon2id$")
    assert password not in record.value
    assert administrator(platform.settings.home).verify(username, password)


def test_first_run_password_from_the_environment_is_used_and_not_announced(
    portal_app: Starlette, announced: list[tuple[str, str]], anonymous: PortalClient
) -> None:
    assert announced == []
    assert anonymous.sign_in().url.path == "/portal/tenants"


def test_a_weak_admin_password_is_refused(platform: Platform) -> None:
    import pytest

    from tenantlab.directory import ValidationFailed

    with pytest.raises(ValidationFailed, match="8 to 256"):
        administrator(platform.settings.home).set_password("short")


def test_the_configured_password_resets_a_forgotten_one(platform: Platform) -> None:
    administrator(platform.settings.home).set_password("Forgotten-Passw0rd!")
    shown: list[tuple[str, str]] = []
    create_app(
        platform,
        settings=PortalSettings(password=SecretStr("Remembered-Passw0rd!")),
        announce=lambda u, p: shown.append((u, p)),
        administrator=administrator(platform.settings.home),
    )
    admin = administrator(platform.settings.home)
    assert shown == []
    assert admin.verify("admin", "Remembered-Passw0rd!")
    assert not admin.verify("admin", "Forgotten-Passw0rd!")
