"""Directory audits: a secret added through Graph and one through the CLI are one record each,
naming who added it, visible through Graph (v1.0 and beta) and `tenantlab logs audits`."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from typing import Any

import httpx
import msal
import pytest
from sqlalchemy import select

from tenantlab.directory.audits import CREDENTIALS
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.storage.schema import DirectoryAudit, Tenant

pytestmark = pytest.mark.integration

LiveCloud = Any  # tests/integration/conftest.py
SECRETS_ACTIVITY = CREDENTIALS.display_name  # Entra's name, with an en dash and " and "


def _graph_app(
    cloud: LiveCloud, tenant: Tenant, name: str, roles: list[str]
) -> tuple[Any, httpx.Client]:
    """An app holding `roles` of Microsoft Graph, and a Graph client with its token."""
    directory = cloud.directory
    app = directory.create_application(tenant=tenant.id, display_name=name)
    secret = directory.add_password(tenant=tenant.id, app=app.app_id).secret_text
    for role in roles:
        directory.grant_app_role(
            tenant=tenant.id, client=app.app_id, resource=MICROSOFT_GRAPH_APP_ID, role=role
        )
    result = msal.ConfidentialClientApplication(
        app.app_id,
        client_credential=secret,
        authority=cloud.authority(tenant.id),
        instance_discovery=False,
    ).acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    client = httpx.Client(
        base_url=f"{cloud.origin}/v1.0",
        headers={"Authorization": f"Bearer {result['access_token']}"},
        verify=ssl.create_default_context(cafile=str(cloud.ca_bundle)),
        timeout=30,
    )
    return app, client


def _audits(graph: httpx.Client, filter_: str, version: str = "v1.0") -> list[dict[str, Any]]:
    response = graph.get(
        f"{graph.base_url.scheme}://{graph.base_url.netloc.decode()}/{version}"
        "/auditLogs/directoryAudits",
        params={"$filter": filter_},
    )
    assert response.status_code == 200, response.text
    return list(response.json()["value"])


def _cli(cloud: LiveCloud, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenantlab.cli", *args],
        env={**os.environ, "TENANTLAB_HOME": str(cloud.home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_secrets_added_through_graph_and_the_cli_name_their_initiator(
    cloud: LiveCloud, tenant: Tenant
) -> None:
    provisioner, graph = _graph_app(
        cloud, tenant, "Provisioner", ["Application.ReadWrite.All", "AuditLog.Read.All"]
    )
    target = cloud.directory.create_application(tenant=tenant.id, display_name="Billing daemon")
    on_target = f"targetResources/any(t: t/id eq '{target.id}')"
    secrets_on_target = f"{on_target} and activityDisplayName eq '{SECRETS_ACTIVITY}'"

    added = graph.post(
        f"/applications/{target.id}/addPassword",
        json={"passwordCredential": {"displayName": "from graph"}},
        headers={"client-request-id": "7d1c6f0a-52a4-4a8e-a2c7-3b0c1d2e3f40"},
    )
    assert added.status_code == 200, added.text
    graph_secret = added.json()

    (by_graph,) = _audits(graph, secrets_on_target)
    assert by_graph["initiatedBy"]["app"] == {
        "appId": provisioner.app_id,
        "displayName": "Provisioner",
        "servicePrincipalId": cloud.directory.get_service_principal(
            tenant=tenant.id, key=provisioner.app_id
        ).id,
        "servicePrincipalName": None,
    }
    assert by_graph["initiatedBy"]["user"] is None
    assert by_graph["result"] == "success"
    assert by_graph["category"] == "ApplicationManagement"
    assert by_graph["loggedByService"] == "Core Directory"
    assert by_graph["operationType"] == "Update"
    assert by_graph["correlationId"] == "7d1c6f0a-52a4-4a8e-a2c7-3b0c1d2e3f40"
    (changed,) = by_graph["targetResources"]
    assert (changed["id"], changed["displayName"], changed["type"]) == (
        target.id,
        "Billing daemon",
        "Application",
    )
    description = json.loads(changed["modifiedProperties"][0]["newValue"])[0]
    assert f"KeyIdentifier={graph_secret['keyId']}" in description
    assert f"Hint={graph_secret['hint']}" in description

    cli = _cli(
        cloud,
        "app",
        "secret",
        "add",
        target.app_id,
        "--name",
        "from cli",
        "-t",
        tenant.id,
        "--json",
    )
    assert cli.returncode == 0, cli.stderr
    cli_secret = json.loads(cli.stdout)

    both = _audits(graph, secrets_on_target, version="beta")
    assert len(both) == 2
    by_cli = both[0]  # the newest first
    assert by_cli["initiatedBy"]["app"]["displayName"] == "tenantlab CLI"
    assert by_cli["initiatedBy"]["app"]["appId"] is None
    assert (
        f"KeyIdentifier={cli_secret['keyId']}"
        in by_cli["targetResources"][0]["modifiedProperties"][0]["newValue"]
    )
    assert both[1]["id"] == by_graph["id"]

    # The caller's own changes, by its appId; and `tenantlab logs audits` lists the same.
    mine = _audits(graph, f"initiatedBy/app/appId eq '{provisioner.app_id}'")
    assert [a["id"] for a in mine] == [by_graph["id"]]
    listed = _cli(cloud, "logs", "audits", "-t", tenant.id, "--json", "--top", "1000")
    assert listed.returncode == 0, listed.stderr
    on_target_ids = [
        a["id"]
        for a in json.loads(listed.stdout)
        if a["activityDisplayName"] == SECRETS_ACTIVITY
        and a["targetResources"][0]["id"] == target.id
    ]
    assert on_target_ids == [by_cli["id"], by_graph["id"]]
    by_app = _cli(cloud, "logs", "audits", "-t", tenant.id, "--app", provisioner.app_id)
    assert by_app.returncode == 0, by_app.stderr
    assert by_app.stdout.count("\n") == 1
    assert "Certificates and secrets management" in by_app.stdout
    assert "by Provisioner" in by_app.stdout

    # A refused change is a failure record; --failed finds it.
    refused = graph.post(
        f"/applications/{target.id}/removePassword",
        json={"keyId": "00000000-0000-0000-0000-000000000001"},
    )
    assert refused.status_code in (400, 404), refused.text
    (failure,) = _audits(graph, "result eq 'failure'")
    assert failure["initiatedBy"]["app"]["appId"] == provisioner.app_id
    failed = _cli(cloud, "logs", "audits", "-t", tenant.id, "--failed")
    assert failed.returncode == 0, failed.stderr
    assert failed.stdout.startswith(failure["activityDateTime"])
    assert "failure" in failed.stdout

    # Nothing secret in any record, through Graph or in the rows.
    everything = graph.get("/auditLogs/directoryAudits", params={"$top": "999"}).json()
    with cloud.platform.database.session() as session:
        rows = session.scalars(select(DirectoryAudit).where(DirectoryAudit.tenant_id == tenant.id))
        stored = json.dumps(
            [{c.name: getattr(r, c.name) for c in DirectoryAudit.__table__.columns} for r in rows]
        )
    for secret in (graph_secret["secretText"], cli_secret["secretText"]):
        assert secret not in stored
        assert secret not in json.dumps(everything)


def test_pages_link_by_keyset(cloud: LiveCloud, tenant: Tenant) -> None:
    _, graph = _graph_app(cloud, tenant, "Log reader", ["AuditLog.Read.All"])
    everything = graph.get("/auditLogs/directoryAudits", params={"$top": "999"}).json()
    assert "@odata.nextLink" not in everything
    assert len(everything["value"]) >= 5
    seen: list[str] = []
    page = graph.get("/auditLogs/directoryAudits", params={"$top": "2"}).json()
    while True:
        assert len(page["value"]) <= 2
        seen += [a["id"] for a in page["value"]]
        if "@odata.nextLink" not in page:
            break
        page = graph.get(page["@odata.nextLink"]).json()
    assert seen == [a["id"] for a in everything["value"]]
    one = graph.get(f"/auditLogs/directoryAudits/{seen[0]}")
    assert one.status_code == 200
    assert one.json()["id"] == seen[0]


@pytest.mark.parametrize(
    ("filter_", "status"),
    [
        ("userAgent eq 'x'", 400),
        ("category ne 'UserManagement'", 400),
        ("activityDateTime ge yesterday", 400),
        ("initiatedBy/app/appId eq 'not-a-guid'", 400),
        ("targetResources/any(t: t/displayName eq 'x')", 400),
        ("result eq 'maybe'", 400),
        ("category eq 'ApplicationManagement' and result eq 'success'", 200),
        (
            "activityDateTime ge 2026-01-01T00:00:00Z and activityDateTime le 2099-01-01T00:00:00Z",
            200,
        ),
    ],
)
def test_audit_filters_graph_cannot_take_are_400(
    cloud: LiveCloud, tenant: Tenant, filter_: str, status: int
) -> None:
    _, graph = _graph_app(cloud, tenant, "Log reader", ["AuditLog.Read.All"])
    response = graph.get("/auditLogs/directoryAudits", params={"$filter": filter_})
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error"]["code"] == "BadRequest"
        assert "innerError" in response.json()["error"]


def test_directory_audits_need_audit_log_read_all(cloud: LiveCloud, tenant: Tenant) -> None:
    _, graph = _graph_app(cloud, tenant, "Directory reader", ["Directory.Read.All"])
    response = graph.get("/auditLogs/directoryAudits")
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"
