"""Grant types of the token endpoint, dispatched by `grant_type`.

A grant handler is an async callable from `TokenRequest` to `IssuedToken` (or an StsError),
registered on the token service with `TokenService.register_grant` when the STS is built
(`StsApp.__init__`). New grants (the resource-owner password grant, ...) are one class and one
registration; client authentication (`ClientAuthentication`) and resource look-up and signing
(`TokenIssuer` in `issuing`) are shared. Handlers get those collaborators when they are built, so
imports run one way: `token → grants → issuing`.
"""

from __future__ import annotations

from tenantlab.sts import errors
from tenantlab.sts.clientauth import ClientAuthentication, presented_credentials
from tenantlab.sts.issuing import IssuedToken, TokenIssuer, TokenRequest

DEFAULT_SUFFIX = "/.default"
# OpenID scopes that ride along harmlessly; Entra ignores them for app-only tokens.
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


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


class ClientCredentialsGrant:
    """RFC 6749 §4.4 with Entra's rules: a tenant endpoint, one resource, `/.default`."""

    def __init__(self, *, issuer: TokenIssuer, clients: ClientAuthentication) -> None:
        self.issuer = issuer
        self.clients = clients

    async def __call__(self, request: TokenRequest) -> IssuedToken:
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
        self.issuer.note_requested_resource(request.snapshot, identifier, request.facts)
        authenticated = await self.clients.authenticate(
            snapshot=request.snapshot,
            presented=presented_credentials(form, request.authorization),
            tenant_label=request.tenant_segment,
            now=request.now,
            facts=request.facts,
        )
        return self.issuer.issue_app_token(authenticated, identifier, request.now, request.facts)
