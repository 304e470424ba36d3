"""One cloud on three nodes behind nginx over TLS (tests/integration/multinode.py): provisioning,
every client-credentials form, Graph, key rotation and a shared throttle, all through the load
balancer, with real MSAL and tenantlab.apiauth as the clients."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from multinode import Cluster, fresh_database, running_cluster
from nodes import tenantlab
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from redisserver import RedisServer
from tenantlab.apiauth import TokenValidationSettings, TokenValidator
from tenantlab.keys import ensure_tls
from tenantlab.testing.live import serve_in_thread

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

EXAMPLE = Path(__file__).parents[2] / "examples" / "contoso.yaml"
THROTTLE_LIMIT = 12
SUBJECT = "system:serviceaccount:default:daemon"
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"


@dataclass
class Seeded:
    tenant_id: str
    daemon_app_id: str
    daemon_secret: str
    api_app_id: str


@pytest.fixture(scope="module")
def module_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_database(postgres_server_url: str) -> Iterator[str]:
    with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, module_database: str, module_redis: RedisServer
) -> Iterator[Cluster]:
    with running_cluster(
        tmp_path_factory.mktemp("cloud"),
        module_database,
        module_redis.url,
        extra_env={"graph_throttle_limit": str(THROTTLE_LIMIT)},
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def _trust_the_load_balancer(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """requests lets REQUESTS_CA_BUNDLE override MSAL's `verify`: point it at our bundle."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cluster.ca_file))


@pytest.fixture(scope="module")
def seeded(cluster: Cluster) -> Seeded:
    """The quickstart's tenant, applied by an operator on node 1 (it reaches every node)."""
    report = json.loads(tenantlab(cluster.env(0), "seed", str(EXAMPLE), "--json").stdout)
    secret = next(s for s in report["secrets"] if s["appDisplayName"] == "ToDo Daemon")
    api = tenantlab(cluster.env(0), "app", "show", "ToDo List API", "-t", "contoso", "--json")
    return Seeded(
        tenant_id=report["tenants"][0]["id"],
        daemon_app_id=secret["appId"],
        daemon_secret=secret["secretText"],
        api_app_id=json.loads(api.stdout)["appId"],
    )


def _authority(cluster: Cluster, seeded: Seeded) -> str:
    return f"{cluster.public_url}/{seeded.tenant_id}"


def _msal(cluster: Cluster, seeded: Seeded, credential: Any) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        seeded.daemon_app_id,
        client_credential=credential,
        authority=_authority(cluster, seeded),
        verify=str(cluster.ca_file),
        instance_discovery=False,
    )


def _token(cluster: Cluster, seeded: Seeded, credential: Any, scope: str) -> str:
    result = _msal(cluster, seeded, credential).acquire_token_for_client([scope])
    assert "access_token" in result, result.get("error_description")
    return str(result["access_token"])


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_every_credential_form_gets_tokens_through_the_load_balancer(
    cluster: Cluster, seeded: Seeded, tmp_path: Path
) -> None:
    scope = f"api://{seeded.api_app_id}/.default"
    for _ in range(3):  # a fresh client each time: round-robin reaches every node
        claims = _claims(_token(cluster, seeded, seeded.daemon_secret, scope))
        assert claims["iss"] == f"{cluster.public_url}/{seeded.tenant_id}/v2.0"
        assert claims["azp"] == seeded.daemon_app_id

    # A certificate registered by an operator on node 2; tokens from whichever node answers.
    key_file = tmp_path / "daemon.pem"
    tenantlab(
        cluster.env(1),
        "app", "cert", "add", "ToDo Daemon", "--new", "--out", str(key_file), "-t", "contoso",
    )  # fmt: skip
    pem = key_file.read_bytes()
    for _ in range(3):
        credential = {"private_key": pem, "public_certificate": pem.decode()}
        assert _claims(_token(cluster, seeded, credential, scope))["azpacr"] == "2"

    # A federated credential (a cluster's service-account issuer) registered on node 3.
    with _service_account_issuer(cluster, tmp_path) as issue:
        tenantlab(
            cluster.env(2),
            "app", "federated", "add", "ToDo Daemon",
            "--issuer", issue.url, "--subject", SUBJECT, "-t", "contoso",
        )  # fmt: skip
        for _ in range(3):
            credential = {"client_assertion": issue}
            claims = _claims(_token(cluster, seeded, credential, scope))
            assert claims["azpacr"] == "2"


def test_graph_writes_on_one_node_are_read_on_every_node(cluster: Cluster, seeded: Seeded) -> None:
    token = _token(cluster, seeded, seeded.daemon_secret, "https://graph.microsoft.com/.default")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=cluster.public_url, verify=cluster.trust(), timeout=30) as graph:
        # A new app and its secret, written through whichever node; used at once everywhere.
        created = graph.post(
            "/v1.0/applications", headers=headers, json={"displayName": "Written through the LB"}
        )
        if created.status_code == 403:  # the quickstart daemon reads only: use the management app
            headers = _management_headers(cluster, seeded)
            created = graph.post(
                "/v1.0/applications",
                headers=headers,
                json={"displayName": "Written through the LB"},
            )
        assert created.status_code == 201, created.text
        app = created.json()
        for _ in range(6):
            read = graph.get(f"/v1.0/applications/{app['id']}", headers=headers)
            assert read.status_code == 200, read.text
            assert read.json()["displayName"] == "Written through the LB"
        secret = graph.post(f"/v1.0/applications/{app['id']}/addPassword", headers=headers, json={})
        assert secret.status_code == 200, secret.text
        sp = graph.post("/v1.0/servicePrincipals", headers=headers, json={"appId": app["appId"]})
        assert sp.status_code == 201, sp.text
    # The new secret works on every node straight away (node by node, over their plain HTTP).
    form = {
        "grant_type": "client_credentials",
        "client_id": app["appId"],
        "client_secret": secret.json()["secretText"],
        "scope": "https://graph.microsoft.com/.default",
    }
    for index in range(3):
        answer = httpx.post(
            f"{cluster.node_url(index)}/{seeded.tenant_id}/oauth2/v2.0/token", data=form
        )
        assert answer.status_code == 200, answer.text


