"""`$search` (tokenised, with `ConsistencyLevel: eventual`) and `$count` on collections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

DOMAIN = "contoso.onmicrosoft.com"
EVENTUAL = {"ConsistencyLevel": "eventual"}
PEOPLE = {
    "adele.vance": "Adele Vance",
    "alex.wilber": "Alex Wilber",
    "megan.bowen": "Megan Bowen",
    "lee-gu": "Lee Gu (Contractor)",
}


@pytest.fixture
def reader(platform: Platform, tenant: Tenant, as_app: Callable[..., Any]) -> Any:
    for alias, name in PEOPLE.items():
        platform.directory.create_user(
            tenant=tenant.id,
            user_principal_name=f"{alias}@{DOMAIN}",
            display_name=name,
            mail=f"{alias}@{DOMAIN}",
        )
    return as_app("User.Read.All", "Application.Read.All")


def found(reader: Any, search: str, **params: str) -> list[str]:
    response = reader.get("/v1.0/users", params={"$search": search, **params}, headers=EVENTUAL)
    assert response.status_code == 200, response.text
    return sorted(u["displayName"] for u in response.json()["value"])


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ('"displayName:adel"', ["Adele Vance"]),
        ('"displayName:vance"', ["Adele Vance"]),  # any word of the value, not only the first
        ('"displayName:ance"', []),  # a word's middle is no match: tokens, not substrings
        ('"displayName:ADELE van"', ["Adele Vance"]),  # every word of the term must match
        ('"displayName:contractor"', ["Lee Gu (Contractor)"]),
        ('"mail:wilber"', ["Alex Wilber"]),  # mail splits at . and @
        ('"mail:gu"', ["Lee Gu (Contractor)"]),  # ... and at -
        ('"userPrincipalName:megan"', ["Megan Bowen"]),
        ('"displayName:adele" OR "displayName:megan"', ["Adele Vance", "Megan Bowen"]),
        ('"displayName:a" AND "mail:wilber"', ["Alex Wilber"]),
        ('"displayName:a" and "mail:vance" or "displayName:megan"', ["Adele Vance", "Megan Bowen"]),
        ('"displayName:100%"', []),  # LIKE's wildcards are literal
    ],
)
def test_search_matches_words_by_prefix(reader: Any, search: str, names: list[str]) -> None:
    assert found(reader, search) == names


def test_search_needs_consistency_level_eventual(reader: Any) -> None:
    response = reader.get("/v1.0/users", params={"$search": '"displayName:adele"'})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Request with $search query parameter only works through MSGraph with a special "
        "request header: 'ConsistencyLevel: eventual'"
    )


@pytest.mark.parametrize(
    ("search", "code", "fragment"),
    [
        ('"jobTitle:engineer"', "Request_UnsupportedQuery", "not supported on property 'jobTitle'"),
        ("displayName:adele", "BadRequest", "expected a quoted"),
        ('"displayName:adele" "mail:x"', "BadRequest", "expected AND or OR"),
        ('"displayName:adele" OR', "BadRequest", "expected a quoted"),
        ('"displayName:%%"', "Request_BadRequest", "no words"),
        ('"displayName:a" OR ' * 201 + '"displayName:b"', "BadRequest", "more than 200"),
    ],
)
def test_bad_searches_are_400(reader: Any, search: str, code: str, fragment: str) -> None:
    response = reader.get("/v1.0/users", params={"$search": search}, headers=EVENTUAL)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert fragment in response.json()["error"]["message"]


def test_search_combines_with_filter_count_and_select(reader: Any) -> None:
    params = {
        "$search": '"displayName:a"',
        "$filter": "startswith(mail,'alex')",
        "$count": "true",
        "$select": "displayName",
    }
    body = reader.get("/v1.0/users", params=params, headers=EVENTUAL).json()
    assert body["@odata.count"] == 1
    assert body["value"][0]["displayName"] == "Alex Wilber"


def test_count_segments_are_text_and_honour_search(reader: Any) -> None:
    response = reader.get(
        "/v1.0/users/$count", params={"$search": '"displayName:a"'}, headers=EVENTUAL
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "2"
    assert reader.get("/v1.0/users/$count", headers=EVENTUAL).text == "4"
    missing = reader.get("/v1.0/users/$count")
    assert missing.status_code == 400
    assert missing.json()["error"]["message"] == "$count is not currently supported."
    for collection in ("applications", "servicePrincipals"):
        counted = reader.get(f"/v1.0/{collection}/$count", headers=EVENTUAL)
        assert counted.status_code == 200, counted.text
        listed = reader.get(f"/v1.0/{collection}", params={"$count": "true"}, headers=EVENTUAL)
        assert int(counted.text) == listed.json()["@odata.count"] == len(listed.json()["value"])


def test_search_on_applications_by_display_name(reader: Any) -> None:
    body = reader.get(
        "/v1.0/applications", params={"$search": '"displayName:tenantlab"'}, headers=EVENTUAL
    ).json()
    names = [a["displayName"] for a in body["value"]]
    assert names
    assert all("tenantlab" in n.lower() for n in names)
