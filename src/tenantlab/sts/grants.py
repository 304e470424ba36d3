"""Grant types of the token endpoint, dispatched by `grant_type`.

`GRANTS` maps a grant_type to a handler; a handler receives the parsed `TokenRequest` and returns
an `IssuedToken` or raises an StsError. New grants (the resource-owner password grant, ...) are one
function and one entry here; client authentication (`clientauth`) and token minting
(`TokenService.mint`) are shared.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tenantlab.ids import MICROSOFT_GRAPH_RESOURCE
from tenantlab.sts import errors
from tenantlab.sts.clientauth import AuthenticatedClient, authenticate, presented_credentials
from tenantlab.sts.snapshot import ResourceEntry, TenantSnapshot

if TYPE_CHECKING:
    from tenantlab.sts.token import TokenService

DEFAULT_SUFFIX = "/.default"
# OpenID scopes that ride along harmlessly; Entra ignores them for app-only tokens.
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


@dataclass
class TokenRequest:
    form: dict[str, str]
    endpoint: str  # "v2" (/oauth2/v2.0/token) or "v1" (/oauth2/token)
    tenant_segment: str  # as the client wrote it
    snapshot: TenantSnapshot | None  # None for /common, /organizations, /consumers
    authorization: bytes | None
    now: float


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    ext_expires_in: int
    not_before: int
    expires_on: int
    resource: str  # the identifier the client asked for (v1 responses echo it)


GrantHandler = Callable[["TokenService", TokenRequest], Awaitable[IssuedToken]]


def resource_from_scope(scope: str) -> str:
    """The one resource a client-credentials `scope` names; 1002012 / 70011 otherwise."""
    scopes = [s for s in scope.split(" ") if s and s not in OIDC_SCOPES]
    if not scopes:
        raise errors.invalid_scope(scope)
    resources: list[str] = []
    for item in scopes:
        if not item.endswith(DEFAULT_SUFFIX):
            raise errors.scope_needs_default(item)
        resource = item[: -len(DEFAULT_SUFFIX)]
        if not resource:
            raise errors.invalid_scope(item)
        if resource.lower() not in (r.lower() for r in resources):
            resources.append(resource)
    if len(resources) > 1:
        raise errors.invalid_scope(scope)
    return resources[0]


def find_resource(
    service: TokenService, snapshot: TenantSnapshot, identifier: str
) -> tuple[TenantSnapshot, ResourceEntry, str]:
    # Graph is served at the cloud's own origin, so a sample that builds its scope from its Graph
    # endpoint setting (Microsoft's Node console daemon: GRAPH_ENDPOINT + ".default") names Graph
    # by that origin. The token is Graph's as usual (aud https://graph.microsoft.com).
    if identifier.rstrip("/").lower() == service.endpoints.origin.lower():
        identifier = MICROSOFT_GRAPH_RESOURCE
    found = snapshot.resource(identifier)
    if found is None:
        snapshot = service.cache.refresh_tenant(snapshot)
        found = snapshot.resource(identifier)
    if found is None:
        raise errors.resource_not_found(identifier, snapshot.tenant_id)
    return snapshot, found[0], found[1]


async def client_credentials(service: TokenService, request: TokenRequest) -> IssuedToken:
    """RFC 6749 §4.4 with Entra's rules: a tenant endpoint, one resource, `/.default`."""
    form = request.form
    if request.snapshot is None:
        raise errors.tenant_required_for_grant(request.tenant_segment.lower())
    if request.endpoint == "v2":
        if "resource" in form:
            raise errors.resource_parameter_not_supported()
        scope = form.get("scope", "").strip()
        if not scope:
            raise errors.missing_parameter("scope")
        identifier = resource_from_scope(scope)
    else:
        identifier = form.get("resource", "").strip()
        if not identifier:
            raise errors.missing_parameter("resource")
    presented = presented_credentials(form, request.authorization)
    authenticated = await authenticate(
        cache=service.cache,
        snapshot=request.snapshot,
        presented=presented,
        endpoints=service.endpoints,
        tenant_label=request.tenant_segment,
        now=request.now,
    )
    return service.issue_app_token(authenticated, identifier, request.now)


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


GRANTS: dict[str, GrantHandler] = {
    "client_credentials": client_credentials,
}
