"""Graph under random requests: never a 5xx, always Graph's wire format (issue 11 item 10).

Graph has no OpenAPI document (Microsoft publishes CSDL, and a hand-written subset would only
restate these handlers), so instead of schemathesis this is a property-based run over the route
table: random methods on every route shape, with real and random ids, random OData options
(nested filters included) and random JSON bodies, sent by a caller holding every permission.
Every answer must be below 500; an error must be Graph's envelope with its request ids; a success
must be Graph's JSON (or the plain-text `$count`, or an empty 204). Bounded by `max_examples`.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import pytest

from tenantlab.graph.routing import JSON_TYPE
from tenantlab.graph.shapes import APPLICATION, SERVICE_PRINCIPAL, USER

try:  # a .venv made before Hypothesis (with schemathesis) joined the dev group
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ModuleNotFoundError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("hypothesis is not installed: run scripts/bootstrap", allow_module_level=True)

PROPERTY_NAMES = sorted({*USER.names, *APPLICATION.names, *SERVICE_PRINCIPAL.names})
ROUTE_SHAPES = [
    "/users",
    "/users/$count",
    "/users/{key}",
    "/applications",
    "/applications/{key}",
    "/applications(appId='{key}')",
    "/applications/{key}/addPassword",
    "/applications/{key}/removePassword",
    "/applications/{key}/federatedIdentityCredentials",
    "/applications/{key}/federatedIdentityCredentials/{sub}",
    "/servicePrincipals",
    "/servicePrincipals/{key}",
    "/servicePrincipals(appId='{key}')",
    "/servicePrincipals/{key}/appRoleAssignments",
    "/servicePrincipals/{key}/appRoleAssignments/{sub}",
    "/{text}",
]
OPTIONS = ["$top", "$select", "$filter", "$orderby", "$count", "$skiptoken", "$search", "$expand",
           "$skip", "$format", "top", "filter", "select"]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(PROPERTY_NAMES), st.text(max_size=12)), inner,
                        max_size=5),
    ),
    max_leaves=12,
)  # fmt: skip
comparisons = st.builds(
    lambda prop, op, value: f"{prop} {op} {value}",
    st.sampled_from([*PROPERTY_NAMES[:12], "x", "accountEnabled"]),
    st.sampled_from(["eq", "ne", "ge", "le", "in", "gt", "has"]),
    st.sampled_from(["'a'", "true", "null", "1", "'it''s'", "('a','b')", "x", "''"]),
)
filters = st.recursive(
    st.one_of(comparisons, st.text(max_size=20)),
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["and", "or"]), inner),
        st.builds(lambda a: f"not {a}", inner),
        st.builds(lambda a: f"({a}", inner),
        st.builds(lambda a: f"({a})", inner),
        st.builds(lambda a: f"startswith(displayName,{a})", inner),
    ),
    max_leaves=20,
)
# Long and deep filters: what exhausted recursion or SQLite's expression depth before.
extreme_filters = st.one_of(
    st.integers(0, 600).map(lambda n: "(" * n + "displayName eq 'a'" + ")" * n),
    st.integers(0, 600).map(lambda n: "not " * n + "accountEnabled eq true"),
    st.integers(1, 1200).map(lambda n: " or ".join(["displayName eq 'a'"] * n)),
)
option_values = st.one_of(
    filters,
    extreme_filters,
    st.sampled_from(["0", "1", "999", "1000", "-1", "true", "displayName desc", "id,displayName"]),
    st.text(max_size=30),
)


@pytest.fixture
def known(manager: Any) -> dict[str, str]:
    """Real ids for the `{key}` and `{sub}` segments, so handlers get past the lookups."""
    app = manager.post("/v1.0/applications", json={"displayName": "Fuzzed"}).json()
    sp = manager.post("/v1.0/servicePrincipals", json={"appId": app["appId"]}).json()
    return {"app": app["id"], "appId": app["appId"], "sp": sp["id"]}


def _check(response: Any, method: str, url: str) -> None:
    where = f"{method} {url[:200]} -> {response.status_code} {response.text[:300]}"
    assert response.status_code < 500, where
    assert response.headers.get("request-id"), where
    if response.status_code >= 400:
        assert response.headers["content-type"] == JSON_TYPE, where
        error = response.json()["error"]
        assert isinstance(error["code"], str), where
        assert error["code"], where
        assert isinstance(error["message"], str), where
        assert error["message"], where
        assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}, where
        assert "Traceback" not in response.text, where
    elif response.status_code == 204 or not response.content:
        assert response.content == b"", where
    elif url.split("?")[0].endswith("$count"):
        assert response.text.isdigit(), where
    else:
        assert response.headers["content-type"] == JSON_TYPE, where
        assert isinstance(response.json(), dict), where


@settings(
    max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(data=st.data())
def test_random_requests_never_get_a_5xx_and_always_graphs_format(
    manager: Any, known: dict[str, str], data: st.DataObject
) -> None:
    method = data.draw(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]))
    ids = st.one_of(
        st.sampled_from(list(known.values())),
        st.uuids().map(str),
        st.text(max_size=20).map(lambda t: quote(t, safe="")),
    )
    path = data.draw(st.sampled_from(ROUTE_SHAPES))
    path = path.replace("{key}", data.draw(ids)).replace("{sub}", data.draw(ids))
    path = path.replace("{text}", quote(data.draw(st.text(max_size=30)), safe="/"))
    params = data.draw(st.dictionaries(st.sampled_from(OPTIONS), option_values, max_size=3))
    headers = {"ConsistencyLevel": "eventual"} if data.draw(st.booleans()) else {}
    kwargs: dict[str, Any] = {"params": params, "headers": headers}
    if method in ("POST", "PATCH", "PUT"):
        body = data.draw(st.one_of(json_values, st.binary(max_size=40)))
        if isinstance(body, bytes):
            kwargs["content"] = body
        else:
            kwargs["content"] = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    url = f"/v1.0{path}"
    response = manager.request(method, url, **kwargs)
    _check(response, method, str(response.request.url))


@settings(
    max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(
    collection=st.sampled_from(["users", "users/$count", "applications", "servicePrincipals"]),
    text=st.one_of(filters, extreme_filters),
    select=st.one_of(st.none(), st.sampled_from(PROPERTY_NAMES), st.text(max_size=10)),
)
def test_random_filters_on_every_collection_never_get_a_5xx(
    manager: Any, collection: str, text: str, select: str | None
) -> None:
    params = {"$filter": text, **({"$select": select} if select is not None else {})}
    headers = {"ConsistencyLevel": "eventual"}
    response = manager.get(f"/v1.0/{collection}", params=params, headers=headers)
    _check(response, "GET", str(response.request.url))
