"""`GraphGroups`: the groups overage resolved from Graph's getMemberObjects, only ever at the
configured Graph origin and for the token's own subject (an endpoint in a token is data)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tenantlab.apiauth import AuthorityUnavailable, GraphGroups, InvalidToken, Principal

TENANT = "8f1f2c3d-0000-4000-8000-000000000001"
OID = "8f1f2c3d-0000-4000-8000-0000000000aa"
GRAPH = "https://graph.example.test"


def principal(
    endpoint: str | None, *, is_app: bool = False, groups: tuple[str, ...] = ()
) -> Principal:
    claims: dict[str, Any] = {"oid": OID, "tid": TENANT}
    if endpoint is not None:
        claims["_claim_names"] = {"groups": "src1"}
        claims["_claim_sources"] = {"src1": {"endpoint": endpoint}}
    return Principal(
        tenant_id=TENANT, object_id=OID, client_id=None, is_app=is_app, scopes=frozenset(),
        roles=frozenset(), version="2.0", kid="k", expires_at=0.0, claims=claims,
        groups=frozenset(groups),
    )  # fmt: skip


class FakeGraph:
    def __init__(self, status: int = 200, body: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.body = body if body is not None else {"value": ["g1", "g2"]}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)


def resolver(graph: FakeGraph, now: list[float]) -> GraphGroups:
    async def token() -> str:
        return "graph-token"

    return GraphGroups(
        graph_origin=GRAPH, token=token, transport=httpx.MockTransport(graph), clock=lambda: now[0]
    )


def test_the_overage_is_read_from_graph_once_per_ttl() -> None:
    graph, now = FakeGraph(), [0.0]
    groups = resolver(graph, now)
    caller = principal(f"{GRAPH}/v1.0/users/{OID}/getMemberObjects")
    assert caller.group_overage is True
    resolved = asyncio.run(groups.resolve(caller))
    assert resolved.groups == {"g1", "g2"}
    asyncio.run(groups.resolve(caller))
    assert len(graph.requests) == 1
    request = graph.requests[0]
    assert str(request.url) == f"{GRAPH}/v1.0/users/{OID}/getMemberObjects"
    assert request.headers["authorization"] == "Bearer graph-token"
    assert json.loads(request.content) == {"securityEnabledOnly": False}
    now[0] = 301.0
    asyncio.run(groups.resolve(caller))
    assert len(graph.requests) == 2


def test_without_overage_the_claim_is_the_answer_and_graph_is_not_called() -> None:
    graph = FakeGraph()
    caller = principal(None, groups=("a",))
    assert asyncio.run(resolver(graph, [0.0]).resolve(caller)).groups == {"a"}
    assert graph.requests == []


def test_entras_legacy_endpoint_is_read_from_the_configured_graph() -> None:
    graph = FakeGraph()
    legacy = f"https://graph.windows.net/{TENANT}/servicePrincipals/{OID}/getMemberObjects"
    asyncio.run(resolver(graph, [0.0]).resolve(principal(legacy, is_app=True)))
    assert str(graph.requests[0].url) == f"{GRAPH}/v1.0/servicePrincipals/{OID}/getMemberObjects"


@pytest.mark.parametrize(
    "endpoint",
    [
        f"https://attacker.example/v1.0/users/{OID}/getMemberObjects",
        f"{GRAPH}/v1.0/users/8f1f2c3d-0000-4000-8000-0000000000bb/getMemberObjects",
        f"{GRAPH}/v1.0/servicePrincipals/{OID}/getMemberObjects",  # a user is no service principal
        f"{GRAPH}/v1.0/users/{OID}/getMemberObjects/../../me",
    ],
)
def test_an_endpoint_elsewhere_is_refused_and_never_called(endpoint: str) -> None:
    graph = FakeGraph()
    with pytest.raises(InvalidToken) as caught:
        asyncio.run(resolver(graph, [0.0]).resolve(principal(endpoint)))
    assert caught.value.reason == "group_overage_endpoint_not_trusted"
    assert graph.requests == []


@pytest.mark.parametrize(("status", "body"), [(403, {"error": {}}), (200, {"value": [1]})])
def test_graph_failures_are_authority_unavailable(status: int, body: Any) -> None:
    graph = FakeGraph(status, body)
    with pytest.raises(AuthorityUnavailable):
        asyncio.run(
            resolver(graph, [0.0]).resolve(principal(f"{GRAPH}/v1.0/users/{OID}/getMemberObjects"))
        )


def test_graph_origin_must_be_an_https_origin() -> None:
    async def token() -> str:
        return ""

    with pytest.raises(ValueError, match="https origin"):
        GraphGroups(graph_origin="http://graph.example.test", token=token)
