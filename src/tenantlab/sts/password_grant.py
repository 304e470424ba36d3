"""The resource owner password credentials grant (RFC 6749 §4.3), as Entra offers it for tests.

`grant_type=password` with `username`, `password` and delegated scopes of ONE resource
(`api://.../ToDoList.Read`, or `{resource}/.default` for everything consented). The token is a
delegated one: `scp` instead of `roles`, the user's `oid`, no `idtyp: app`. A scope must be
admin-consented for the client (`tenantlab app grant --scope`), else Entra's AADSTS65001.

Entra documents ROPC as a legacy flow (RFC 9700 §2.4 says not to use it); tenantlab offers it
because it is the one user flow a test can drive without a browser (MSAL's
`acquire_token_by_username_password`). Passwords are argon2id hashes, checked in a worker thread
so the slow hash never blocks the event loop. Failed sign-ins count towards the tenant's smart
lockout (`lockout`): AADSTS50053 while an account is locked, the right password included.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from starlette.concurrency import run_in_threadpool

from tenantlab.directory import Directory, DirectoryError
from tenantlab.directory.sign_ins import INTERACTIVE_USER, SignInFacts
from tenantlab.ids import b64url
from tenantlab.sts import errors
from tenantlab.sts.claims import BACKDATE, TOKEN_LIFETIME, refresh_handle
from tenantlab.sts.clientauth import (
    ClientAuthentication,
    find_client,
    note_client,
    note_client_attempt,
    presented_credentials,
)
from tenantlab.sts.errors import (
    account_locked,
    consent_required,
    invalid_credentials,
    scope_not_exposed,
    user_disabled,
)
from tenantlab.sts.grants import OIDC_SCOPES
from tenantlab.sts.group_claims import add_group_claims, roles_through_groups
from tenantlab.sts.issuing import IssuedToken, TokenIssuer, TokenRequest, note_resource
from tenantlab.sts.lockout import InProcessLockouts, LockoutCounters
from tenantlab.sts.snapshot import ClientEntry, ResourceEntry, TenantSnapshot
from tenantlab.sts.urls import Endpoints

ACR_PUBLIC = "0"
DEFAULT = ".default"


@dataclass(frozen=True)
class SignedInUser:
    id: str
    upn: str
    display_name: str
    given_name: str | None
    surname: str | None
    # The groups the user is directly in, read at sign-in (the snapshot holds no user's groups:
    # a tenant of many users would reload them all on every directory change).
    direct_groups: tuple[str, ...] = ()


def split_scopes(scope: str) -> tuple[str, list[str]]:
    """(resource identifier, scope values) of a delegated request; one resource only (70011)."""
    resource: str | None = None
    values: list[str] = []
    for item in scope.split():
        if item.lower() in OIDC_SCOPES:
            continue
        identifier, slash, value = item.rpartition("/")
        if not slash or not identifier or not value:
            raise errors.invalid_scope(item)
        if resource is not None and identifier.lower() != resource.lower():
            raise errors.invalid_scope(scope)
        resource = identifier
        values.append(value)
    if resource is None:
        raise errors.invalid_scope(scope)
    return resource, values


class PasswordGrant:
    """`grant_type=password`: a user's delegated token, for a public or confidential client."""

    def __init__(
        self,
        *,
        directory: Directory,
        issuer: TokenIssuer,
        clients: ClientAuthentication,
        lockouts: LockoutCounters | None = None,
    ) -> None:
        self.directory = directory
        self.issuer = issuer
        self.clients = clients
        self.lockouts: LockoutCounters = lockouts if lockouts is not None else InProcessLockouts()

    @functools.cached_property
    def _decoy(self) -> str:
        """Checked when the user does not exist, so that both failures cost one argon2 check."""
        return PasswordHasher().hash(uuid.uuid4().hex)

    def _sign_in(
        self, snapshot: TenantSnapshot, username: str, password: str, now: float, facts: SignInFacts
    ) -> SignedInUser:
        """Runs in a worker thread: a database read and one argon2 verification (none if locked).

        Known and unknown users take the same steps: look-up, lockout check, one argon2 check
        (the decoy's for an unknown user), the same failure counting.
        """
        tenant_id = snapshot.tenant_id
        try:
            user = self.directory.get_user(tenant=tenant_id, key=username)
        except DirectoryError:
            user = None
        if user is not None:  # an existing user's name only: a mistyped one may be a password
            facts.user_id = user.id
            facts.user_principal_name = user.user_principal_name
        account = f"{tenant_id}/{user.id if user is not None else 'name:' + username.lower()}"
        if self.lockouts.locked_until(account) > now:
            raise account_locked()
        if user is not None and user.password_hash:
            verified = self.directory.verify_user_password(user, password)
        else:
            with contextlib.suppress(VerificationError):
                PasswordHasher().verify(self._decoy, password)
            verified = False
        if not verified:
            self.lockouts.record_failure(account, now, snapshot.lockout)
            raise invalid_credentials()
        self.lockouts.record_success(account)
        assert user is not None
        if not user.account_enabled:
            raise user_disabled()
        return SignedInUser(
            user.id,
            user.user_principal_name,
            user.display_name,
            user.given_name,
            user.surname,
            tuple(self.directory.direct_group_ids(user.id)),
        )

    def _granted_scopes(
        self, tenant_id: str, client: ClientEntry, resource: ResourceEntry, wanted: list[str]
    ) -> list[str]:
        """The scopes to put in `scp`: the requested ones, each exposed and consented."""
        sp = self.directory.get_service_principal(tenant=tenant_id, key=resource.app_id)
        offered = {str(s["value"]).lower() for s in self.directory.effective_scopes(sp)}
        for value in wanted:
            if value != DEFAULT and value.lower() not in offered:
                raise scope_not_exposed(client.display_name, value, resource.app_id)
        consented = self.directory.consented_scopes(
            client.service_principal_id, resource.service_principal_id
        )
        if DEFAULT in wanted:
            granted = consented
        else:
            lowered = {c.lower(): c for c in consented}
            if any(v.lower() not in lowered for v in wanted):
                granted = []
            else:
                granted = [lowered[v.lower()] for v in dict.fromkeys(wanted)]
        if not granted:
            raise consent_required(client.app_id, client.display_name)
        return granted

    async def _client(self, request: TokenRequest) -> tuple[TenantSnapshot, ClientEntry, str]:
        assert request.snapshot is not None
        presented = presented_credentials(request.form, request.authorization)
        if presented.method != "none":
            caller = await self.clients.authenticate(
                snapshot=request.snapshot,
                presented=presented,
                tenant_label=request.tenant_segment,
                now=request.now,
                facts=request.facts,
            )
            return caller.snapshot, caller.client, caller.acr
        # A public client (MSAL's PublicClientApplication) proves nothing about itself. The
        # directory has no isFallbackPublicClient flag, so an app with any credential registered
        # counts as confidential and must present one, as Entra demands (AADSTS7000218).
        note_client_attempt(request.facts, presented)
        snapshot, client = find_client(
            self.clients.cache, request.snapshot, presented.client_id, request.tenant_segment
        )
        note_client(request.facts, client)
        if not client.enabled:
            raise errors.client_disabled(client.app_id, client.display_name)
        if client.passwords or client.certificates or client.federated:
            raise errors.credentials_missing()
        return snapshot, client, ACR_PUBLIC

    async def __call__(self, request: TokenRequest) -> IssuedToken:
        form = request.form
        request.facts.event_type = INTERACTIVE_USER
        if request.snapshot is None:
            raise errors.tenant_required_for_grant(request.tenant_segment.lower())
        for name in ("username", "password"):
            if not form.get(name):
                raise errors.missing_parameter(name)
        if request.endpoint == "v2":
            scope = form.get("scope", "").strip()
            if not scope:
                raise errors.missing_parameter("scope")
            identifier, wanted = split_scopes(scope)
        else:
            identifier, wanted = form.get("resource", "").strip(), [DEFAULT]
            if not identifier:
                raise errors.missing_parameter("resource")
        self.issuer.note_requested_resource(request.snapshot, identifier, request.facts)
        snapshot, client, acr = await self._client(request)
        # The password first: nothing about consent is revealed to a caller without one.
        user = await run_in_threadpool(
            self._sign_in, snapshot, form["username"], form["password"], request.now, request.facts
        )
        snapshot, resource, canonical = self.issuer.find_resource(snapshot, identifier)
        note_resource(request.facts, resource)
        scopes = await run_in_threadpool(
            self._granted_scopes, snapshot.tenant_id, client, resource, wanted
        )
        claims = delegated_claims(
            self.issuer.endpoints,
            snapshot.tenant_id,
            client.app_id,
            acr,
            resource,
            canonical,
            user,
            scopes,
            request.now,
            roles_through_groups(snapshot, user.direct_groups, resource),
        )
        add_group_claims(
            claims,
            endpoints=self.issuer.endpoints,
            snapshot=snapshot,
            resource=resource,
            subject_id=user.id,
            subject_kind="users",
            direct_groups=user.direct_groups,
        )
        return self.issuer.sign(snapshot, resource, canonical, claims)


