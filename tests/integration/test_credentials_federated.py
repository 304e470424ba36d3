"""Federated identity credentials: a Kubernetes-style OIDC issuer the test runs, real clients.

The issuer is a second live TLS server (its own discovery document and JWKS), as a cluster's
service-account issuer would be; the token service fetches its keys over HTTPS with the CA bundle.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest
from azure.identity import ClientAssertionCredential, WorkloadIdentityCredential
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tenantlab.ids import FEDERATION_AUDIENCE, b64url
from tenantlab.keys import ensure_tls
from tenantlab.testing import serve_in_thread

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
StsRegistration = Any
Reader = Callable[[str], dict[str, Any]]

SUBJECT = "system:serviceaccount:default:daemon"


@dataclass
class ServiceAccountIssuer:
    """A cluster's OIDC issuer: discovery + JWKS over TLS, and a signer for projected tokens."""

    url: str
    key: rsa.RSAPrivateKey
    kid: str

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": SUBJECT,
            "aud": [FEDERATION_AUDIENCE],
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "kubernetes.io": {"namespace": "default", "serviceaccount": {"name": "daemon"}},
        }
        claims.update(overrides)
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="module")
def k8s_issuer(cloud: LiveCloud) -> Iterator[ServiceAccountIssuer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    kid = "sa-key-1"
    jwk = {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": b64url(numbers.n.to_bytes(256, "big")),
        "e": b64url(numbers.e.to_bytes(3, "big")),
    }
    holder: dict[str, str] = {}

    async def discovery(_: Request) -> JSONResponse:
        return JSONResponse(
            {
                "issuer": holder["issuer"],
                "jwks_uri": holder["issuer"] + "/openid/v1/jwks",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

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

    tls = ensure_tls(cloud.home)
    with serve_in_thread(factory, certfile=tls.server_cert, keyfile=tls.server_key):
        yield ServiceAccountIssuer(holder["issuer"], key, kid)


@pytest.fixture
def federated_app(
    cloud: LiveCloud, sts_registration: StsRegistration, k8s_issuer: ServiceAccountIssuer
) -> StsRegistration:
    cloud.directory.add_federated_credential(
        tenant=sts_registration.tenant.id,
        app=sts_registration.daemon_app_id,
        name="cluster-1-daemon",
        issuer=k8s_issuer.url,
        subject=SUBJECT,
    )
    return sts_registration


def _assert_federated_token(claims: dict[str, Any], reg: StsRegistration) -> None:
    assert claims["azp"] == reg.daemon_app_id
    assert claims["azpacr"] == "2"
    assert claims["oid"] == reg.daemon_sp_id
    assert claims["roles"] == reg.granted_roles


def test_workload_identity_credential_reads_the_token_file(
    cloud: LiveCloud,
    federated_app: StsRegistration,
    k8s_issuer: ServiceAccountIssuer,
    read_sts_token: Reader,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg = federated_app
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(k8s_issuer.token())
    for name, value in {
        "AZURE_AUTHORITY_HOST": cloud.origin,
        "AZURE_TENANT_ID": reg.tenant.id,
        "AZURE_CLIENT_ID": reg.daemon_app_id,
        "AZURE_FEDERATED_TOKEN_FILE": str(token_file),
    }.items():
        monkeypatch.setenv(name, value)
    token = WorkloadIdentityCredential().get_token(f"{reg.api_uri}/.default")
    _assert_federated_token(read_sts_token(token.token), reg)


def test_client_assertion_credential_and_msal_with_the_projected_token(
    cloud: LiveCloud,
    federated_app: StsRegistration,
    k8s_issuer: ServiceAccountIssuer,
    read_sts_token: Reader,
) -> None:
    reg = federated_app
    projected = k8s_issuer.token()
    credential = ClientAssertionCredential(
        reg.tenant.id, reg.daemon_app_id, lambda: projected, authority=cloud.origin
    )
    _assert_federated_token(
        read_sts_token(credential.get_token(f"{reg.api_uri}/.default").token), reg
    )

    app = msal.ConfidentialClientApplication(
        reg.daemon_app_id,
        client_credential={"client_assertion": lambda: projected},
        authority=cloud.authority(reg.tenant.id),
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])
    assert "access_token" in result, result
    _assert_federated_token(read_sts_token(result["access_token"]), reg)


def test_another_tenantlab_tenant_as_the_external_issuer(
    cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    """A daemon of tenant A exchanges its A-issued token for one in tenant B (cross-tenant FIC)."""
    reg = sts_registration
    directory = cloud.directory
    home = directory.create_tenant(display_name="Home", domain=f"home{reg.tenant.id[:8]}")
    workload = directory.create_application(tenant=home.id, display_name="Workload")
    secret = directory.add_password(tenant=home.id, app=workload.app_id).secret_text
    workload_sp = directory.get_service_principal(tenant=home.id, key=workload.app_id)
    # What the workload asks its home tenant for: a v2 token (v2 issuer, `aud` = this app's id).
    exchange = directory.create_application(
        tenant=home.id,
        display_name="Token exchange",
        identifier_uris=["api://token-exchange"],
        requested_access_token_version=2,
    )
    directory.add_federated_credential(
        tenant=reg.tenant.id,
        app=reg.daemon_app_id,
        name="from-home-tenant",
        issuer=f"{cloud.origin}/{home.id}/v2.0",
        subject=workload_sp.id,
        audiences=[exchange.app_id],
    )
    home_app = msal.ConfidentialClientApplication(
        workload.app_id,
        client_credential=secret,
        authority=cloud.authority(home.id),
        instance_discovery=False,
    )
    own = home_app.acquire_token_for_client(scopes=["api://token-exchange/.default"])
    assert "access_token" in own, own

    credential = ClientAssertionCredential(
        reg.tenant.id, reg.daemon_app_id, lambda: own["access_token"], authority=cloud.origin
    )
    _assert_federated_token(
        read_sts_token(credential.get_token(f"{reg.api_uri}/.default").token), reg
    )


# -- refusals -----------------------------------------------------------------------------------


def _post(cloud: LiveCloud, reg: StsRegistration, assertion: str) -> httpx.Response:
    trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
    return httpx.post(
        f"{cloud.origin}/{reg.tenant.id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": reg.daemon_app_id,
            "scope": f"{reg.api_uri}/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        verify=trust,
    )


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"iss": "https://token.actions.githubusercontent.com"}, 700211),
        ({"sub": SUBJECT.upper()}, 700213),
        ({"aud": ["api://AzureADTokenExchange/"]}, 700212),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, 700024),
    ],
)
def test_mismatches_get_entras_codes(
    cloud: LiveCloud,
    federated_app: StsRegistration,
    k8s_issuer: ServiceAccountIssuer,
    overrides: dict[str, Any],
    code: int,
) -> None:
    response = _post(cloud, federated_app, k8s_issuer.token(**overrides))
    assert response.status_code == 401, response.text
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("invalid_client", [code])
    assert json.dumps(body).count("AADSTS") == 1


def test_token_signed_by_a_key_the_issuer_does_not_publish(
    cloud: LiveCloud, federated_app: StsRegistration, k8s_issuer: ServiceAccountIssuer
) -> None:
    impostor = ServiceAccountIssuer(
        k8s_issuer.url, rsa.generate_private_key(public_exponent=65537, key_size=2048), "sa-key-1"
    )
    response = _post(cloud, federated_app, impostor.token())
    assert response.status_code == 401
    assert response.json()["error_codes"] == [700027]
