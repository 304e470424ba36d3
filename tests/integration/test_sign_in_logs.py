"""Sign-in logs: each token request real MSAL makes is one signIn, through Graph and the CLI."""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
from issuers import SUBJECT, serve_issuer
from sqlalchemy import select
from test_credentials_certificate import make_cert_files

from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, new_guid
from tenantlab.keys import ensure_tls
from tenantlab.portal.admin import LocalAdministrator
from tenantlab.storage.schema import DirectoryAudit, SignIn, Tenant

pytestmark = pytest.mark.integration

LiveCloud = Any  # tests/integration/conftest.py
StsRegistration = Any
PASSWORD = "Sign-In-Passw0rd!"
PORTAL_PASSWORD = "Portal-Passw0rd!"

READ_FILES = """
import pathlib, sys
for name in sys.argv[1:]:
    path = pathlib.Path(name)
    if path.exists():
        sys.stdout.buffer.write(path.read_bytes())
"""


def _confidential(cloud: LiveCloud, tenant_id: str, client_id: str, credential: Any) -> Any:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=cloud.authority(tenant_id),
        instance_discovery=False,
    )


def _graph(cloud: LiveCloud, tenant: Tenant, version: str = "beta") -> httpx.Client:
    """A Graph client for an app holding AuditLog.Read.All."""
    directory = cloud.directory
    app = directory.create_application(tenant=tenant.id, display_name="Log reader")
    secret = directory.add_password(tenant=tenant.id, app=app.app_id).secret_text
    directory.grant_app_role(
        tenant=tenant.id,
        client=app.app_id,
        resource=MICROSOFT_GRAPH_APP_ID,
        role="AuditLog.Read.All",
    )
    result = _confidential(cloud, tenant.id, app.app_id, secret).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )
    assert "access_token" in result, result
    return httpx.Client(
        base_url=f"{cloud.origin}/{version}",
        headers={"Authorization": f"Bearer {result['access_token']}"},
        verify=ssl.create_default_context(cafile=str(cloud.ca_bundle)),
        timeout=30,
    )


def _sign_ins(graph: httpx.Client, filter_: str) -> list[dict[str, Any]]:
    response = graph.get("/auditLogs/signIns", params={"$filter": filter_})
    assert response.status_code == 200, response.text
    return list(response.json()["value"])


