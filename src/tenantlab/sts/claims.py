"""App-only access-token claims in Entra's v1 and v2 shapes.

The resource decides the shape (its `api.requestedAccessTokenVersion`; Microsoft Graph: always
v1), never the endpoint the client called. Claims follow what real tokens carry
(entra-behaviour-and-peers.md §4.3): v2 `aio aud azp azpacr exp iat iss nbf oid rh sub tid uti
ver xms_ftd`, v1 `aud iss iat nbf exp aio app_displayname appid appidacr idp idtyp oid rh roles sub
tid uti ver`. `roles` is omitted when nothing was granted; `idtyp` appears on v1 Graph tokens and
wherever the resource asked for that optional claim. `iat`/`nbf` are back-dated five minutes and
`exp` is an hour from now, so `exp - iat` is 3900 s as in Entra's tokens.
"""

from __future__ import annotations

import base64
import functools
import os
import uuid
from typing import Any

from tenantlab.ids import b64url
from tenantlab.sts.snapshot import ClientEntry, ResourceEntry, TenantSnapshot
from tenantlab.sts.urls import Endpoints

TOKEN_LIFETIME = 3600
BACKDATE = 300
EXPIRES_IN = TOKEN_LIFETIME - 1  # what Entra reports for a one-hour token


def _opaque(size: int) -> str:
    """Entra's `aio`: an opaque, padded base64 blob; nothing may depend on its content."""
    return base64.b64encode(os.urandom(size)).decode("ascii")


@functools.lru_cache(maxsize=4096)
def refresh_handle(tenant_id: str, client_app_id: str, resource_app_id: str) -> str:
    """`rh`: opaque to all but Entra; shaped like `0.A<base64url>AAA.`, stable per triple."""
    raw = b"".join(uuid.UUID(i).bytes for i in (tenant_id, client_app_id, resource_app_id))
    return f"0.A{b64url(raw)}AAA."


def access_token_claims(
    *,
    endpoints: Endpoints,
    snapshot: TenantSnapshot,
    client: ClientEntry,
    acr: str,
    resource: ResourceEntry,
    requested_identifier: str,
    roles: tuple[str, ...],
    now: float,
) -> dict[str, Any]:
    """The payload of an app-only token for `client` calling `resource` in the snapshot's tenant.

    `acr` is appidacr/azpacr: "1" client secret, "2" certificate or federated assertion.
    `requested_identifier` is the resource identifier the client asked for (v1 `aud` echoes it).
    """
    issued = int(now)
    tid = snapshot.tenant_id
    oid = client.service_principal_id
    claims: dict[str, Any]
    if resource.token_version == 2:
        claims = {
            "aud": resource.app_id,
            "iss": endpoints.issuer_v2(tid),
            "iat": issued - BACKDATE,
            "nbf": issued - BACKDATE,
            "exp": issued + TOKEN_LIFETIME,
            "aio": _opaque(48),
            "azp": client.app_id,
            "azpacr": acr,
        }
        if resource.idtyp:
            claims["idtyp"] = "app"
        claims["oid"] = oid
        claims["rh"] = refresh_handle(tid, client.app_id, resource.app_id)
        if roles:
            claims["roles"] = list(roles)
        claims["sub"] = oid
        claims["tid"] = tid
        claims["uti"] = b64url(uuid.uuid4().bytes)
        claims["ver"] = "2.0"
        claims["xms_ftd"] = _opaque(48)
        if client.managed_identity_resource_id is not None:
            claims["xms_mirid"] = client.managed_identity_resource_id
        return claims

    issuer = endpoints.issuer_v1(tid)
    audience = resource.app_id if resource.aud_use_guid else requested_identifier
    claims = {
        "aud": audience,
        "iss": issuer,
        "iat": issued - BACKDATE,
        "nbf": issued - BACKDATE,
        "exp": issued + TOKEN_LIFETIME,
        "aio": _opaque(48),
        "app_displayname": client.display_name,
        "appid": client.app_id,
        "appidacr": acr,
        "idp": issuer,
    }
    if resource.first_party or resource.idtyp:
        claims["idtyp"] = "app"
    claims["oid"] = oid
    claims["rh"] = refresh_handle(tid, client.app_id, resource.app_id)
    if roles:
        claims["roles"] = list(roles)
    claims["sub"] = oid
    claims["tid"] = tid
    claims["uti"] = b64url(uuid.uuid4().bytes)
    claims["ver"] = "1.0"
    if client.managed_identity_resource_id is not None:
        claims["xms_mirid"] = client.managed_identity_resource_id
    if resource.first_party:
        claims["xms_tcdt"] = int(snapshot.created_at)
    return claims
