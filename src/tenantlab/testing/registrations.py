"""What a test registers in its tenant, as plain objects: the ids and secrets a real app is given.

A `RegisteredApp` carries exactly what a daemon's configuration holds (tenant, client id, a secret
or a certificate), so a test can hand it to the code under test unchanged; `token()` is a
shortcut that asks the token service with unmodified MSAL, as that code would.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

GRAPH_RESOURCE = "https://graph.microsoft.com"


class TokenRefused(Exception):
    """The token service answered a token request with an error (MSAL's result, kept whole)."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.error: str = str(result.get("error", ""))
        self.description: str = str(result.get("error_description", ""))
        self.codes: list[int] = list(result.get("error_codes") or [])
        super().__init__(f"{self.error}: {self.description}")


@dataclass(frozen=True)
class ClientCertificate:
    """A self-signed certificate registered on an app; the private key stays with the test."""

    private_key_pem: bytes
    certificate_pem: bytes
    thumbprint: str  # SHA-1 of the DER certificate, hex upper case: what MSAL calls `thumbprint`
    path: Path  # key + certificate in one PEM: azure-identity's `certificate_path`

    @classmethod
    def create(cls, common_name: str, folder: Path) -> ClientCertificate:
        import datetime as dt

        from cryptography.hazmat.primitives import serialization

        from tenantlab.config import ensure_private_dir, write_private_file
        from tenantlab.keys.client_certificates import private_key_pem, self_signed_certificate

        key, cert = self_signed_certificate(common_name, start=dt.datetime.now(dt.UTC), days=30)
        key_pem = private_key_pem(key)
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        der = cert.public_bytes(serialization.Encoding.DER)
        ensure_private_dir(folder)
        path = folder / f"{hashlib.sha1(der).hexdigest()}.pem"  # noqa: S324 (x5t is SHA-1)
        write_private_file(path, key_pem + cert_pem)
        return cls(key_pem, cert_pem, hashlib.sha1(der).hexdigest().upper(), path)  # noqa: S324

    def msal_credential(self) -> dict[str, str]:
        """MSAL Python's `client_credential` for this certificate (private_key_jwt)."""
        return {"private_key": self.private_key_pem.decode(), "thumbprint": self.thumbprint}


@dataclass(frozen=True)
class RegisteredApi:
    """A resource app: what an API's own configuration names (audience, roles, scopes)."""

    tenant_id: str
    app_id: str
    object_id: str
    service_principal_id: str
    display_name: str
    identifier_uri: str
    roles: tuple[str, ...]
    scopes: tuple[str, ...]
    token_version: int

    @property
    def default_scope(self) -> str:
        """What a daemon asks for: `{identifier URI}/.default`."""
        return f"{self.identifier_uri}/.default"

    @property
    def audience(self) -> str:
        """The `aud` of its access tokens: the appId in v2 tokens, the URI asked for in v1."""
        return self.app_id if self.token_version == 2 else self.identifier_uri


@dataclass(frozen=True)
class RegisteredApp:
    """A client app and its credentials, as a daemon's configuration would hold them."""

    tenant_id: str
    app_id: str
    object_id: str
    service_principal_id: str
    display_name: str
    authority: str
    ca_bundle: Path
    secret: str | None = None
    certificate: ClientCertificate | None = None
    federated: tuple[tuple[str, str], ...] = field(default=())  # (issuer, subject)

    @property
    def client_id(self) -> str:
        return self.app_id

    def msal(self, credential: Any = None) -> Any:
        """A new MSAL `ConfidentialClientApplication` (empty cache) with the secret, else the
        certificate, unless `credential` says otherwise (for example a client assertion)."""
        import msal

        if credential is None:
            credential = self.secret or (self.certificate and self.certificate.msal_credential())
        if credential is None:
            raise ValueError(f"the app '{self.display_name}' has no secret nor certificate")
        return msal.ConfidentialClientApplication(
            self.app_id,
            client_credential=credential,
            authority=self.authority,
            instance_discovery=False,
            http_client=_trusting(self.ca_bundle),
        )

    def token(self, resource: RegisteredApi | str, credential: Any = None) -> str:
        """An app-only access token for `resource` (an API, its URI or appId, or "graph"), from
        the token service itself (a fresh MSAL app, so never from a cache); `TokenRefused`
        with Entra's error otherwise."""
        result = self.msal(credential).acquire_token_for_client(scopes=[default_scope(resource)])
        if "access_token" not in result:
            raise TokenRefused(result)
        token: str = result["access_token"]
        return token

    def user_token(self, user: TestUser, scopes: list[str]) -> str:
        """A delegated token for `user` (it needs a password) with this app as the public client:
        the resource owner password flow, through MSAL's `PublicClientApplication`."""
        import msal

        if user.password is None:
            raise ValueError(f"the user '{user.user_principal_name}' has no password")
        # MSAL asks https://{host}/common/userrealm/... with the port dropped (authority.py's
        # `instance` is the host name), which on a test port reaches port 443 instead; this set
        # is where MSAL itself records the hosts that have no user realm discovery.
        msal.authority.Authority._domains_without_user_realm_discovery.add(
            urlsplit(self.authority).hostname or ""
        )
        public = msal.PublicClientApplication(
            self.app_id,
            authority=self.authority,
            instance_discovery=False,
            http_client=_trusting(self.ca_bundle),
        )
        result = public.acquire_token_by_username_password(
            user.user_principal_name, user.password, scopes=scopes
        )
        if "access_token" not in result:
            raise TokenRefused(result)
        token: str = result["access_token"]
        return token


@dataclass(frozen=True)
class TestUser:
    """A member user and the password it signs in with."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    tenant_id: str
    id: str
    user_principal_name: str
    display_name: str
    password: str | None


def resource_key(resource: RegisteredApi | str) -> str:
    """How the directory names a resource: an API's appId, a URI or appId as given, or Graph."""
    if isinstance(resource, RegisteredApi):
        return resource.app_id
    return GRAPH_RESOURCE if resource.lower() == "graph" else resource


def default_scope(resource: RegisteredApi | str) -> str:
    if isinstance(resource, RegisteredApi):
        return resource.default_scope
    return f"{resource_key(resource).rstrip('/')}/.default"


def _trusting(ca_bundle: Path) -> Any:
    """MSAL's HTTP client, trusting the cloud's CA whatever the environment says: requests lets
    REQUESTS_CA_BUNDLE override a session's `verify` unless the session ignores the environment."""
    import requests

    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_bundle)
    return session
