"""Bad input of every kind gets a Graph 4xx envelope, never a 500 or a traceback."""

from __future__ import annotations

from typing import Any

import pytest

BAD_READS = [
    "/v1.0/users?$top=abc",
    "/v1.0/users?$top=",
    "/v1.0/users?$filter=",
    "/v1.0/users?$filter=displayName eq 'unterminated",
    "/v1.0/users?$filter=startswith(displayName)",
    "/v1.0/users?$filter=displayName in ()",
    "/v1.0/users?$filter=displayName eq 1.5.5",
    "/v1.0/users?$filter=not",
    "/v1.0/users?$filter=()",
    "/v1.0/users?$orderby=displayName asc asc",
    "/v1.0/users?$orderby=displayName,userPrincipalName",
    "/v1.0/users?$count=maybe",
    "/v1.0/users?$skiptoken=tl1.bm90IGpzb24",
    "/v1.0/users?$skiptoken=tl1.WzEsMiwzXQ",
    "/v1.0/users?$expand=manager",
    '/v1.0/users?$search="displayName:a"',
    "/v1.0/users?$wat=1",
    "/v1.0/users?$top=5&$top=6",
    "/v1.0/users/%00",
    "/v1.0/users/'quoted'",
    "/v1.0/applications(appId='x')",
    "/v1.0/applications(appId='')",
    "/v1.0/applications/00000000-0000-0000-0000-000000000000",
    "/v1.0/servicePrincipals/x/appRoleAssignments",
    "/v1.0/servicePrincipals(appId='00000000-0000-0000-0000-000000000000')",
    "/v2.0/users",
    "/v1.0/",
    "/v1.0/applications?$orderby=signInAudience",
]


@pytest.mark.parametrize("url", BAD_READS)
def test_bad_reads_are_4xx_envelopes(manager: Any, url: str) -> None:
    response = manager.get(url)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.json()["error"]["code"]
    assert "Traceback" not in response.text


BAD_WRITES: list[tuple[str, str, Any]] = [
    ("POST", "/v1.0/users", []),
    ("POST", "/v1.0/users", "text"),
    ("POST", "/v1.0/users", {"accountEnabled": "yes", "displayName": "x"}),
    ("POST", "/v1.0/users", {"passwordProfile": "secret"}),
    ("POST", "/v1.0/users", {"userPrincipalName": 5, "displayName": "x", "accountEnabled": True,
                             "mailNickname": "x", "passwordProfile": {"password": "Aa1!aaaa"}}),
    ("POST", "/v1.0/users", {"businessPhones": [1], "userPrincipalName": "a@b.c",
                             "displayName": "x", "accountEnabled": True, "mailNickname": "x",
                             "passwordProfile": {"password": "Aa1!aaaa"}}),
    ("POST", "/v1.0/applications", {}),
    ("POST", "/v1.0/applications", {"displayName": ""}),
    ("POST", "/v1.0/applications", {"displayName": "x", "appRoles": "all"}),
    ("POST", "/v1.0/applications", {"displayName": "x", "appRoles": [{"value": "a b"}]}),
    ("POST", "/v1.0/applications", {"displayName": "x", "api": []}),
    ("POST", "/v1.0/applications", {"displayName": "x", "api": {"requestedAccessTokenVersion": 3}}),
    ("POST", "/v1.0/applications", {"displayName": "x", "identifierUris": "api://x"}),
    ("POST", "/v1.0/applications", {"displayName": "x", "requiredResourceAccess": [1]}),
    ("POST", "/v1.0/applications", {"displayName": "x", "optionalClaims": []}),
    ("POST", "/v1.0/applications", {"displayName": "x", "keyCredentials": [1]}),
    ("POST", "/v1.0/applications", {"displayName": "x", "signInAudience": 7}),
    ("POST", "/v1.0/servicePrincipals", {"appId": "00000000-0000-0000-0000-000000000009"}),
    ("POST", "/v1.0/servicePrincipals", {"appId": 12}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "url", "body"), BAD_WRITES)
