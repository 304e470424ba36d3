"""Client authentication at the token endpoint: who is calling, and how strongly it proved it.

The outcome is an `AuthenticatedClient` whose `acr` becomes `appidacr` (v1) / `azpacr` (v2):
"1" for a client secret, "2" for a certificate or a federated assertion. Secrets arrive in the
form (client_secret_post — what MSAL, azure-identity and msal-node send) or as HTTP Basic
(client_secret_basic, RFC 6749 §2.3.1). Client assertions are dispatched by
`client_assertion_type` to the verifiers registered on a `ClientAuthentication` instance (one per
token service, filled when the service is built, as authlib's `register_client_auth_method`);
certificate and federated credentials plug in there without touching the grant code, and two
token services in one process never share a verifier (nor the CA bundles it trusts).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote_plus

import anyio.to_thread

from tenantlab.directory import Directory
from tenantlab.directory.sign_ins import CLIENT_ASSERTION, CLIENT_SECRET, SignInFacts
from tenantlab.ids import EMPTY_GUID, is_guid
from tenantlab.sts import errors
from tenantlab.sts.snapshot import ClientEntry, DirectoryCache, PasswordEntry, TenantSnapshot
from tenantlab.sts.urls import Endpoints

JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

ACR_SECRET = "1"
ACR_CERTIFICATE = "2"


@dataclass(frozen=True)
class PresentedCredentials:
    """What the request carried, before anything was checked."""

    client_id: str
    secret: str | None = None
    assertion_type: str | None = None
    assertion: str | None = None
    method: str = "none"  # client_secret_post | client_secret_basic | client_assertion | none


@dataclass(frozen=True)
class AuthenticatedClient:
    client: ClientEntry
    acr: str
    method: str
    snapshot: TenantSnapshot  # the (possibly refreshed) snapshot the client was found in


@dataclass(frozen=True)
class AssertionContext:
    """Everything an assertion verifier needs; it returns an acr or raises an StsError."""

    snapshot: TenantSnapshot
    client: ClientEntry
    assertion: str
    endpoints: Endpoints
    now: float
    facts: SignInFacts | None = None  # the verifier says which credential it was


AssertionVerifier = Callable[[AssertionContext], Awaitable[str]]


def presented_credentials(
    form: dict[str, str], authorization: bytes | None
) -> PresentedCredentials:
    """Read the client's identity and credential from the form and the Authorization header.

    Raises 900144 when no client_id can be found, 9002313 when two methods are mixed.
    """
    basic = _basic_credentials(authorization)
    secret = form.get("client_secret")
    assertion = form.get("client_assertion")
    assertion_type = form.get("client_assertion_type")
    if basic is not None:
        basic_id, basic_secret = basic
        body_id = form.get("client_id")
        if body_id is not None and body_id != basic_id:
            raise errors.malformed_request(
                "The client_id in the body differs from the one in the Authorization header."
            )
        if secret is not None or assertion is not None:
            raise errors.malformed_request(
                "The client presented more than one authentication method."
            )
        return PresentedCredentials(basic_id, secret=basic_secret, method="client_secret_basic")
    client_id = form.get("client_id")
    if not client_id:
        raise errors.missing_parameter("client_id")
    if secret is not None and (assertion is not None or assertion_type is not None):
        raise errors.malformed_request(
            "The client presented both client_secret and client_assertion."
        )
    if assertion is not None or assertion_type is not None:
        if not assertion:
            raise errors.missing_parameter("client_assertion")
        if not assertion_type:
            raise errors.missing_parameter("client_assertion_type")
        return PresentedCredentials(
            client_id,
            assertion=assertion,
            assertion_type=assertion_type,
            method="client_assertion",
        )
    if secret is not None:
        return PresentedCredentials(client_id, secret=secret, method="client_secret_post")
    return PresentedCredentials(client_id)


def _basic_credentials(authorization: bytes | None) -> tuple[str, str] | None:
    if authorization is None:
        return None
    scheme, _, encoded = authorization.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise errors.malformed_request("The Authorization header is not valid Basic.") from None
    if ":" not in decoded:
        raise errors.malformed_request("The Authorization header is not valid Basic.")
    raw_id, _, raw_secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return unquote_plus(raw_id), unquote_plus(raw_secret)


def _secret_state(
    directory: Directory, client: ClientEntry, secret: str, now: float
) -> tuple[str, PasswordEntry | None]:
    """'ok', 'expired' (matches only expired secrets) or 'invalid', and the matching credential;
    constant-time compares."""
    state: tuple[str, PasswordEntry | None] = ("invalid", None)
    for password in client.passwords:
        if directory.secret_digests.matches(password.digest, password.key_id, secret):
            if password.start_at <= now < password.end_at:
                return "ok", password
            if now >= password.end_at:
                state = ("expired", password)
    return state


def find_client(
    cache: DirectoryCache, snapshot: TenantSnapshot, client_id: str, tenant_label: str
) -> tuple[TenantSnapshot, ClientEntry]:
    """The client registered (with a service principal) in this tenant, or 700038 / 700016."""
    if client_id == EMPTY_GUID:
        raise errors.invalid_application_identifier(client_id)
    client = snapshot.client(client_id)
    if client is None:
        snapshot = cache.refresh_tenant(snapshot)
        client = snapshot.client(client_id)
    if client is None:
        raise errors.client_not_found(client_id, tenant_label)
    return snapshot, client


def note_client_attempt(facts: SignInFacts, presented: PresentedCredentials) -> None:
    """The app the request names (a GUID only: anything else may be a pasted secret) and the
    kind of credential it presented, known before anything is checked."""
    if is_guid(presented.client_id):
        facts.app_id = presented.client_id.lower()
    if presented.secret is not None:
        facts.client_credential_type = CLIENT_SECRET
    elif presented.assertion is not None:
        facts.client_credential_type = CLIENT_ASSERTION


def note_client(facts: SignInFacts, client: ClientEntry) -> None:
    facts.app_id = client.app_id
    facts.app_display_name = client.display_name
    facts.service_principal_id = client.service_principal_id


class ClientAuthentication:
    """Authenticates clients for one token service; assertion verifiers are registered per type.

    Without a registered verifier a `jwt-bearer` assertion is refused with AADSTS700027.
    """

    def __init__(
        self, *, cache: DirectoryCache, endpoints: Endpoints, directory: Directory
    ) -> None:
        self.cache = cache
        self.endpoints = endpoints
        self.directory = directory
        self._assertion_verifiers: dict[str, AssertionVerifier] = {}

    def register_client_auth_method(self, assertion_type: str, verifier: AssertionVerifier) -> None:
        """Accept `client_assertion_type=assertion_type`, checked by `verifier`."""
        self._assertion_verifiers[assertion_type] = verifier

    async def authenticate(
        self,
        *,
        snapshot: TenantSnapshot,
        presented: PresentedCredentials,
        tenant_label: str,
        now: float,
        facts: SignInFacts | None = None,
    ) -> AuthenticatedClient:
        cache = self.cache
        if facts is not None:
            note_client_attempt(facts, presented)
        snapshot, client = find_client(cache, snapshot, presented.client_id, tenant_label)
        if facts is not None:
            note_client(facts, client)
        if not client.enabled:
            raise errors.client_disabled(client.app_id, client.display_name)
        if presented.secret is not None:
            state, used = _secret_state(self.directory, client, presented.secret, now)
            if state != "ok":
                # A secret added a moment ago by another process: look once more before refusing.
                snapshot = cache.refresh_tenant(snapshot)
                refreshed = snapshot.client(client.app_id)
                if refreshed is not None:
                    client = refreshed
                    state, used = _secret_state(self.directory, client, presented.secret, now)
            if state == "expired":
                raise errors.expired_secret(client.app_id)
            if state != "ok" or used is None:
                raise errors.invalid_secret(client.app_id)
            if self.directory.secret_digests.outdated(used.digest):
                # A digest from before the pepper: rewritten with it now that the secret is known.
                await anyio.to_thread.run_sync(
                    self.directory.upgrade_secret_digest, used.key_id, presented.secret
                )
            return AuthenticatedClient(client, ACR_SECRET, presented.method, snapshot)
        if presented.assertion is not None and presented.assertion_type is not None:
            verifier = self._assertion_verifiers.get(presented.assertion_type)
            if verifier is None:
                if presented.assertion_type == JWT_BEARER_ASSERTION:
                    raise errors.assertion_failed(
                        "This token service does not accept client assertions."
                    )
                raise errors.malformed_request(
                    f"client_assertion_type must be '{JWT_BEARER_ASSERTION}'."
                )
            acr = await verifier(
                AssertionContext(snapshot, client, presented.assertion, self.endpoints, now, facts)
            )
            return AuthenticatedClient(client, acr, presented.method, snapshot)
        raise errors.credentials_missing()
