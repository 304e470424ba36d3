"""OpenID discovery (v2 and v1), JWKS, and instance discovery — field by field as Entra serves them.

Field sets and values follow Entra's live documents (entra-behaviour-and-peers.md §4.5; the golden
file in reference/entra-captures). Where a value names a Microsoft host we serve ourselves
(endpoints, `msgraph_host`, `userinfo_endpoint`) it points at our origin; informational values
(`cloud_instance_name`, `cloud_graph_host_name`, `rbac_url`, `tenant_region_scope`) keep Entra's.
We leave out what we do not implement: `kerberos_endpoint`, `mtls_endpoint_aliases`,
`tls_client_certificate_bound_access_tokens` and `self_signed_tls_client_auth`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from tenantlab.keys import KeyStore
from tenantlab.storage.database import Database
from tenantlab.storage.schema import SigningKey
from tenantlab.sts import errors
from tenantlab.sts.urls import TENANT_TEMPLATE, Endpoints

TOKEN_AUTH_METHODS = ["client_secret_post", "private_key_jwt", "client_secret_basic"]
RESPONSE_MODES = ["query", "fragment", "form_post"]
CLOUD_INSTANCE_NAME = "microsoftonline.com"
CLOUD_GRAPH_HOST_NAME = "graph.windows.net"
RBAC_URL = "https://pas.windows.net"
TENANT_REGION_SCOPE = "NA"
# Hosts that are Entra's own names: when tenantlab is mapped onto them, they are aliases of us.
MICROSOFT_AUTHORITY_HOSTS = (
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
)

CLAIMS_V2 = [
    "sub",
    "iss",
    "cloud_instance_name",
    "cloud_instance_host_name",
    "cloud_graph_host_name",
    "msgraph_host",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "acr",
    "nonce",
    "preferred_username",
    "name",
    "tid",
    "ver",
    "at_hash",
    "c_hash",
    "email",
]
CLAIMS_V1 = [
    "sub",
    "iss",
    "cloud_instance_name",
    "cloud_instance_host_name",
    "cloud_graph_host_name",
    "msgraph_host",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "acr",
    "amr",
    "nonce",
    "email",
    "given_name",
    "family_name",
    "nickname",
]


def openid_configuration_v2(
    endpoints: Endpoints, tenant: str, issuer_tenant: str | None = None
) -> dict[str, Any]:
    """`/{tenant}/v2.0/.well-known/openid-configuration`.

    `tenant` is the tenant GUID (or `common` / `organizations`, whose documents carry Entra's
    templated issuer: `issuer_tenant` = `{tenantid}`).
    """
    origin = endpoints.origin
    return {
        "token_endpoint": endpoints.token_v2(tenant),
        "token_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
        "jwks_uri": endpoints.jwks_v2(tenant),
        "response_modes_supported": list(RESPONSE_MODES),
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": endpoints.issuer_v2(issuer_tenant or tenant),
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{origin}/oidc/userinfo",
        "authorization_endpoint": endpoints.authorize_v2(tenant),
        "device_authorization_endpoint": f"{origin}/{tenant}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{origin}/{tenant}/oauth2/v2.0/logout",
        "claims_supported": list(CLAIMS_V2),
        "tenant_region_scope": TENANT_REGION_SCOPE,
        "cloud_instance_name": CLOUD_INSTANCE_NAME,
        "cloud_graph_host_name": CLOUD_GRAPH_HOST_NAME,
        "msgraph_host": endpoints.graph_host,
        "rbac_url": RBAC_URL,
    }


def openid_configuration_v1(
    endpoints: Endpoints, tenant: str, issuer_tenant: str | None = None
) -> dict[str, Any]:
    """`/{tenant}/.well-known/openid-configuration`: the v1 issuer and the common JWKS."""
    origin = endpoints.origin
    return {
        "token_endpoint": endpoints.token_v1(tenant),
        "token_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
        "jwks_uri": endpoints.jwks_common(),
        "response_modes_supported": list(RESPONSE_MODES),
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": [
            "code",
            "id_token",
            "code id_token",
            "token id_token",
            "token",
        ],
        "scopes_supported": ["openid"],
        "issuer": endpoints.issuer_v1(issuer_tenant or tenant),
        "microsoft_multi_refresh_token": True,
        "authorization_endpoint": endpoints.authorize_v1(tenant),
        "device_authorization_endpoint": f"{origin}/{tenant}/oauth2/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{origin}/{tenant}/oauth2/logout",
        "claims_supported": list(CLAIMS_V1),
        "check_session_iframe": f"{origin}/{tenant}/oauth2/checksession",
        "userinfo_endpoint": f"{origin}/{tenant}/openid/userinfo",
        "tenant_region_scope": TENANT_REGION_SCOPE,
        "cloud_instance_name": CLOUD_INSTANCE_NAME,
        "cloud_graph_host_name": CLOUD_GRAPH_HOST_NAME,
        "msgraph_host": endpoints.graph_host,
        "rbac_url": RBAC_URL,
    }


def tenant_jwks(
    keys: KeyStore, endpoints: Endpoints, tenant_id: str, revision: int
) -> dict[str, Any]:
    """The tenant's signing keys; each names the tenant's v2 issuer, as Entra's do."""
    issuer = endpoints.issuer_v2(tenant_id)
    return {"keys": [k.public.jwk(issuer) for k in keys.published(tenant_id, revision)]}


def common_jwks(
    database: Database, keys: KeyStore, endpoints: Endpoints, now: float
) -> dict[str, Any]:
    """Every tenant's published keys, with the templated issuer Entra's common keys carry."""
    issuer = endpoints.issuer_v2(TENANT_TEMPLATE)
    with database.session() as session:
        rows = session.execute(
            select(SigningKey.kid, SigningKey.remove_after).order_by(
                SigningKey.tenant_id, SigningKey.activated_at.desc()
            )
        ).all()
    result = []
    for kid, remove_after in rows:
        if remove_after is not None and remove_after <= now:
            continue
        public = keys.find(kid)
        if public is not None:
            result.append(public.jwk(issuer))
    return {"keys": result}


def instance_discovery(endpoints: Endpoints, query: dict[str, str]) -> dict[str, Any]:
    """`/common/discovery/instance` for api-version 1.0 and 1.1 (MSAL's authority validation).

    The `authorization_endpoint` the client names must be on our host (MSAL Python drops the port,
    so any port matches) or on one of Entra's host names when tenantlab stands in for them.
    """
    authorization_endpoint = query.get("authorization_endpoint", "")
    if not authorization_endpoint:
        raise errors.missing_parameter("authorization_endpoint")
    parts = urlsplit(authorization_endpoint)
    ours = urlsplit(endpoints.origin)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or host not in {ours.hostname, *MICROSOFT_AUTHORITY_HOSTS}:
        raise errors.unknown_instance()
    segments = [s for s in parts.path.split("/") if s]
    tenant = segments[0] if segments else "common"
    netloc = endpoints.netloc
    aliases = [netloc]
    if ours.hostname in MICROSOFT_AUTHORITY_HOSTS and not ours.port:
        aliases += [h for h in MICROSOFT_AUTHORITY_HOSTS if h != netloc]
    return {
        "tenant_discovery_endpoint": endpoints.discovery_v2(tenant),
        "api-version": "1.1",  # what Entra answers to 1.0 and 1.1 requests alike
        "metadata": [{"preferred_network": netloc, "preferred_cache": netloc, "aliases": aliases}],
    }