def test_every_credential_kind_gives_exactly_one_sign_in(
    cloud: LiveCloud, sts_registration: StsRegistration, tmp_path: Path
) -> None:
    reg = sts_registration
    tenant_id = reg.tenant.id
    directory = cloud.directory
    scope = [f"{reg.api_uri}/.default"]
    secrets: list[str] = [reg.secret]

    wrong = _confidential(cloud, tenant_id, reg.daemon_app_id, "not-the-secret-" + new_guid())
    secrets.append(wrong.client_credential)
    refused = wrong.acquire_token_for_client(scopes=scope)
    assert refused.get("error_codes") == [7000215], refused

    issued = _confidential(cloud, tenant_id, reg.daemon_app_id, reg.secret)
    good = issued.acquire_token_for_client(scopes=scope)
    assert "access_token" in good, good
    tokens = [good["access_token"]]

    files = make_cert_files(tmp_path / "cert")
    directory.add_certificate(
        tenant=tenant_id, app=reg.daemon_app_id, certificate_pem_or_der=files.cert_pem
    )
    certificate = _confidential(
        cloud,
        tenant_id,
        reg.daemon_app_id,
        {"private_key": files.key_pem.decode(), "thumbprint": files.sha1_hex},
    )
    by_certificate = certificate.acquire_token_for_client(scopes=scope)
    assert "access_token" in by_certificate, by_certificate
    tokens.append(by_certificate["access_token"])

    tls = ensure_tls(cloud.home)
    with serve_issuer(tls.server_cert, tls.server_key) as issuer:
        directory.add_federated_credential(
            tenant=tenant_id,
            app=reg.daemon_app_id,
            name="workload",
            issuer=issuer.url,
            subject=SUBJECT,
        )
        assertion = issuer.token()
        federated = _confidential(
            cloud, tenant_id, reg.daemon_app_id, {"client_assertion": lambda: assertion}
        )
        by_federation = federated.acquire_token_for_client(scopes=scope)
    assert "access_token" in by_federation, by_federation
    tokens.append(by_federation["access_token"])

    public = directory.create_application(tenant=tenant_id, display_name="Signing-in client")
    directory.grant_delegated(
        tenant=tenant_id,
        client=public.app_id,
        resource=MICROSOFT_GRAPH_APP_ID,
        scopes=["User.Read"],
    )
    domain = directory.tenant_domains(tenant_id)[0]
    user = directory.create_user(
        tenant=tenant_id,
        user_principal_name=f"megan@{domain}",
        display_name="Megan",
        password=PASSWORD,
    )
    # MSAL's user realm discovery drops the port; skip it for localhost (as MSAL does after a 404).
    msal.authority.Authority._domains_without_user_realm_discovery.add("localhost")
    user_app = msal.PublicClientApplication(
        public.app_id, authority=cloud.authority(tenant_id), instance_discovery=False
    )
    by_password = user_app.acquire_token_by_username_password(
        user.user_principal_name, PASSWORD, scopes=["https://graph.microsoft.com/User.Read"]
    )
    assert "access_token" in by_password, by_password
    tokens.append(by_password["access_token"])

    cloud.platform.sign_ins.flush()
    graph = _graph(cloud, reg.tenant)
    cloud.platform.sign_ins.flush()

    daemon = _sign_ins(graph, f"appId eq '{reg.daemon_app_id}'")
    kinds = sorted((s["clientCredentialType"], s["status"]["errorCode"]) for s in daemon)
    assert kinds == [
        ("clientAssertion", 0),
        ("clientSecret", 0),
        ("clientSecret", 7000215),
        ("federatedIdentityCredential", 0),
    ]
    for record in daemon:
        assert record["appDisplayName"] == "Daemon"
        assert record["servicePrincipalId"] == reg.daemon_sp_id
        assert record["resourceId"] == reg.api_app_id
        assert record["resourceDisplayName"] == "ToDo API"
        assert record["signInEventTypes"] == ["servicePrincipal"]
        assert record["ipAddress"] == "127.0.0.1"
        assert record["userId"] is None
    failed = next(s for s in daemon if s["status"]["errorCode"])
    # The correlation id of the AADSTS body, so a failing client's log line finds its record.
    assert failed["correlationId"] == refused["correlation_id"]
    assert "Invalid client secret" in failed["status"]["failureReason"]
    succeeded = [s for s in daemon if not s["status"]["errorCode"]]
    assert all(s["status"]["failureReason"] is None for s in succeeded)

    # The newest first, and the filters Graph documents narrow the same list.
    assert [s["createdDateTime"] for s in daemon] == sorted(
        (s["createdDateTime"] for s in daemon), reverse=True
    )
    only_failed = _sign_ins(graph, f"appId eq '{reg.daemon_app_id}' and status/errorCode ne 0")
    assert [s["id"] for s in only_failed] == [failed["id"]]

    (password,) = _sign_ins(graph, f"appId eq '{public.app_id}'")
    assert password["signInEventTypes"] == ["interactiveUser"]
    assert password["userId"] == user.id
    assert password["userPrincipalName"] == user.user_principal_name
    assert password["clientCredentialType"] == "none"
    assert password["resourceId"] == MICROSOFT_GRAPH_APP_ID
    assert password["status"]["errorCode"] == 0
    users_only = _sign_ins(graph, "signInEventTypes/any(t: t eq 'interactiveUser')")
    assert [s["id"] for s in users_only] == [password["id"]]

    # v1.0 serves the same records; pages are keyset-linked.
    v1 = graph.get(
        f"{cloud.origin}/v1.0/auditLogs/signIns",
        params={"$filter": f"appId eq '{reg.daemon_app_id}'", "$top": "3"},
    ).json()
    assert len(v1["value"]) == 3
    rest = graph.get(v1["@odata.nextLink"]).json()
    assert [s["id"] for s in v1["value"] + rest["value"]] == [s["id"] for s in daemon]
    assert "@odata.nextLink" not in rest

    # Nothing secret in any stored record.
    with cloud.platform.database.session() as session:
        rows = session.scalars(select(SignIn).where(SignIn.tenant_id == tenant_id)).all()
        stored = json.dumps(
            [{c.name: getattr(r, c.name) for c in SignIn.__table__.columns} for r in rows]
        )
    with cloud.platform.database.session() as session:
        audit_rows = session.scalars(
            select(DirectoryAudit).where(DirectoryAudit.tenant_id == tenant_id)
        ).all()
        audited = json.dumps(
            [
                {c.name: getattr(r, c.name) for c in DirectoryAudit.__table__.columns}
                for r in audit_rows
            ]
        )
    assert "Certificates and secrets management" in audited  # the secrets and the certificate
    # And the database files themselves (main file and write-ahead log), byte for byte.
    database_file = Path(str(cloud.platform.database.engine.url.database))
    # Read in another process: closing a descriptor of the file here would drop the live
    # server's SQLite locks (POSIX locks belong to the process; tests/unit/test_sqlite_locks.py).
    on_disk = subprocess.run(
        [sys.executable, "-c", READ_FILES, str(database_file), f"{database_file}-wal"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    assert reg.daemon_app_id.encode() in on_disk  # the scan reads what the records hold
    for secret in [*secrets, assertion, PASSWORD, files.key_pem.decode(), *tokens]:
        assert secret not in stored
        assert secret not in audited
        assert secret.encode() not in on_disk
    assert len(rows) == 6  # the five above and the log reader's own

    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "tenantlab.cli",
            "logs",
            "sign-ins",
            "-t",
            tenant_id,
            "--app",
            reg.daemon_app_id,
            "--json",
        ],
        env={**_env(cloud)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    listed = json.loads(cli.stdout)
    assert [s["id"] for s in listed] == [s["id"] for s in daemon]
    failed_only = subprocess.run(
        [sys.executable, "-m", "tenantlab.cli", "logs", "sign-ins", "-t", tenant_id, "--failed"],
        env={**_env(cloud)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed_only.returncode == 0, failed_only.stderr
    assert "AADSTS7000215" in failed_only.stdout
    assert refused["correlation_id"] in failed_only.stdout
    assert failed_only.stdout.count("AADSTS") == 1

    # The admin center's Sign-in logs page lists the same records, each linking its detail.
    portal = _portal(cloud)
    listed_page = portal.get(
        f"/portal/tenants/{tenant_id}/sign-in-logs", params={"app": reg.daemon_app_id}
    )
    assert listed_page.status_code == 200
    linked = re.findall(r"[?&amp;]+id=([0-9a-f-]{36})", listed_page.text)
    assert linked == [s["id"] for s in daemon]
    password_page = portal.get(
        f"/portal/tenants/{tenant_id}/sign-in-logs", params={"app": public.app_id}
    )
    assert re.findall(r"[?&amp;]+id=([0-9a-f-]{36})", password_page.text) == [password["id"]]
    assert user.user_principal_name in password_page.text
    detail = portal.get(
        f"/portal/tenants/{tenant_id}/sign-in-logs",
        params={"app": reg.daemon_app_id, "id": failed["id"]},
    )
    assert "AADSTS7000215" in detail.text
    assert refused["correlation_id"] in detail.text
    for secret in [*secrets, assertion, PASSWORD, *tokens]:
        assert secret not in listed_page.text + password_page.text + detail.text


def _portal(cloud: LiveCloud) -> httpx.Client:
    """The admin center over HTTPS, signed in as its local administrator."""
    LocalAdministrator(cloud.home).set_password(PORTAL_PASSWORD)
    client = httpx.Client(
        base_url=cloud.origin,
        verify=ssl.create_default_context(cafile=str(cloud.ca_bundle)),
        timeout=30,
        follow_redirects=True,
    )
    form = client.get("/portal/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    signed_in = client.post(
        "/portal/signin",
        data={"csrf_token": token.group(1), "username": "admin", "password": PORTAL_PASSWORD},
    )
    assert signed_in.url.path == "/portal/tenants", signed_in.url
    return client


def _env(cloud: LiveCloud) -> dict[str, str]:
    import os

    return {**os.environ, "TENANTLAB_HOME": str(cloud.home)}


@pytest.mark.parametrize(
    ("filter_", "status"),
    [
        ("userAgent eq 'x'", 400),
        ("appId gt '00000000-0000-0000-0000-000000000001'", 400),
        ("createdDateTime ge yesterday", 400),
        ("signInEventTypes/any(t: t eq 'servicePrincipal')", 200),
        (
            "createdDateTime ge 2026-01-01T00:00:00Z and createdDateTime le 2099-01-01T00:00:00Z",
            200,
        ),
    ],
)
def test_sign_in_filters_graph_cannot_take_are_400(
    cloud: LiveCloud, tenant: Tenant, filter_: str, status: int
) -> None:
    graph = _graph(cloud, tenant)
    response = graph.get("/auditLogs/signIns", params={"$filter": filter_})
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error"]["code"] == "BadRequest"


def test_sign_ins_need_audit_log_read_all(cloud: LiveCloud, tenant: Tenant) -> None:
    directory = cloud.directory
    app = directory.create_application(tenant=tenant.id, display_name="Directory reader")
    secret = directory.add_password(tenant=tenant.id, app=app.app_id).secret_text
    directory.grant_app_role(
        tenant=tenant.id,
        client=app.app_id,
        resource=MICROSOFT_GRAPH_APP_ID,
        role="Directory.Read.All",
    )
    result = _confidential(cloud, tenant.id, app.app_id, secret).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )
    response = httpx.get(
        f"{cloud.origin}/beta/auditLogs/signIns",
        headers={"Authorization": f"Bearer {result['access_token']}"},
        verify=ssl.create_default_context(cafile=str(cloud.ca_bundle)),
    )
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"
