"""The pytest plugin's fixtures (tenantlab.testing.plugin), judged by real MSAL and azure-identity.

This suite's conftest has `cloud` and `tenant` fixtures of its own; these tests use the plugin's
names (`tenantlab_tenant`, `app`, `api`, `grant`, `user`), which must work beside them.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tenantlab.storage.schema import Tenant
from tenantlab.testing import OMIT, LiveCloud, LiveTenant, LiveTodoApi, TokenRefused

pytestmark = pytest.mark.integration

Reader = Callable[[str], dict[str, Any]]


def test_an_app_with_a_secret_gets_the_roles_it_was_granted(
    tenantlab_tenant: LiveTenant, app: Any, api: Any, read_sts_token: Reader
) -> None:
    orders = api("orders-api", roles=["Orders.Read", "Orders.Write"])
    daemon = app("orders-daemon", secret=True, roles={orders: ["Orders.Read"]})
    claims = read_sts_token(daemon.token(orders))
    assert claims["aud"] == orders.app_id == orders.audience
    assert claims["iss"] == tenantlab_tenant.issuer
    assert claims["azp"] == daemon.client_id
    assert claims["oid"] == daemon.service_principal_id
    assert claims["roles"] == ["Orders.Read"]


def test_the_roles_claim_is_absent_until_grant_consents(
    app: Any, api: Any, grant: Any, read_sts_token: Reader
) -> None:
    orders = api("orders-api", roles=["Orders.Read"])
    daemon = app("orders-daemon", secret=True)
    assert "roles" not in read_sts_token(daemon.token(orders))
    grant(daemon, orders, roles=["Orders.Read"])
    assert read_sts_token(daemon.token(orders))["roles"] == ["Orders.Read"]


def test_a_v1_api_gets_v1_tokens_for_its_identifier_uri(
    app: Any, api: Any, read_sts_token: Reader, tenantlab_tenant: LiveTenant
) -> None:
    legacy = api("legacy-api", identifier_uri="api://legacy-{appId}", token_version=1)
    assert legacy.identifier_uri == f"api://legacy-{legacy.app_id}"
    daemon = app("daemon", secret="a-chosen-secret-value-1234567890")
    assert daemon.secret == "a-chosen-secret-value-1234567890"
    claims = read_sts_token(daemon.token(legacy.identifier_uri))
    assert claims["ver"] == "1.0"
    assert claims["aud"] == legacy.audience == legacy.identifier_uri
    assert claims["iss"] == tenantlab_tenant.v1_issuer


def test_a_wrong_secret_is_refused_with_entras_error(app: Any, api: Any) -> None:
    orders = api("orders-api")
    daemon = app("orders-daemon", secret=True)
    with pytest.raises(TokenRefused) as refused:
        daemon.token(orders, credential="not-the-secret")
    assert refused.value.error == "invalid_client"
    assert 7000215 in refused.value.codes


def test_a_certificate_credential_works_with_msal_and_azure_identity(
    app: Any, api: Any, read_sts_token: Reader
) -> None:
    from azure.identity import CertificateCredential

    orders = api("orders-api", roles=["Orders.Read"])
    daemon = app("cert-daemon", certificate=True, roles={orders: ["Orders.Read"]})
    assert daemon.secret is None
    assert daemon.certificate is not None
    assert read_sts_token(daemon.token(orders))["roles"] == ["Orders.Read"]
    with CertificateCredential(
        daemon.tenant_id,
        daemon.client_id,
        certificate_path=str(daemon.certificate.path),
        authority=daemon.authority.rsplit("/", 1)[0],
        disable_instance_discovery=True,
    ) as credential:
        token = credential.get_token(orders.default_scope).token
    assert read_sts_token(token)["azp"] == daemon.client_id


def test_graph_roles_reach_graph(app: Any, tenantlab_cloud: LiveCloud, user: Any) -> None:
    adele = user("adele")
    reader = app("directory-reader", secret=True, roles={"graph": ["User.Read.All"]})
    answer = httpx.get(
        f"{tenantlab_cloud.graph_url}/users",
        headers={"Authorization": f"Bearer {reader.token('graph')}"},
        verify=tenantlab_cloud.ssl_context(),
    )
    assert answer.status_code == 200, answer.text
    assert adele.user_principal_name in [u["userPrincipalName"] for u in answer.json()["value"]]


def test_a_user_with_a_password_signs_in_for_a_consented_scope(
    tenantlab_tenant: LiveTenant, app: Any, api: Any, user: Any, read_sts_token: Reader
) -> None:
    orders = api("orders-api", scopes=["Orders.Manage"])
    client = app("orders-cli", scopes={orders: ["Orders.Manage"]})
    adele = user("adele.vance", password="Correct-Horse-9!")
    assert adele.display_name == "Adele Vance"
    token = client.user_token(adele, [f"{orders.identifier_uri}/Orders.Manage"])
    claims = read_sts_token(token)
    assert claims["scp"] == "Orders.Manage"
    assert claims["oid"] == adele.id


@pytest.mark.parametrize("form", ["app-service", "imds"])
def test_a_managed_identity_token_from_the_hosts_environment_reaches_graph(
    managed_identity: Any,
    tenantlab_tenant: LiveTenant,
    tenantlab_cloud: LiveCloud,
    monkeypatch: pytest.MonkeyPatch,
    form: str,
) -> None:
    from azure.identity import ManagedIdentityCredential

    identity = managed_identity("vm1", roles={"graph": ["User.Read.All"]})
    for name in (
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "IMDS_ENDPOINT",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        "AZURE_CLIENT_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in tenantlab_tenant.host_environment("vm1", form).items():
        monkeypatch.setenv(name, value)
    with ManagedIdentityCredential() as credential:
        token = credential.get_token("https://graph.microsoft.com/.default").token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["oid"] == identity.principal_id
    answer = httpx.get(
        f"{tenantlab_cloud.graph_url}/users",
        headers={"Authorization": f"Bearer {token}"},
        verify=tenantlab_cloud.ssl_context(),
    )
    assert answer.status_code == 200, answer.text


def test_federated_credentials_are_registered(app: Any, tenantlab_tenant: LiveTenant) -> None:
    issuer = "https://token.actions.githubusercontent.com"
    workload = app("ci", federated=[(issuer, "repo:contoso/orders:ref:refs/heads/main")])
    stored = tenantlab_tenant.directory.federated_credentials(workload.object_id)
    assert [(c.issuer, c.subject) for c in stored] == list(workload.federated)


def test_the_suites_own_tenant_fixture_is_the_plugins_tenant(
    tenant: Tenant, tenantlab_tenant: LiveTenant, cloud: LiveCloud, tenantlab_cloud: LiveCloud
) -> None:
    """tenantlab's conftest overrides `tenant` and `cloud`; they stay the plugin's objects."""
    assert tenant is tenantlab_tenant.row
    assert cloud is tenantlab_cloud
    # tenantlab's own suite asks for management apps at once (pyproject: ini option).
    credentials = tenantlab_tenant.management()
    assert credentials.tenantId == tenant.id
    assert tenantlab_tenant.management() == credentials  # once: read back, not made again


def test_new_data_folders_are_copies_of_one_template_per_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenantlab.testing.homes import build_digest, cache_root, prepare_home

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first, second = tmp_path / "first", tmp_path / "second"
    for name, days_ago in (("another-build-old", 3), ("another-build-in-use", 0)):
        (cache_root() / name).mkdir(parents=True)
        when = time.time() - days_ago * 86_400
        os.utime(cache_root() / name, (when, when))
    prepare_home(first)
    prepare_home(second)
    assert sorted(p.name for p in cache_root().iterdir()) == sorted(
        [build_digest(), "another-build-in-use"]
    )
    assert (first / "tls" / "ca.pem").read_bytes() == (second / "tls" / "ca.pem").read_bytes()
    assert (first / "tenantlab.db").stat().st_ino != (second / "tenantlab.db").stat().st_ino
    assert stat.S_IMODE(second.stat().st_mode) == 0o700
    assert stat.S_IMODE((second / "tls" / "ca-key.pem").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("forgery", "status"),
    [
        ({}, 200),
        ({"key": "foreign"}, 401),
        ({"key": "none"}, 401),
        ({"key": "hs256-with-public-key"}, 401),
        ({"expired": True}, 401),
        ({"issuer": "https://evil.example/v2.0"}, 401),
        ({"claims": {"roles": OMIT}}, 401),  # neither roles nor scp: not a usable token
        ({"roles": ["ToDoList.Write.Elsewhere"]}, 403),
    ],
)
def test_forged_tokens_at_the_live_todo_api(
    todo_api: LiveTodoApi, tenantlab_tenant: LiveTenant, app: Any, forgery: Any, status: int
) -> None:
    """`tenant.forge` makes the token the STS would issue, except for what is asked."""
    daemon = app("daemon", roles={todo_api.api: ["ToDoList.Read.All"]})
    token = tenantlab_tenant.forge(audience=todo_api.api, client=daemon, **forgery)
    with todo_api.client(token) as client:
        answer = client.get("/api/todolist")
    assert answer.status_code == status, answer.text
