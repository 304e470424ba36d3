"""The ToDo API under real uvicorn + TLS, trusting the live cloud; tokens from real MSAL.

Dogfood: the API and its daemon come from the pytest plugin (`todo_api`, `app`); `register` and
`run_api` stay for the modules that import them.
"""

from __future__ import annotations

import ssl
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest

from tenantlab.keys import ensure_tls
from tenantlab.testing import LiveTenant, LiveTodoApi, serve_in_thread, start_todo_api
from tenantlab.testing.todo import APP_ROLES
from tenantlab.todo import TodoApiSettings, build_app

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
Tenant = Any


@dataclass
class TodoDeployment:
    """A ToDo API registration in a fresh tenant, its running server, and a daemon for it."""

    cloud: LiveCloud
    tenant_id: str
    api_app_id: str
    daemon_app_id: str
    secret: str
    url: str

    def app_token(self, resource: str | None = None) -> str:
        """A fresh MSAL app each time, so the token comes from the server, not MSAL's cache."""
        app = msal.ConfidentialClientApplication(
            self.daemon_app_id,
            client_credential=self.secret,
            authority=self.cloud.authority(self.tenant_id),
            instance_discovery=False,
        )
        result = app.acquire_token_for_client(
            scopes=[f"{resource or 'api://' + self.api_app_id}/.default"]
        )
        assert "access_token" in result, result
        token: str = result["access_token"]
        return token

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            verify=ssl.create_default_context(cafile=str(self.cloud.ca_bundle)),
        )


def register(cloud: LiveCloud, tenant: Tenant, *, version: int | None = 2) -> tuple[str, str, str]:
    directory = cloud.directory
    api = directory.create_application(
        tenant=tenant.id,
        display_name="ciam-dotnet-api",
        identifier_uris=["api://{appId}"],
        requested_access_token_version=version,
    )
    for value in ("ToDoList.Read.All", "ToDoList.ReadWrite.All"):
        directory.add_app_role(tenant=tenant.id, app=api.app_id, value=value)
    for value in ("ToDoList.Read", "ToDoList.ReadWrite"):
        directory.add_permission_scope(tenant=tenant.id, app=api.app_id, value=value)
    daemon = directory.create_application(tenant=tenant.id, display_name="ciam-dotnet-daemon")
    secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
    for role in ("ToDoList.Read.All", "ToDoList.ReadWrite.All"):
        directory.grant_app_role(
            tenant=tenant.id, client=daemon.app_id, resource=api.app_id, role=role
        )
    return api.app_id, daemon.app_id, secret


def run_api(cloud: LiveCloud, tenant_id: str, api_app_id: str, folder: Path) -> Any:
    settings = TodoApiSettings(
        instance=cloud.origin,
        tenant_id=tenant_id,
        client_id=api_app_id,
        ca_bundle=cloud.ca_bundle,
        database_url=f"sqlite:///{folder / 'todo.db'}",
        home=folder,
    )
    tls = ensure_tls(cloud.home)
    return serve_in_thread(
        lambda _port: build_app(settings), certfile=tls.server_cert, keyfile=tls.server_key
    )


@pytest.fixture
def deployment(todo_api: LiveTodoApi, app: Any) -> TodoDeployment:
    """The plugin's live ToDo API, and a daemon granted both of its app roles."""
    daemon = app("ciam-dotnet-daemon", secret=True, roles={todo_api.api: APP_ROLES})
    tenant = todo_api.tenant
    return TodoDeployment(
        tenant.cloud, tenant.id, todo_api.api.app_id, daemon.app_id, daemon.secret, todo_api.url
    )


