"""`tenantlab probe-api` against live APIs under real uvicorn + TLS: tenantlab's own ToDo API
refuses every attack; deliberately weak FastAPI apps written here are caught, each for its flaw.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import jwt
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse

from tenantlab.cli import cli
from tenantlab.keys import ensure_tls
from tenantlab.probe.catalogue import ATTACKS
from tenantlab.testing import LiveCloud, LiveTenant, serve_in_thread
from tenantlab.testing.registrations import RegisteredApi, RegisteredApp
from tenantlab.todo import TodoApiSettings, build_app

pytestmark = pytest.mark.integration

READ = "ToDoList.Read.All"
WRITE = "ToDoList.ReadWrite.All"


@pytest.fixture
def todo_api(tenantlab_tenant: LiveTenant) -> RegisteredApi:
    return tenantlab_tenant.api("ciam-dotnet-api", roles=[READ, WRITE])


@pytest.fixture
def daemon(tenantlab_tenant: LiveTenant, todo_api: RegisteredApi) -> RegisteredApp:
    return tenantlab_tenant.app("ciam-dotnet-daemon", secret=True, roles={todo_api: [READ]})


@pytest.fixture
def probe(tenantlab_cloud: LiveCloud, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`probe(url, *options)`: the real command, in process, on the live cloud's data folder."""
    monkeypatch.setenv("TENANTLAB_HOME", str(tenantlab_cloud.home))
    monkeypatch.setenv("TENANTLAB_PUBLIC_URL", tenantlab_cloud.origin)

    def run(url: str, *options: str) -> Result:
        return CliRunner().invoke(cli, ["probe-api", url, *options], catch_exceptions=False)

    return run


@contextmanager
def serving(cloud: LiveCloud, app: Any) -> Iterator[str]:
    tls = ensure_tls(cloud.home)
    with serve_in_thread(lambda _port: app, certfile=tls.server_cert, keyfile=tls.server_key) as s:
        yield s.origin


def arguments(tenant: LiveTenant, api: RegisteredApi, daemon: RegisteredApp) -> list[str]:
    return ["-t", tenant.id, "--audience", api.identifier_uri, "--client-id", daemon.client_id]


def verdicts(result: Result) -> dict[str, str]:
    report = json.loads(result.stdout)
    return {a["id"]: a["verdict"] for a in report["attacks"]}


def findings(found: dict[str, str]) -> dict[str, str]:
    return {attack: verdict for attack, verdict in found.items() if verdict != "refused"}


# -- tenantlab's own ToDo API --------------------------------------------------------------------


@pytest.fixture
def todo_url(
    tenantlab_cloud: LiveCloud, tenantlab_tenant: LiveTenant, todo_api: RegisteredApi, tmp_path: Any
) -> Iterator[str]:
    settings = TodoApiSettings(
        instance=tenantlab_cloud.origin,
        tenant_id=tenantlab_tenant.id,
        client_id=todo_api.app_id,
        ca_bundle=tenantlab_cloud.ca_bundle,
        database_url=f"sqlite:///{tmp_path / 'todo.db'}",
        home=tmp_path,
    )
    with serving(tenantlab_cloud, build_app(settings)) as origin:
        yield f"{origin}/api/todolist"


