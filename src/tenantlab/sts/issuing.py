"""What every grant shares: the parsed request, the issued token, resource look-up and signing.

A leaf of the token service. The token endpoint (`token`) dispatches to grant handlers (`grants`,
`password_grant`), and both import this module, never the other way round:
`token → grants → issuing`. A grant handler is any async callable from `TokenRequest` to
`IssuedToken`; it gets its collaborators (a `TokenIssuer`, the client authentication) when it is
built, so it never needs the service that dispatches to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tenantlab.directory.sign_ins import SignInFacts
from tenantlab.ids import MICROSOFT_GRAPH_RESOURCE
from tenantlab.keys import KeyStore
from tenantlab.sts import errors
from tenantlab.sts.claims import EXPIRES_IN, access_token_claims
from tenantlab.sts.clientauth import AuthenticatedClient
from tenantlab.sts.group_claims import add_group_claims
from tenantlab.sts.snapshot import DirectoryCache, ResourceEntry, TenantSnapshot
from tenantlab.sts.urls import Endpoints


@dataclass
class TokenRequest:
    form: dict[str, str]
    endpoint: str  # "v2" (/oauth2/v2.0/token) or "v1" (/oauth2/token)
    tenant_segment: str  # as the client wrote it
    snapshot: TenantSnapshot | None  # None for /common, /organizations, /consumers
    authorization: bytes | None
    now: float
    # What the sign-in log will say about this request; grants fill it as they learn.
    facts: SignInFacts = field(default_factory=SignInFacts)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    ext_expires_in: int
    not_before: int
    expires_on: int
    resource: str  # the identifier the client asked for (v1 responses echo it)


GrantHandler = Callable[[TokenRequest], Awaitable[IssuedToken]]


def check_assignment(
    snapshot: TenantSnapshot, caller: AuthenticatedClient, resource: ResourceEntry
) -> None:
    """Resources with 'assignment required' refuse clients holding none of their app roles."""
    client = caller.client
    if resource.assignment_required and not snapshot.has_assignment(
        client.service_principal_id, resource.service_principal_id
    ):
        raise errors.assignment_required(
            client.app_id, client.display_name, resource.app_id, resource.display_name
        )


def note_resource(facts: SignInFacts, resource: ResourceEntry) -> None:
    facts.resource_id = resource.app_id
    facts.resource_display_name = resource.display_name


@dataclass(frozen=True)
class TokenIssuer:
    """Resolves resources and signs access tokens with the tenant's active key."""

    cache: DirectoryCache
    keys: KeyStore
    endpoints: Endpoints

    def note_requested_resource(
        self, snapshot: TenantSnapshot, identifier: str, facts: SignInFacts
    ) -> None:
        """The resource a request names, for its sign-in record even if the client then fails to
        authenticate (a look-up in the snapshot at hand; nothing refreshed, nothing raised)."""
        found = snapshot.resource(self._graph_alias(identifier))
        if found is not None:
            note_resource(facts, found[0])

    def _graph_alias(self, identifier: str) -> str:
        return MICROSOFT_GRAPH_RESOURCE if self.endpoints.names_graph(identifier) else identifier

    def find_resource(
        self, snapshot: TenantSnapshot, identifier: str
    ) -> tuple[TenantSnapshot, ResourceEntry, str]:
        """(possibly refreshed snapshot, resource, canonical identifier), or 500011."""
        identifier = self._graph_alias(identifier)
        found = snapshot.resource(identifier)
        if found is None:
            snapshot = self.cache.refresh_tenant(snapshot)
            found = snapshot.resource(identifier)
        if found is None:
            raise errors.resource_not_found(identifier, snapshot.tenant_id)
        return snapshot, found[0], found[1]

    def sign(
        self,
        snapshot: TenantSnapshot,
        resource: ResourceEntry,
        canonical: str,
        claims: dict[str, Any],
    ) -> IssuedToken:
        """Sign `claims` with the tenant's active key (v1 tokens also carry `x5t`)."""
        key = self.keys.active(snapshot.tenant_id, snapshot.revision)
        token = key.sign(claims, with_x5t=resource.token_version == 1)
        return IssuedToken(
            access_token=token,
            expires_in=EXPIRES_IN,
            ext_expires_in=EXPIRES_IN,
            not_before=claims["nbf"],
            expires_on=claims["exp"],
            resource=canonical,
        )

    def issue_app_token(
        self,
        caller: AuthenticatedClient,
        identifier: str,
        now: float,
        facts: SignInFacts | None = None,
    ) -> IssuedToken:
        """An app-only access token for `caller` to call the resource named by `identifier`."""
        snapshot, resource, canonical = self.find_resource(caller.snapshot, identifier)
        if facts is not None:
            note_resource(facts, resource)
        check_assignment(snapshot, caller, resource)
        roles = snapshot.role_values(
            caller.client.service_principal_id, resource.service_principal_id
        )
        claims = access_token_claims(
            endpoints=self.endpoints,
            snapshot=snapshot,
            client=caller.client,
            acr=caller.acr,
            resource=resource,
            requested_identifier=canonical,
            roles=roles,
            now=now,
        )
        add_group_claims(
            claims,
            endpoints=self.endpoints,
            snapshot=snapshot,
            resource=resource,
            subject_id=caller.client.service_principal_id,
            subject_kind="servicePrincipals",
        )
        return self.sign(snapshot, resource, canonical, claims)