def delegated_claims(
    endpoints: Endpoints,
    tenant_id: str,
    client_app_id: str,
    acr: str,
    resource: ResourceEntry,
    requested_identifier: str,
    user: SignedInUser,
    scopes: list[str],
    now: float,
    roles: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A user's access token in Entra's v2 or v1 shape (the resource's token version decides).

    `roles`: the resource's app roles assigned to the user's groups (omitted when none)."""
    issued = int(now)
    # `sub` is pairwise: the same user has a different `sub` in every client app.
    sub = b64url(hashlib.sha256(f"{user.id}:{client_app_id}".encode()).digest())
    common: dict[str, Any] = {
        "iat": issued - BACKDATE,
        "nbf": issued - BACKDATE,
        "exp": issued + TOKEN_LIFETIME,
    }
    if resource.token_version == 2:
        return {
            "aud": resource.app_id,
            "iss": endpoints.issuer_v2(tenant_id),
            **common,
            "azp": client_app_id,
            "azpacr": acr,
            "name": user.display_name,
            "oid": user.id,
            "preferred_username": user.upn,
            "rh": refresh_handle(tenant_id, client_app_id, resource.app_id),
            **({"roles": list(roles)} if roles else {}),
            "scp": " ".join(scopes),
            "sub": sub,
            "tid": tenant_id,
            "uti": b64url(uuid.uuid4().bytes),
            "ver": "2.0",
        }
    claims: dict[str, Any] = {
        "aud": resource.app_id if resource.aud_use_guid else requested_identifier,
        "iss": endpoints.issuer_v1(tenant_id),
        **common,
        "acr": "1",
        "amr": ["pwd"],
        "appid": client_app_id,
        "appidacr": acr,
    }
    if user.surname:
        claims["family_name"] = user.surname
    if user.given_name:
        claims["given_name"] = user.given_name
    claims.update(
        name=user.display_name,
        oid=user.id,
        rh=refresh_handle(tenant_id, client_app_id, resource.app_id),
        **({"roles": list(roles)} if roles else {}),
        scp=" ".join(scopes),
        sub=sub,
        tid=tenant_id,
        unique_name=user.upn,
        upn=user.upn,
        uti=b64url(uuid.uuid4().bytes),
        ver="1.0",
    )
    return claims