def test_bad_writes_are_4xx_envelopes(manager: Any, method: str, url: str, body: Any) -> None:
    response = manager.request(method, url, json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.json()["error"]["code"]


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        ("/addPassword", {"passwordCredential": []}),
        ("/addPassword", {"passwordCredential": {"endDateTime": "tomorrow"}}),
        ("/addPassword", {"passwordCredential": {"endDateTime": 5}}),
        ("/removePassword", {"keyId": "nope"}),
        ("/removePassword", {"keyId": "00000000-0000-0000-0000-000000000000"}),
        ("/federatedIdentityCredentials", {"name": "x"}),
        ("/federatedIdentityCredentials", {"name": "abc", "issuer": "https://i", "subject": "s",
                                           "audiences": "api://AzureADTokenExchange"}),
        ("/federatedIdentityCredentials", {"name": "a b", "issuer": "https://i", "subject": "s",
                                           "audiences": ["api://AzureADTokenExchange"]}),
    ],
)  # fmt: skip
def test_bad_credential_requests_are_4xx(manager: Any, suffix: str, body: Any) -> None:
    app = manager.post("/v1.0/applications", json={"displayName": "x"}).json()
    response = manager.post(f"/v1.0/applications/{app['id']}{suffix}", json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.json()["error"]["code"]


def test_bad_assignment_bodies_are_4xx(manager: Any) -> None:
    app = manager.post("/v1.0/applications", json={"displayName": "x"}).json()
    sp = manager.post("/v1.0/servicePrincipals", json={"appId": app["appId"]}).json()
    url = f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignments"
    for body in ({"principalId": 5}, {"principalId": sp["id"], "resourceId": sp["id"]}, []):
        response = manager.post(url, json=body)
        assert 400 <= response.status_code < 500, (response.status_code, response.text)


NAME = "displayName eq 'x'"
DEEP_FILTERS = {
    "400 nested (": "(" * 400 + NAME + ")" * 400,
    "400 not": "not " * 400 + NAME,
    "1,000 or terms": " or ".join([NAME] * 1000),
    "1,000 in values": "displayName in (" + ",".join(["'x'"] * 1000) + ")",
}


@pytest.mark.parametrize("text", DEEP_FILTERS.values(), ids=DEEP_FILTERS.keys())
def test_deep_or_long_filters_are_graphs_400_not_a_500(manager: Any, text: str) -> None:
    for collection in ("users", "applications", "servicePrincipals"):
        response = manager.get(f"/v1.0/{collection}", params={"$filter": text})
        assert response.status_code == 400, (collection, response.text[:300])
        error = response.json()["error"]
        assert error["code"] == "BadRequest"
        assert "Max allowed:" in error["message"]
        assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_filters_at_the_limits_still_run(manager: Any) -> None:
    from tenantlab.graph.odata import MAX_FILTER_DEPTH, MAX_FILTER_TERMS

    for name in ("x", "y"):
        created = manager.post(
            "/v1.0/users",
            json={
                "accountEnabled": True,
                "displayName": name,
                "mailNickname": name,
                "userPrincipalName": f"{name}@contoso.onmicrosoft.com",
                "passwordProfile": {"password": "Correct-Horse-1"},
            },
        )
        assert created.status_code == 201, created.text
    deep = "(" * (MAX_FILTER_DEPTH - 1) + "not " + NAME + ")" * (MAX_FILTER_DEPTH - 1)
    long = " or ".join([NAME] * (MAX_FILTER_TERMS - 1)) + " and not userType eq 'Guest'"
    found = manager.get("/v1.0/users", params={"$filter": deep})
    assert found.status_code == 200, found.text[:300]
    assert [u["displayName"] for u in found.json()["value"]] == ["y"]
    count = manager.get(
        "/v1.0/users/$count", params={"$filter": long}, headers={"ConsistencyLevel": "eventual"}
    )
    assert count.status_code == 200, count.text[:300]
    assert count.text == "1"