def test_the_todo_api_refuses_every_attack(
    probe: Callable[..., Result],
    todo_url: str,
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
    daemon: RegisteredApp,
) -> None:
    options = arguments(tenantlab_tenant, todo_api, daemon)
    # The list accepts either role; the client holds the read role only.
    result = probe(todo_url, *options, "--required-role", READ, "--required-role", WRITE, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["secure"] is True
    assert report["baseline"] == {"status": 200, "accepted": True}
    assert verdicts(result) == {a.id: "refused" for a in ATTACKS}
    statuses = {a["id"]: a["status"] for a in report["attacks"]}
    assert statuses["unaccepted-role"] == 403
    assert statuses["alg-none"] == 401

    # The baseline from the token service itself (the client's secret), and the table.
    table = probe(todo_url, *options, "--client-secret", daemon.secret or "")
    assert table.exit_code == 0, table.output
    assert f"all {len(ATTACKS)} attacks refused" in table.stdout
    lines = table.stdout.splitlines()
    assert lines[1].split() == ["attack", "expected", "answer", "verdict"]
    assert any("alg none" in line and "401 invalid_token" in line for line in lines)


def test_the_todo_api_write_endpoint_refuses_the_read_role(
    probe: Callable[..., Result],
    todo_url: str,
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
) -> None:
    writer = tenantlab_tenant.app("writer", roles={todo_api: [READ, WRITE]})
    options = [*arguments(tenantlab_tenant, todo_api, writer), "-X", "POST"]
    options += ["--data", '{"Description": "probe"}', "--required-role", WRITE]
    result = probe(todo_url, *options, "--only", "unaccepted-role", "--only", "alg-none", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["baseline"]["status"] == 201
    assert [(a["id"], a["status"]) for a in report["attacks"]] == [
        ("alg-none", 401),
        ("unaccepted-role", 403),  # the read role alone, at the write endpoint
    ]


def test_a_dead_endpoint_is_reported_as_such_never_as_secure(
    probe: Callable[..., Result],
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
    daemon: RegisteredApp,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    options = arguments(tenantlab_tenant, todo_api, daemon)
    result = probe(f"https://localhost:{port}/api/todolist", *options, "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["secure"] is False
    assert "no answer" in result.stderr
    assert "Nothing was probed" in result.stderr


def test_a_wrong_client_secret_fails_the_baseline_with_entras_error(
    probe: Callable[..., Result],
    todo_url: str,
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
    daemon: RegisteredApp,
) -> None:
    options = arguments(tenantlab_tenant, todo_api, daemon)
    result = probe(todo_url, *options, "--client-secret", "not-the-secret")
    assert result.exit_code == 3
    assert "the token service refused the client (AADSTS7000215:" in result.stderr
    assert "not-the-secret" not in result.output


def test_an_api_bound_to_another_tenant_fails_the_baseline(
    probe: Callable[..., Result],
    tenantlab_cloud: LiveCloud,
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
    daemon: RegisteredApp,
    tmp_path: Any,
) -> None:
    other = tenantlab_cloud.new_tenant()
    settings = TodoApiSettings(
        instance=tenantlab_cloud.origin,
        tenant_id=other.id,
        client_id=todo_api.app_id,
        ca_bundle=tenantlab_cloud.ca_bundle,
        database_url=f"sqlite:///{tmp_path / 'todo.db'}",
        home=tmp_path,
    )
    with serving(tenantlab_cloud, build_app(settings)) as origin:
        options = arguments(tenantlab_tenant, todo_api, daemon)
        result = probe(f"{origin}/api/todolist", *options)
    assert result.exit_code == 3
    assert "refused a valid token (401 invalid_token)" in result.stderr
    assert result.stdout == ""


def test_a_write_endpoint_that_takes_the_read_role_is_caught(
    probe: Callable[..., Result],
    tenantlab_cloud: LiveCloud,
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
    tenant_keys: dict[str, Any],
) -> None:
    """The client holds both roles; the endpoint should take the write role only, and (its flaw,
    in `weak_api`) takes the read role too."""
    writer = tenantlab_tenant.app("writer", roles={todo_api: [READ, WRITE]})
    options = [*arguments(tenantlab_tenant, todo_api, writer), "--only", "unaccepted-role"]

    def decode(token: str) -> dict[str, Any]:
        key = tenant_keys[jwt.get_unverified_header(token)["kid"]]
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=["RS256"], audience=todo_api.app_id
        )
        return claims

    with serving(tenantlab_cloud, weak_api(decode)) as origin:
        result = probe(f"{origin}/orders", *options, "--required-role", WRITE, "--json")
    assert result.exit_code == 1, result.output
    assert verdicts(result) == {"unaccepted-role": "ACCEPTED"}

    result = probe("https://localhost:1/x", *options, "--required-role", "Orders.Admin")
    assert result.exit_code == 2
    assert "the client holds none of Orders.Admin" in result.stderr


# -- weak APIs -----------------------------------------------------------------------------------


def weak_api(decode: Callable[[str], dict[str, Any]]) -> FastAPI:
    """An API that checks the `roles` claim after `decode`, which is where the flaw is."""
    app = FastAPI()

    @app.get("/orders")
    def orders(authorization: str | None = Header(None)) -> Any:
        if authorization is None or not authorization.startswith("Bearer "):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        try:
            claims = decode(authorization.removeprefix("Bearer "))
        except jwt.PyJWTError:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        if READ not in claims.get("roles", []):
            return JSONResponse({"error": "insufficient_scope"}, status_code=403)
        return {"orders": []}

    return app


@pytest.fixture
def tenant_keys(tenantlab_cloud: LiveCloud, tenantlab_tenant: LiveTenant) -> dict[str, Any]:
    """The tenant's published keys by kid (as a weak API would cache its JWKS)."""
    jwks = httpx.get(tenantlab_tenant.jwks_uri, verify=tenantlab_cloud.ssl_context()).json()
    return {k["kid"]: jwt.PyJWK(k, algorithm="RS256").key for k in jwks["keys"]}


def probe_weak(
    probe: Callable[..., Result],
    cloud: LiveCloud,
    app: FastAPI,
    tenant: LiveTenant,
    api: RegisteredApi,
    daemon: RegisteredApp,
) -> tuple[Result, dict[str, str]]:
    with serving(cloud, app) as origin:
        result = probe(f"{origin}/orders", *arguments(tenant, api, daemon), "--json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["secure"] is False
    return result, verdicts(result)


def test_an_api_that_skips_the_signature_is_caught(
    probe: Callable[..., Result],
    tenantlab_cloud: LiveCloud,
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
    daemon: RegisteredApp,
) -> None:
    def decode(token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token, options={"verify_signature": False}, algorithms=["RS256"]
        )
        if claims.get("aud") != todo_api.app_id:
            raise jwt.InvalidAudienceError("aud")
        return claims

    _, found = probe_weak(
        probe, tenantlab_cloud, weak_api(decode), tenantlab_tenant, todo_api, daemon
    )
    for forgery in ("alg-none", "foreign-key", "hs256-public-key-pem", "jwk-embedded"):
        assert found[forgery] == "ACCEPTED", forgery
    assert found["tampered-payload"] == "ACCEPTED"
    assert found["wrong-audience"] == "refused"  # it does check aud, by hand


def test_an_api_without_an_audience_check_is_caught(
    probe: Callable[..., Result],
    tenantlab_cloud: LiveCloud,
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
    daemon: RegisteredApp,
    tenant_keys: dict[str, Any],
) -> None:
    def decode(token: str) -> dict[str, Any]:
        key = tenant_keys.get(jwt.get_unverified_header(token).get("kid"))
        if key is None:
            raise jwt.InvalidKeyError("unknown kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=tenantlab_tenant.issuer,
            options={"verify_aud": False, "require": ["exp", "nbf", "iat"]},
        )
        return claims

    _, found = probe_weak(
        probe, tenantlab_cloud, weak_api(decode), tenantlab_tenant, todo_api, daemon
    )
    # PyJWT checks the rest; nothing caps the header's size (api-security.md §2 row 20).
    assert findings(found) == {"wrong-audience": "ACCEPTED", "huge-token": "ACCEPTED"}


def test_an_api_that_lets_the_header_choose_hs256_is_caught(
    probe: Callable[..., Result],
    tenantlab_cloud: LiveCloud,
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
    daemon: RegisteredApp,
    tenant_keys: dict[str, Any],
) -> None:
    """A hand-rolled verifier that trusts `alg` and keys HMAC with the PEM it holds (the bug
    of CVE-2015-9235, CVE-2016-10555 and CVE-2017-11424)."""

    def decode(token: str) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        key = tenant_keys.get(header.get("kid"))
        if key is None:
            raise jwt.InvalidKeyError("unknown kid")
        if header.get("alg") != "HS256":
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=["RS256"], audience=todo_api.app_id
            )
            return claims
        pem = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signing_input, _, signature = token.rpartition(".")
        mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(jwt.utils.base64url_encode(mac).decode(), signature):
            raise jwt.InvalidSignatureError("mac")
        unverified: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        return unverified

    _, found = probe_weak(
        probe, tenantlab_cloud, weak_api(decode), tenantlab_tenant, todo_api, daemon
    )
    # Its HS256 path reads the claims unchecked: the issuer goes unchecked too.
    assert findings(found) == {
        "hs256-public-key-pem": "ACCEPTED",
        "wrong-issuer": "ACCEPTED",
        "other-tenant": "ACCEPTED",
        "huge-token": "ACCEPTED",
    }


def test_an_api_that_fetches_keys_from_the_token_header_is_caught(
    probe: Callable[..., Result],
    tenantlab_cloud: LiveCloud,
    tenantlab_tenant: LiveTenant,
    todo_api: RegisteredApi,
    daemon: RegisteredApp,
    tenant_keys: dict[str, Any],
) -> None:
    """`jku` trusted as where the keys are (PortSwigger's "jku header injection")."""

    def decode(token: str) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        keys = dict(tenant_keys)
        if "jku" in header:
            fetched = httpx.get(header["jku"], timeout=5).json()["keys"]
            keys |= {k["kid"]: jwt.PyJWK(k, algorithm="RS256").key for k in fetched}
        key = keys.get(header.get("kid"))
        if key is None:
            raise jwt.InvalidKeyError("unknown kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=todo_api.app_id,
            issuer=tenantlab_tenant.issuer,
        )
        return claims

    _, found = probe_weak(
        probe, tenantlab_cloud, weak_api(decode), tenantlab_tenant, todo_api, daemon
    )
    assert findings(found) == {"jku-injection": "FETCHED attacker URL", "huge-token": "ACCEPTED"}