def test_a_key_rotated_on_one_node_signs_on_every_node(cluster: Cluster, seeded: Seeded) -> None:
    before = _jwks_kids(cluster, seeded, 0)
    tenantlab(cluster.env(1), "keys", "rotate", "-t", "contoso")
    time.sleep(1.2)  # the propagation bound (docs/deployment.md)
    kids = [_jwks_kids(cluster, seeded, index) for index in range(3)]
    assert kids[0] == kids[1] == kids[2]
    assert kids[0] != before

    form = {
        "grant_type": "client_credentials",
        "client_id": seeded.daemon_app_id,
        "client_secret": seeded.daemon_secret,
        "scope": f"api://{seeded.api_app_id}/.default",
    }
    tokens = []
    for index in range(3):
        answer = httpx.post(
            f"{cluster.node_url(index)}/{seeded.tenant_id}/oauth2/v2.0/token", data=form
        )
        assert answer.status_code == 200, answer.text
        tokens.append(answer.json()["access_token"])
    signing_kids = {jwt.get_unverified_header(token)["kid"] for token in tokens}
    assert len(signing_kids) == 1
    assert signing_kids <= kids[0]
    assert not signing_kids <= before  # the new key, not the retired one

    async def validate_all() -> list[str]:
        validator = TokenValidator(
            TokenValidationSettings(
                instance=cluster.public_url,
                tenant=seeded.tenant_id,
                audiences=(seeded.api_app_id, f"api://{seeded.api_app_id}"),
                ca_bundle=cluster.ca_file,
            )
        )
        try:
            return [(await validator.validate(t)).client_id or "" for t in tokens]
        finally:
            await validator.aclose()

    assert asyncio.run(validate_all()) == [seeded.daemon_app_id] * 3


def test_a_graph_throttle_of_n_admits_n_across_the_nodes(cluster: Cluster, seeded: Seeded) -> None:
    tenantlab(cluster.env(2), "tenant", "graph-throttling", "on", "-t", "contoso")
    time.sleep(1.2)  # Graph's tenant rules follow within a second
    token = _token(cluster, seeded, seeded.daemon_secret, "https://graph.microsoft.com/.default")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=cluster.public_url, verify=cluster.trust()) as graph:
            statuses = [
                graph.get("/v1.0/users?$select=id", headers=headers).status_code
                for _ in range(THROTTLE_LIMIT * 2)
            ]
    finally:
        tenantlab(cluster.env(2), "tenant", "graph-throttling", "off", "-t", "contoso")
    assert statuses.count(200) == THROTTLE_LIMIT, statuses
    assert statuses.count(429) == THROTTLE_LIMIT, statuses


def _jwks_kids(cluster: Cluster, seeded: Seeded, index: int) -> set[str]:
    answer = httpx.get(f"{cluster.node_url(index)}/{seeded.tenant_id}/discovery/v2.0/keys")
    assert answer.status_code == 200, answer.text
    return {key["kid"] for key in answer.json()["keys"]}


def _management_headers(cluster: Cluster, seeded: Seeded) -> dict[str, str]:
    """The tenant's management app (its credentials file is in the data folder of the node that
    created the tenant)."""
    folder = cluster.folder / "node1" / "tenants" / seeded.tenant_id
    credentials = json.loads((folder / "management-app.json").read_text())
    result = msal.ConfidentialClientApplication(
        credentials["clientId"],
        client_credential=credentials["clientSecret"],
        authority=_authority(cluster, seeded),
        verify=str(cluster.ca_file),
        instance_discovery=False,
    ).acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    return {"Authorization": f"Bearer {result['access_token']}"}


class _Issuer:
    def __init__(self, url: str, key: rsa.RSAPrivateKey) -> None:
        self.url = url
        self.key = key

    def __call__(self) -> str:
        now = int(time.time())
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        claims = {
            "iss": self.url,
            "sub": SUBJECT,
            "aud": [FEDERATION_AUDIENCE],
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        }
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": "sa-1"})


def _service_account_issuer(cluster: Cluster, tmp_path: Path) -> Any:
    """A cluster's OIDC issuer over TLS, signed by the load balancer's CA, which the nodes trust
    (their SSL_CERT_FILE): discovery and JWKS for the nodes to fetch."""
    from contextlib import contextmanager

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()

    def b64(value: int, size: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes(size, "big")).rstrip(b"=").decode()

    jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "sa-1"}
    jwk |= {"n": b64(numbers.n, 256), "e": b64(numbers.e, 3)}
    holder: dict[str, str] = {}

    async def discovery(_: Request) -> JSONResponse:
        issuer = holder["issuer"]
        return JSONResponse({"issuer": issuer, "jwks_uri": f"{issuer}/openid/v1/jwks"})

    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse({"keys": [jwk]})

    def factory(port: int) -> Starlette:
        holder["issuer"] = f"https://localhost:{port}/cluster-1"
        return Starlette(
            routes=[
                Route("/cluster-1/.well-known/openid-configuration", discovery),
                Route("/cluster-1/openid/v1/jwks", jwks),
            ]
        )

    tls = ensure_tls(cluster.folder / "loadbalancer")

    @contextmanager
    def running() -> Iterator[_Issuer]:
        with serve_in_thread(factory, certfile=tls.server_cert, keyfile=tls.server_key):
            yield _Issuer(holder["issuer"], key)

    return running()
