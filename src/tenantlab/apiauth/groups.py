"""The caller's groups, including the overage case that breaks many APIs in production.

A token names at most 200 groups. Past that, Entra leaves the `groups` claim out and writes
`_claim_names: {"groups": "src1"}` with `_claim_sources.src1.endpoint`: Graph's
`getMemberObjects` for the subject. An API that reads only `groups` then sees a member of 201
groups as a member of none. `GraphGroups` reads the full list from Graph instead, with the API's
own app-only Graph token (GroupMember.Read.All), and remembers it per subject for a while.

The endpoint is *data in the token*: following any URL a token names would let whoever can get
a token issued point the API's Graph credentials at a host of their choosing (SSRF, credential
leak). So the endpoint is only ever rebuilt from the configured Graph origin and the token's own
subject (`oid`, users or service principals); a token naming another host or subject is refused.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tenantlab.apiauth.errors import AuthorityUnavailable, InvalidToken
from tenantlab.apiauth.principal import Principal

GraphToken = Callable[[], Awaitable[str]]


def overage_endpoint(principal: Principal) -> str | None:
    """The `_claim_sources` endpoint of the token's groups overage, or None without one."""
    names = principal.claims.get("_claim_names")
    sources = principal.claims.get("_claim_sources")
    if not isinstance(names, dict) or not isinstance(sources, dict):
        return None
    source = sources.get(names.get("groups"))
    endpoint = source.get("endpoint") if isinstance(source, dict) else None
    return endpoint if isinstance(endpoint, str) else None


class GraphGroups:
    """Resolves the groups of a caller whose token carries the overage, from Microsoft Graph.

    `graph_origin`: where Graph is (`https://graph.microsoft.com`, or tenantlab's origin).
    `token`: an async callable returning an app-only bearer token for Graph (MSAL's
    `acquire_token_for_client(["https://graph.microsoft.com/.default"])`, say); the app needs
    GroupMember.Read.All. Lists are remembered per (tenant, subject) for `ttl` seconds.
    """

    def __init__(
        self,
        *,
        graph_origin: str,
        token: GraphToken,
        transport: httpx.AsyncBaseTransport | None = None,
        ca_bundle: Path | None = None,
        ttl: float = 300.0,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urlsplit(graph_origin)
        if parts.scheme != "https" or not parts.netloc or parts.path.strip("/"):
            raise ValueError(f"graph_origin must be an https origin, not {graph_origin!r}")
        self.origin = f"https://{parts.netloc.lower()}"
        self._token = token
        verify: ssl.SSLContext | bool = True
        if ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(ca_bundle))
        self._http = httpx.AsyncClient(transport=transport, verify=verify, timeout=timeout)
        self._ttl = ttl
        self._clock = clock
        self._known: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    def _trusted_endpoint(self, principal: Principal, endpoint: str) -> str:
        kind = "servicePrincipals" if principal.is_app else "users"
        expected = f"{self.origin}/v1.0/{kind}/{principal.object_id}/getMemberObjects"
        # Entra has long written Azure AD Graph's form; either way only the subject's own list
        # is read, from the configured origin.
        parts = urlsplit(endpoint)
        legacy_path = f"/{principal.tenant_id}/{kind}/{principal.object_id}/getMemberObjects"
        if endpoint.lower() != expected.lower() and parts.path.lower() != legacy_path.lower():
            raise InvalidToken("group_overage_endpoint_not_trusted")
        return expected

    async def groups(self, principal: Principal) -> frozenset[str]:
        """Every group id of the caller: the claim's, or Graph's list when it overflowed."""
        endpoint = overage_endpoint(principal)
        if endpoint is None:
            return principal.groups
        url = self._trusted_endpoint(principal, endpoint)
        key = (principal.tenant_id, principal.object_id)
        now = self._clock()
        known = self._known.get(key)
        if known is not None and known[0] > now:
            return known[1]
        ids = await self._fetch(url)
        if len(self._known) >= 10_000:
            self._known.clear()
        self._known[key] = (now + self._ttl, ids)
        return ids

    async def resolve(self, principal: Principal) -> Principal:
        """The principal with `groups` filled in from Graph when its token overflowed."""
        if overage_endpoint(principal) is None:
            return principal
        return replace(principal, groups=await self.groups(principal))

    async def _fetch(self, url: str) -> frozenset[str]:
        try:
            response = await self._http.post(
                url,
                json={"securityEnabledOnly": False},
                headers={"Authorization": f"Bearer {await self._token()}"},
            )
        except httpx.HTTPError as exc:
            raise AuthorityUnavailable(f"graph_unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise AuthorityUnavailable(f"graph_answered_{response.status_code}")
        body: Any = response.json()
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise AuthorityUnavailable("graph_answered_no_id_list")
        return frozenset(values)
