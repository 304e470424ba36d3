"""Certificate credentials (private_key_jwt) with unmodified MSAL Python and azure-identity."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientAssertionCredential
from azure.identity.aio import CertificateCredential as AsyncCertificateCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
StsRegistration = Any
Reader = Callable[[str], dict[str, Any]]


@dataclass
class CertFiles:
    key_pem: bytes
    cert_pem: bytes
    combined: Path  # private key + certificate (what `tenantlab app cert add --new` writes)
    pfx: Path
    sha1_hex: str
    key: rsa.RSAPrivateKey


def make_cert_files(folder: Path, *, days_valid: tuple[int, int] = (-1, 30)) -> CertFiles:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "daemon")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days_valid[0]))
        .not_valid_after(now + dt.timedelta(days=days_valid[1]))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    folder.mkdir(parents=True, exist_ok=True)
    combined = folder / "daemon.pem"
    combined.write_bytes(key_pem + cert_pem)
    pfx = folder / "daemon.pfx"
    pfx.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"daemon", key, cert, None, serialization.NoEncryption()
        )
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    sha1_hex = hashlib.sha1(der).hexdigest().upper()
    return CertFiles(key_pem, cert_pem, combined, pfx, sha1_hex, key)


@pytest.fixture
def cert_files(cloud: LiveCloud, sts_registration: StsRegistration, tmp_path: Path) -> CertFiles:
    files = make_cert_files(tmp_path / "cert")
    cloud.directory.add_certificate(
        tenant=sts_registration.tenant.id,
        app=sts_registration.daemon_app_id,
        certificate_pem_or_der=files.cert_pem,
    )
    return files


def _msal(cloud: LiveCloud, reg: StsRegistration, credential: Any) -> Any:
    return msal.ConfidentialClientApplication(
        reg.daemon_app_id,
        client_credential=credential,
        authority=cloud.authority(reg.tenant.id),
        instance_discovery=False,
    )


def _assert_certificate_token(claims: dict[str, Any], reg: StsRegistration) -> None:
    assert claims["azp"] == reg.daemon_app_id
    assert claims["azpacr"] == "2"
    assert claims["oid"] == reg.daemon_sp_id
    assert claims["roles"] == reg.granted_roles
    assert claims["aud"] == reg.api_app_id


def test_msal_python_with_private_key_and_thumbprint(
    cloud: LiveCloud,
    sts_registration: StsRegistration,
    cert_files: CertFiles,
    read_sts_token: Reader,
) -> None:
    reg = sts_registration
    app = _msal(
        cloud, reg, {"private_key": cert_files.key_pem.decode(), "thumbprint": cert_files.sha1_hex}
    )
    first = app.acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])
    assert first.get("token_source") == "identity_provider", first
    _assert_certificate_token(read_sts_token(first["access_token"]), reg)
    # A second scope re-sends the same assertion (same jti): it must be accepted again.
    graph = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in graph, graph
    assert read_sts_token(graph["access_token"])["appidacr"] == "2"


def test_msal_python_with_private_key_and_public_certificate_x5c(
    cloud: LiveCloud,
    sts_registration: StsRegistration,
    cert_files: CertFiles,
    read_sts_token: Reader,
) -> None:
    reg = sts_registration
    credential = {
        "private_key": cert_files.key_pem.decode(),
        "public_certificate": cert_files.cert_pem.decode(),
    }
    result = _msal(cloud, reg, credential).acquire_token_for_client(
        scopes=[f"{reg.api_uri}/.default"]
    )
    assert "access_token" in result, result
    _assert_certificate_token(read_sts_token(result["access_token"]), reg)


@pytest.mark.parametrize("file_kind", ["pem", "pfx"])
def test_azure_identity_certificate_credential(
    cloud: LiveCloud,
    sts_registration: StsRegistration,
    cert_files: CertFiles,
    read_sts_token: Reader,
    file_kind: str,
) -> None:
    reg = sts_registration
    path = cert_files.combined if file_kind == "pem" else cert_files.pfx
    credential = CertificateCredential(
        reg.tenant.id,
        reg.daemon_app_id,
        str(path),
        authority=cloud.origin,
        disable_instance_discovery=True,
    )
    token = credential.get_token(f"{reg.api_uri}/.default")
    _assert_certificate_token(read_sts_token(token.token), reg)
    assert token.expires_on > time.time() + 3000


def test_azure_identity_async_certificate_credential_padded_segments(
    cloud: LiveCloud,
    sts_registration: StsRegistration,
    cert_files: CertFiles,
    read_sts_token: Reader,
) -> None:
    reg = sts_registration

    async def fetch() -> str:
        async with AsyncCertificateCredential(
            reg.tenant.id, reg.daemon_app_id, str(cert_files.combined), authority=cloud.origin
        ) as credential:
            return (await credential.get_token(f"{reg.api_uri}/.default")).token

    _assert_certificate_token(read_sts_token(asyncio.run(fetch())), reg)


def _assertion(
    reg: StsRegistration, files: CertFiles, audience: str, *, lifetime: int = 600, start: int = 0
) -> str:
    now = int(time.time()) + start
    x5t = base64.urlsafe_b64encode(bytes.fromhex(files.sha1_hex)).decode().rstrip("=")
    claims = {
        "aud": audience,
        "iss": reg.daemon_app_id,
        "sub": reg.daemon_app_id,
        "jti": str(uuid.uuid4()),
        "nbf": now,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, files.key_pem, algorithm="RS256", headers={"x5t": x5t})


def test_client_assertion_credential_with_a_callback(
    cloud: LiveCloud,
    sts_registration: StsRegistration,
    cert_files: CertFiles,
    read_sts_token: Reader,
) -> None:
    reg = sts_registration
    token_url = f"{cloud.origin}/{reg.tenant.id}/oauth2/v2.0/token"
    calls: list[int] = []

    def callback() -> str:
        calls.append(1)
        return _assertion(reg, cert_files, token_url)

    credential = ClientAssertionCredential(
        reg.tenant.id, reg.daemon_app_id, callback, authority=cloud.origin
    )
    token = credential.get_token(f"{reg.api_uri}/.default")
    _assert_certificate_token(read_sts_token(token.token), reg)
    assert calls


# -- refusals, with Entra's codes and statuses ----------------------------------------------------


def _post(cloud: LiveCloud, tenant: str, form: dict[str, str], v1: bool = False) -> httpx.Response:
    path = "oauth2/token" if v1 else "oauth2/v2.0/token"
    trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
    return httpx.post(f"{cloud.origin}/{tenant}/{path}", data=form, verify=trust)


def _assertion_form(reg: StsRegistration, assertion: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": reg.daemon_app_id,
        "scope": f"{reg.api_uri}/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }


def test_msal_with_an_unregistered_certificate_gets_700027(
    cloud: LiveCloud, sts_registration: StsRegistration, tmp_path: Path
) -> None:
    reg = sts_registration
    stranger = make_cert_files(tmp_path / "stranger")
    result = _msal(
        cloud, reg, {"private_key": stranger.key_pem.decode(), "thumbprint": stranger.sha1_hex}
    ).acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700027]
    assert "The key was not found" in result["error_description"]


def test_expired_certificate_gets_700027(
    cloud: LiveCloud, sts_registration: StsRegistration, tmp_path: Path
) -> None:
    reg = sts_registration
    old = make_cert_files(tmp_path / "old", days_valid=(-30, -1))
    cloud.directory.add_certificate(
        tenant=reg.tenant.id, app=reg.daemon_app_id, certificate_pem_or_der=old.cert_pem
    )
    token_url = f"{cloud.origin}/{reg.tenant.id}/oauth2/v2.0/token"
    response = _post(cloud, reg.tenant.id, _assertion_form(reg, _assertion(reg, old, token_url)))
    assert response.status_code == 401
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("invalid_client", [700027])
    assert "expired" in body["error_description"]


def test_expired_assertion_gets_700024(
    cloud: LiveCloud, sts_registration: StsRegistration, cert_files: CertFiles
) -> None:
    reg = sts_registration
    token_url = f"{cloud.origin}/{reg.tenant.id}/oauth2/v2.0/token"
    stale = _assertion(reg, cert_files, token_url, start=-3000, lifetime=600)
    response = _post(cloud, reg.tenant.id, _assertion_form(reg, stale))
    assert response.status_code == 401
    assert response.json()["error_codes"] == [700024]


def test_assertion_for_another_tenant_is_refused(
    cloud: LiveCloud, sts_registration: StsRegistration, cert_files: CertFiles
) -> None:
    reg = sts_registration
    elsewhere = f"{cloud.origin}/{uuid.uuid4()}/oauth2/v2.0/token"
    response = _post(
        cloud, reg.tenant.id, _assertion_form(reg, _assertion(reg, cert_files, elsewhere))
    )
    assert response.status_code == 401
    assert response.json()["error_codes"] == [700027]


def test_v1_endpoint_with_resource_and_a_domain_alias_audience(
    cloud: LiveCloud,
    sts_registration: StsRegistration,
    cert_files: CertFiles,
    read_sts_token: Reader,
) -> None:
    reg = sts_registration
    domain = cloud.directory.tenant_domains(reg.tenant.id)[0]
    audience = f"{cloud.origin}/{domain.upper()}/oauth2/token"
    form = _assertion_form(reg, _assertion(reg, cert_files, audience))
    del form["scope"]
    form["resource"] = reg.api_uri
    response = _post(cloud, domain, form, v1=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resource"] == reg.api_uri
    assert body["expires_in"] == "3599"
    assert int(body["expires_on"]) - int(body["not_before"]) > 3599
    claims = read_sts_token(body["access_token"])
    assert claims["azpacr"] == "2"
    assert response.headers["cache-control"].startswith("no-store")


def test_an_error_from_a_bad_assertion_never_echoes_it(
    cloud: LiveCloud, sts_registration: StsRegistration, cert_files: CertFiles
) -> None:
    reg = sts_registration
    token_url = f"{cloud.origin}/{reg.tenant.id}/oauth2/v2.0/token"
    assertion = _assertion(reg, cert_files, token_url)
    tampered = assertion[:-6] + ("AAAAAA" if not assertion.endswith("AAAAAA") else "BBBBBB")
    response = _post(cloud, reg.tenant.id, _assertion_form(reg, tampered))
    assert response.status_code == 401
    assert response.json()["error_codes"] == [700027]
    assert tampered.split(".")[2] not in response.text


def test_assertions_are_refused_once_the_certificate_is_removed(
    cloud: LiveCloud, sts_registration: StsRegistration, cert_files: CertFiles
) -> None:
    reg = sts_registration
    (registered,) = cloud.directory.key_credentials(
        cloud.directory.get_application(tenant=reg.tenant.id, app=reg.daemon_app_id).id
    )
    cloud.directory.remove_certificate(
        tenant=reg.tenant.id, app=reg.daemon_app_id, key_id=registered.key_id
    )
    credential = CertificateCredential(
        reg.tenant.id,
        reg.daemon_app_id,
        str(cert_files.combined),
        authority=cloud.origin,
        disable_instance_discovery=True,
    )
    with pytest.raises(ClientAuthenticationError, match="700027"):
        credential.get_token(f"{reg.api_uri}/.default")