def test_the_dotnet_daemon_scenario_with_an_msal_app_token(deployment: TodoDeployment) -> None:
    with deployment.client(deployment.app_token()) as api:
        bake = api.post(
            "/api/todolist", json={"Id": 0, "Owner": str(uuid.uuid4()), "Description": "Bake bread"}
        )
        assert bake.status_code == 201, bake.text
        butter = api.post(
            "/api/todolist",
            json={"Id": 0, "Owner": str(uuid.uuid4()), "Description": "Butter bread"},
        )
        assert [t["description"] for t in api.get("/api/todolist").json()] == [
            "Bake bread",
            "Butter bread",
        ]
        assert api.request("DELETE", bake.headers["location"], json=bake.json()).status_code == 200
        edited = api.put(f"/api/todolist/{butter.json()['id']}", json={"Description": "Eat bread"})
        assert edited.json()["description"] == "Eat bread"
        assert api.delete(f"/api/todolist/{butter.json()['id']}").status_code == 200
        assert api.get("/api/todolist").json() == []


def test_a_token_for_another_resource_is_refused(
    deployment: TodoDeployment, cloud: LiveCloud
) -> None:
    directory = cloud.directory
    other = directory.create_application(
        tenant=deployment.tenant_id,
        display_name="Other API",
        identifier_uris=["api://{appId}"],
        requested_access_token_version=2,
    )
    directory.add_app_role(tenant=deployment.tenant_id, app=other.app_id, value="ToDoList.Read.All")
    directory.grant_app_role(
        tenant=deployment.tenant_id,
        client=deployment.daemon_app_id,
        resource=other.app_id,
        role="ToDoList.Read.All",
    )
    token = deployment.app_token(f"api://{other.app_id}")
    with deployment.client(token) as api:
        response = api.get("/api/todolist")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_key_rotation_at_the_sts_is_seen_without_restart(
    deployment: TodoDeployment, cloud: LiveCloud
) -> None:
    before = deployment.app_token()
    with deployment.client(before) as api:
        assert api.get("/api/todolist").status_code == 200
    cloud.platform.keys.rotate(deployment.tenant_id)
    after = deployment.app_token()
    assert jwt.get_unverified_header(after)["kid"] != jwt.get_unverified_header(before)["kid"]
    with deployment.client(after) as api:
        assert api.get("/api/todolist").status_code == 200
    with deployment.client(before) as api:  # still published until its tokens expire
        assert api.get("/api/todolist").status_code == 200


def test_v1_tokens_of_an_api_left_at_version_null(
    tenantlab_tenant: LiveTenant, app: Any, tmp_path: Path
) -> None:
    with start_todo_api(tenantlab_tenant, tmp_path, token_version=None) as todo_api:
        daemon = app("daemon", secret=True, roles={todo_api.api: APP_ROLES})
        token = daemon.token(todo_api.api)
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["ver"], claims["aud"]) == ("1.0", f"api://{todo_api.api.app_id}")
        with todo_api.client(token) as api:
            created = api.post("/api/todolist", json={"description": "from a v1 token"})
            assert created.status_code == 201, created.text


def test_tenantlab_daemon_runs_the_samples_scenario_against_the_api(
    deployment: TodoDeployment,
) -> None:
    import io
    import json

    from tenantlab.daemon.console import main

    out, err = io.StringIO(), io.StringIO()
    environ = {
        "TENANTLAB_DAEMON_AUTHORITY": deployment.cloud.authority(deployment.tenant_id),
        "TENANTLAB_DAEMON_CLIENT_ID": deployment.daemon_app_id,
        "TENANTLAB_DAEMON_CLIENT_SECRET": deployment.secret,
        "TENANTLAB_DAEMON_API_SCOPE": f"api://{deployment.api_app_id}/.default",
        "TENANTLAB_DAEMON_API_ENDPOINT": f"{deployment.url}/api/todolist",
        "TENANTLAB_DAEMON_CA_BUNDLE": str(deployment.cloud.ca_bundle),
    }
    code = main(["--op", "scenario"], stdout=out, stderr=err, environ=environ)
    assert code == 0, err.getvalue()
    steps = json.loads(out.getvalue())
    listings = [[t["description"] for t in step["todos"]] for step in steps if "todos" in step]
    assert listings == [
        ["Bake bread"],
        ["Bake bread", "Butter bread"],
        ["Butter bread"],
        ["Eat bread"],
        [],
    ]
    with deployment.client(deployment.app_token()) as api:
        assert api.get("/api/todolist").json() == []
