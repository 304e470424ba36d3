"""Fuzz of delta queries and JSON batches: random options, headers, tokens (forged ones that
decode, too) and batch documents never get a 5xx, and every answer, a batch's inner ones too, is
Graph's JSON or its error envelope."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from test_graph_fuzz import _check, scalars  # the shared checks (a sibling module)

from tenantlab.graph.shapes.users import USER
from tenantlab.ids import b64url
from tenantlab.storage.schema import Tenant

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ModuleNotFoundError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("hypothesis is not installed: run scripts/bootstrap", allow_module_level=True)

anything = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner),
    max_leaves=8,
)
names = st.lists(st.sampled_from([*USER.names[:20], "members", "nope", ""]), max_size=4)
revisions = st.one_of(st.none(), st.integers(-5, 10), st.integers(10, 2**64), scalars)


def forged(tenant_id: str, draw: Any) -> str:
    """A token that decodes: our tenant and kind, the rest random."""
    body = [
        tenant_id if draw(st.booleans()) else draw(scalars),
        draw(st.sampled_from(["users", "groups"])) if draw(st.booleans()) else draw(scalars),
        draw(st.one_of(st.none(), names, anything)),
        draw(st.one_of(st.none(), st.lists(st.uuids().map(str) | st.text(), max_size=3))),
        draw(revisions),
        draw(revisions),
        draw(st.one_of(st.none(), st.uuids().map(str), scalars)),
        draw(st.one_of(st.floats(1e9, 3e9), scalars)),
    ]
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, 8))]
    return "tld1." + b64url(json.dumps(body).encode())


@pytest.fixture
def reader(as_app: Any) -> Any:
    """Users and groups, read and write: the fuzz gets past the permission gate."""
    return as_app("User.ReadWrite.All", "Group.ReadWrite.All", "Application.ReadWrite.All")


@settings(
    max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(data=st.data())
def test_random_delta_requests_never_get_a_5xx(
    reader: Any, tenant: Tenant, data: st.DataObject
) -> None:
    path = data.draw(
        st.sampled_from(
            ["/users/delta", "/users/delta()", "/users/microsoft.graph.delta", "/groups/delta"]
        )
    )
    token_kind = data.draw(st.sampled_from(["$deltatoken", "$skiptoken", "$deltaToken", None]))
    params: dict[str, str] = {}
    if token_kind is not None:
        params[token_kind] = data.draw(
            st.one_of(
                st.builds(forged, st.just(tenant.id), st.just(data.draw)),
                st.text(max_size=40),
                st.just("latest"),
            )
        )
    options = st.sampled_from(["$select", "$filter", "$top", "$expand", "$orderby", "$frob"])
    values = st.one_of(
        st.just("id eq '00000000-0000-0000-0000-000000000001'"),
        names.map(",".join),
        st.text(max_size=30),
    )
    params.update(data.draw(st.dictionaries(options, values, max_size=2)))
    prefer = data.draw(
        st.sampled_from(["", "return=minimal", "odata.maxpagesize=0", "odata.maxpagesize=99999"])
        | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
    )
    headers = {"Prefer": prefer} if prefer else {}
    response = reader.get(f"/v1.0{path}", params=params, headers=headers)
    _check(response, "GET", str(response.request.url))


urls = st.one_of(
    st.sampled_from(
        ["/users", "users?$top=2", "/users/delta", "/applications", "/$batch", "/users/$count"]
    ),
    st.text(max_size=30),
)
batch_items = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.sampled_from(["1", "2", "3", "A", "a"]), scalars),
        "method": st.one_of(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "get"]), scalars),
        "url": st.one_of(urls, scalars),
        "headers": st.one_of(
            st.just({"Content-Type": "application/json"}),
            st.dictionaries(st.text(max_size=10), st.text(max_size=10) | st.lists(st.text())),
            scalars,
        ),
        "body": st.one_of(anything, st.text(max_size=20)),
        "dependsOn": st.one_of(
            st.lists(st.sampled_from(["1", "2", "3", "x"]), max_size=3), scalars
        ),
    },
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(
    document=st.one_of(
        st.fixed_dictionaries({"requests": st.lists(batch_items, max_size=22)}),
        anything,
    )
)
def test_random_batches_never_get_a_5xx(reader: Any, document: Any) -> None:
    # json.dumps writes Infinity for an infinite float (not JSON): the server must say 400.
    body = json.dumps(document).encode()
    headers = {"Content-Type": "application/json"}
    response = reader.post("/v1.0/$batch", content=body, headers=headers)
    _check(response, "POST", "/v1.0/$batch")
    if response.status_code == 200:
        for inner in response.json()["responses"]:
            assert inner["status"] < 500, inner
            if inner["status"] >= 400:
                error = inner["body"]["error"]
                assert error["code"], inner
                assert error["message"], inner
                assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
