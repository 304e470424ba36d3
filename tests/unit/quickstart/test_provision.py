"""Provisioning the quickstart's tenants: complete, idempotent, and credentials recoverable."""

from __future__ import annotations

import json
import stat

from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.platform import Platform
from tenantlab.quickstart import provision
from tenantlab.quickstart.spec import (
    CIAM_DAEMON,
    EXTERNAL_DOMAIN,
    SECRET_NAME,
    TODO_API,
    WORKFORCE_DAEMON,
    WORKFORCE_DOMAIN,
)


def _secret_credential(platform: Platform, object_id: str, value: str) -> bool:
    return any(
        c.display_name == SECRET_NAME and platform.directory.secret_matches(c, value)
        for c in platform.directory.password_credentials(object_id)
    )


def test_first_run_creates_what_the_quickstart_document_clicks_through(platform: Platform) -> None:
    p = provision(platform)
    d = platform.directory
    assert (p.workforce.domain, p.workforce.tenant_type) == (WORKFORCE_DOMAIN, "workforce")
    assert (p.external.domain, p.external.tenant_type) == (EXTERNAL_DOMAIN, "external")
    assert p.external.subdomain == "woodgrove"
    assert (p.workforce_daemon.display_name, p.ciam_daemon.display_name) == (
        WORKFORCE_DAEMON,
        CIAM_DAEMON,
    )

    api = d.get_application(tenant=p.external.id, app=p.todo_api.object_id)
    assert api.display_name == TODO_API
    assert api.identifier_uris == [f"api://{api.app_id}"]
    assert api.requested_access_token_version == 2
    assert [r["value"] for r in api.app_roles] == ["ToDoList.Read.All", "ToDoList.ReadWrite.All"]
    assert [s["value"] for s in api.oauth2_permission_scopes] == [
        "ToDoList.Read",
        "ToDoList.ReadWrite",
    ]
    assert api.optional_claims["accessToken"][0]["name"] == "idtyp"

    ciam_sp = d.get_service_principal(tenant=p.external.id, key=p.ciam_daemon.app_id)
    api_sp = d.get_service_principal(tenant=p.external.id, key=api.app_id)
    graph_sp = d.get_service_principal(tenant=p.external.id, key=MICROSOFT_GRAPH_APP_ID)
    assert sorted(d.assigned_role_values(ciam_sp.id, api_sp.id)) == [
        "ToDoList.Read.All",
        "ToDoList.ReadWrite.All",
    ]
    assert sorted(d.assigned_role_values(ciam_sp.id, graph_sp.id)) == [
        "Application.Read.All",
        "User.Read.All",
    ]
    workforce_sp = d.get_service_principal(tenant=p.workforce.id, key=p.workforce_daemon.app_id)
    workforce_graph = d.get_service_principal(tenant=p.workforce.id, key=MICROSOFT_GRAPH_APP_ID)
    assert sorted(d.assigned_role_values(workforce_sp.id, workforce_graph.id)) == [
        "Application.Read.All",
        "User.Read.All",
    ]
    assert len(d.list_users(tenant=p.workforce.id)) >= 5
    assert len(d.list_users(tenant=p.external.id)) >= 3

    assert _secret_credential(platform, p.workforce_daemon.object_id, p.workforce_secret)
    assert _secret_credential(platform, p.ciam_daemon.object_id, p.ciam_secret)
    thumbprints = [k.thumbprint_sha1 for k in d.key_credentials(p.ciam_daemon.object_id)]
    assert thumbprints == [p.certificate.thumbprint]
    assert stat.S_IMODE(p.certificate.private_key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in p.certificate.private_key.read_bytes()


def test_second_run_reuses_every_object_and_credential(platform: Platform) -> None:
    first = provision(platform)
    revision = platform.directory.revision()
    second = provision(platform)
    assert second.changes == []
    assert platform.directory.revision() == revision
    assert (second.workforce, second.external) == (first.workforce, first.external)
    assert (second.workforce_daemon, second.ciam_daemon, second.todo_api) == (
        first.workforce_daemon,
        first.ciam_daemon,
        first.todo_api,
    )
    assert (second.workforce_secret, second.ciam_secret) == (
        first.workforce_secret,
        first.ciam_secret,
    )
    assert second.certificate == first.certificate


def test_a_lost_secret_value_is_replaced_not_guessed(platform: Platform) -> None:
    first = provision(platform)
    kept = platform.settings.home / "secrets" / f"{first.ciam_daemon.app_id}.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert json.loads(kept.read_text())[-1]["secretText"] == first.ciam_secret
    kept.unlink()

    second = provision(platform)
    assert second.ciam_secret != first.ciam_secret
    assert second.workforce_secret == first.workforce_secret
    assert any("replaced the secret of ciam-daemon-app" in c for c in second.changes)
    credentials = platform.directory.password_credentials(second.ciam_daemon.object_id)
    assert [c.display_name for c in credentials] == [SECRET_NAME]  # the old one is gone
    assert _secret_credential(platform, second.ciam_daemon.object_id, second.ciam_secret)
    assert provision(platform).ciam_secret == second.ciam_secret


def test_a_removed_certificate_is_made_again(platform: Platform) -> None:
    first = provision(platform)
    d = platform.directory
    (credential,) = d.key_credentials(first.ciam_daemon.object_id)
    d.remove_certificate(
        tenant=first.external.id, app=first.ciam_daemon.object_id, key_id=credential.key_id
    )
    second = provision(platform)
    assert second.certificate.thumbprint != first.certificate.thumbprint
    assert [k.thumbprint_sha1 for k in d.key_credentials(first.ciam_daemon.object_id)] == [
        second.certificate.thumbprint
    ]
