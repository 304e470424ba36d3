"""Issuers and endpoint URLs, all derived from the platform's public origin.

Entra's shapes with our origin in place of `login.microsoftonline.com`:

- v2 issuer `{origin}/{tid}/v2.0` (Entra: `https://login.microsoftonline.com/{tid}/v2.0`);
- v1 issuer `{origin}/{tid}/` standing in for `https://sts.windows.net/{tid}/` — a distinct URL,
  with Entra's trailing slash, so validators tell v1 from v2 tokens exactly as they do in Azure.

When tenantlab stands in for Microsoft (public URL `https://login.microsoftonline.com`: `tenantlab
run`, `tenantlab up --as-microsoft`), both issuers are Entra's exactly — v1 on
`https://sts.windows.net` — and Graph's host is `graph.microsoft.com`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from tenantlab.config import MICROSOFT_GRAPH_ORIGIN, MICROSOFT_LOGIN_ORIGIN, v1_issuer_origin

# The placeholder Entra's multi-tenant documents use in place of a tenant id.
TENANT_TEMPLATE = "{tenantid}"


@dataclass(frozen=True)
class Endpoints:
    origin: str  # scheme://host[:port], no trailing slash

    @property
    def netloc(self) -> str:
        """host[:port] of the origin (what msal-node's knownAuthorities lists)."""
        return urlsplit(self.origin).netloc

    @property
    def graph_host(self) -> str:
        """Graph's host[:port] (discovery's `msgraph_host`): ours, or graph.microsoft.com."""
        if self.origin.lower() == MICROSOFT_LOGIN_ORIGIN:
            return urlsplit(MICROSOFT_GRAPH_ORIGIN).netloc
        return self.netloc

    @property
    def graph_origin(self) -> str:
        """Graph's origin, for links tokens carry (the groups overage's getMemberObjects)."""
        return f"{urlsplit(self.origin).scheme}://{self.graph_host}"

    def names_graph(self, identifier: str) -> bool:
        """Whether a resource identifier is our origin standing for Graph.

        Graph is served at the cloud's own origin, so a sample that builds its scope from its Graph
        endpoint setting (Microsoft's Node console daemon: GRAPH_ENDPOINT + ".default") names Graph
        by that origin. As Microsoft, Graph has its own host and the login origin is no resource
        (Entra answers AADSTS500011 for `https://login.microsoftonline.com/.default`).
        """
        if self.graph_host != self.netloc:
            return False
        return identifier.rstrip("/").lower() == self.origin.lower()

    def issuer_v2(self, tenant_id: str) -> str:
        return f"{self.origin}/{tenant_id}/v2.0"

    def issuer_v1(self, tenant_id: str) -> str:
        return f"{v1_issuer_origin(self.origin)}/{tenant_id}/"

    def token_v2(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}/oauth2/v2.0/token"

    def token_v1(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}/oauth2/token"

    def authorize_v2(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}/oauth2/v2.0/authorize"

    def authorize_v1(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}/oauth2/authorize"

    def jwks_v2(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}/discovery/v2.0/keys"

    def jwks_common(self) -> str:
        return f"{self.origin}/common/discovery/keys"

    def discovery_v2(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}/v2.0/.well-known/openid-configuration"
