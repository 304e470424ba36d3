"""`/users/delta`: a full first round, then only the changes, with tokens the database backs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.graph.app import create_app
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

DOMAIN = "contoso.onmicrosoft.com"


@pytest.fixture
def reader(platform: Platform, tenant: Tenant, as_app: Callable[..., Any]) -> Any:
    for i in range(5):
        platform.directory.create_user(
            tenant=tenant.id,
            user_principal_name=f"user{i}@{DOMAIN}",
            display_name=f"User {i}",
            job_title="Engineer",
        )
    return as_app("User.Read.All")


def relative(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def round_trip(client: Any, url: str, **kwargs: Any) -> tuple[list[dict[str, Any]], str, int]:
    """Follow nextLinks to the deltaLink: (every object, the deltaLink, pages)."""
    values: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = client.get(url, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        values.extend(body["value"])
        pages += 1
        if "@odata.deltaLink" in body:
            assert "@odata.nextLink" not in body
            return values, body["@odata.deltaLink"], pages
        url = relative(body["@odata.nextLink"])


def test_first_round_pages_every_user_then_gives_a_delta_link(
    reader: Any, platform: Platform, tenant: Tenant
) -> None:
    for i in range(5, 150):
        platform.directory.create_user(
            tenant=tenant.id, user_principal_name=f"user{i}@{DOMAIN}", display_name=f"User {i}"
        )
    values, link, pages = round_trip(reader, "/v1.0/users/delta")
    assert pages == 2  # 100 a page
    assert len({v["id"] for v in values}) == 150
    assert set(values[0]) == {
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
        "id",
    }
    assert urlsplit(link).path == "/v1.0/users/delta"
    assert "$deltatoken" in parse_qs(urlsplit(link).query)


def test_next_round_has_only_the_changes(reader: Any, platform: Platform, tenant: Tenant) -> None:
    first, link, _ = round_trip(reader, "/v1.0/users/delta?$select=displayName,jobTitle")
    assert set(first[0]) == {"displayName", "jobTitle", "id"}
    quiet, link, _ = round_trip(reader, relative(link))
    assert quiet == []

    directory = platform.directory
    added = directory.create_user(
        tenant=tenant.id, user_principal_name=f"new@{DOMAIN}", display_name="New"
    )
    directory.update_user(tenant=tenant.id, key=f"user1@{DOMAIN}", job_title="Manager")
    directory.update_user(tenant=tenant.id, key=f"user2@{DOMAIN}", city="Oslo")  # not selected
    directory.update_user(tenant=tenant.id, key=f"user3@{DOMAIN}", password="N3w-password!")
    removed = directory.get_user(tenant=tenant.id, key=f"user4@{DOMAIN}")
    directory.delete_user(tenant=tenant.id, key=removed.id)
    gone = directory.create_user(
        tenant=tenant.id, user_principal_name=f"brief@{DOMAIN}", display_name="Brief"
    )
    directory.delete_user(tenant=tenant.id, key=gone.id)  # never seen: not reported

    changes, link, _ = round_trip(reader, relative(link))
    user1 = directory.get_user(tenant=tenant.id, key=f"user1@{DOMAIN}")
    by_id = {c["id"]: c for c in changes}
    assert set(by_id) == {added.id, user1.id, removed.id}
    assert by_id[added.id] == {"displayName": "New", "jobTitle": None, "id": added.id}
    assert by_id[user1.id] == {"displayName": "User 1", "jobTitle": "Manager", "id": user1.id}
    assert by_id[removed.id] == {"id": removed.id, "@removed": {"reason": "deleted"}}
    again, _, _ = round_trip(reader, relative(link))
    assert again == []


def test_prefer_return_minimal_gives_only_changed_properties(
    reader: Any, platform: Platform, tenant: Tenant
) -> None:
    _, link, _ = round_trip(reader, "/v1.0/users/delta?$select=displayName,jobTitle,city")
    user = platform.directory.update_user(tenant=tenant.id, key=f"user0@{DOMAIN}", city="Oslo")
    minimal = {"Prefer": "return=minimal"}
    changes, _, _ = round_trip(reader, relative(link), headers=minimal)
    assert changes == [{"id": user.id, "city": "Oslo"}]


def test_tokens_survive_a_restart(
    reader: Any, platform: Platform, tenant: Tenant, mint: Any, client_for: Any
) -> None:
    _, link, _ = round_trip(reader, "/v1.0/users/delta")
    platform.directory.update_user(tenant=tenant.id, key=f"user0@{DOMAIN}", surname="Vance")
    restarted = client_for(create_app(platform))  # a new Graph: nothing kept in memory
    restarted.headers["Authorization"] = f"Bearer {mint(['User.Read.All'])}"
    changes, _, _ = round_trip(restarted, relative(link))
    assert [c["surname"] for c in changes] == ["Vance"]


def test_tokens_work_on_another_node(
    reader: Any,
    platform: Platform,
    tenant: Tenant,
    settings: PlatformSettings,
    clock: FixedClock,
    mint: Any,
    client_for: Any,
) -> None:
    """A second platform over the same database (another node) continues the first's link."""
    _, link, _ = round_trip(reader, "/v1.0/users/delta?$select=displayName")
    platform.directory.update_user(tenant=tenant.id, key=f"user1@{DOMAIN}", display_name="One")
    other = Platform.open(settings, clock)
    try:
        node = client_for(create_app(other))
        node.headers["Authorization"] = f"Bearer {mint(['User.Read.All'])}"
        changes, _, _ = round_trip(node, relative(link))
    finally:
        other.close()
    assert [c["displayName"] for c in changes] == ["One"]


def test_filter_by_id_and_latest(reader: Any, platform: Platform, tenant: Tenant) -> None:
    one = platform.directory.get_user(tenant=tenant.id, key=f"user0@{DOMAIN}")
    two = platform.directory.get_user(tenant=tenant.id, key=f"user1@{DOMAIN}")
    url = f"/v1.0/users/delta?$filter=id eq '{one.id}' or id eq '{two.id}'"
    values, link, _ = round_trip(reader, url)
    assert {v["id"] for v in values} == {one.id, two.id}
    platform.directory.update_user(tenant=tenant.id, key=f"user3@{DOMAIN}", surname="Other")
    assert round_trip(reader, relative(link))[0] == []

    latest, link, pages = round_trip(reader, "/v1.0/users/delta?$deltatoken=latest")
    assert (latest, pages) == ([], 1)
    platform.directory.update_user(tenant=tenant.id, key=one.id, surname="Now")
    assert [v["id"] for v in round_trip(reader, relative(link))[0]] == [one.id]


def test_sdk_spelling_and_beta(reader: Any) -> None:
    for url in ("/v1.0/users/microsoft.graph.delta()", "/beta/users/delta()"):
        values, _, _ = round_trip(reader, url)
        assert len(values) == 5


def gone(response: Any) -> None:
    assert response.status_code == 410, response.text
    error = response.json()["error"]
    assert error["code"] == "SyncStateNotFound"
    assert error["message"].startswith("The sync state generation is not found.")
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_unknown_expired_and_foreign_tokens_are_gone(
    reader: Any, platform: Platform, clock: FixedClock, as_app: Callable[..., Any]
) -> None:
    _, link, _ = round_trip(reader, "/v1.0/users/delta")
    token = parse_qs(urlsplit(link).query)["$deltatoken"][0]
    for bad in ("nonsense", "tld1.e30", "tld1." + "A" * 40, token[:-4]):
        gone(reader.get("/v1.0/users/delta", params={"$deltatoken": bad}))
        gone(reader.get("/v1.0/users/delta", params={"$skiptoken": bad}))

    other = platform.directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    foreign = as_app("User.Read.All", tenant_id=other.id)
    gone(foreign.get(relative(link)))

    clock.advance(8 * 24 * 3600)
    fresh = as_app("User.Read.All")
    gone(fresh.get(relative(link)))


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("$top=5", "Request_UnsupportedQuery"),
        ("$orderby=displayName", "Request_UnsupportedQuery"),
        ("$expand=manager", "Request_UnsupportedQuery"),
        ("$filter=displayName eq 'x'", "Request_UnsupportedQuery"),
        ("$filter=id eq 'not-a-guid'", "Request_BadRequest"),
        ("$select=nonsense", "Request_BadRequest"),
        ("$frobnicate=1", "BadRequest"),
    ],
)
def test_refused_options(reader: Any, query: str, code: str) -> None:
    response = reader.get(f"/v1.0/users/delta?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code


def test_filter_takes_at_most_fifty_objects(reader: Any) -> None:
    ids = " or ".join(f"id eq '00000000-0000-0000-0000-{i:012}'" for i in range(51))
    response = reader.get("/v1.0/users/delta", params={"$filter": ids})
    assert response.status_code == 400
    assert "at most 50" in response.json()["error"]["message"]


def test_needs_a_users_permission(as_app: Callable[..., Any]) -> None:
    response = as_app("Application.Read.All").get("/v1.0/users/delta")
    assert response.status_code == 403


# -- /groups/delta, with members@delta ------------------------------------------------------


def test_groups_delta_tracks_groups_and_their_members(
    platform: Platform, tenant: Tenant, as_app: Callable[..., Any]
) -> None:
    directory = platform.directory
    alice = directory.create_user(
        tenant=tenant.id, user_principal_name=f"alice@{DOMAIN}", display_name="Alice"
    )
    bob = directory.create_user(
        tenant=tenant.id, user_principal_name=f"bob@{DOMAIN}", display_name="Bob"
    )
    pilots = directory.create_group(tenant=tenant.id, display_name="Pilots", mail_nickname="p")
    quiet = directory.create_group(tenant=tenant.id, display_name="Quiet", mail_nickname="q")
    directory.add_group_member(tenant=tenant.id, group=pilots.id, member=alice.id)
    reader = as_app("GroupMember.Read.All")

    first, link, _ = round_trip(reader, "/v1.0/groups/delta?$select=displayName,members")
    by_id = {g["id"]: g for g in first}
    assert by_id[pilots.id] == {
        "displayName": "Pilots",
        "id": pilots.id,
        "members@delta": [{"@odata.type": "#microsoft.graph.user", "id": alice.id}],
    }
    assert by_id[quiet.id]["members@delta"] == []

    directory.add_group_member(tenant=tenant.id, group=pilots.id, member=bob.id)
    directory.remove_group_member(tenant=tenant.id, group=pilots.id, member=alice.id)
    directory.update_group(tenant=tenant.id, key=quiet.id, description="not selected")
    crew = directory.create_group(tenant=tenant.id, display_name="Crew", mail_nickname="c")
    directory.add_group_member(tenant=tenant.id, group=crew.id, member=bob.id)
    directory.delete_group(tenant=tenant.id, key=quiet.id)

    changes, link, _ = round_trip(reader, relative(link))
    by_id = {g["id"]: g for g in changes}
    assert set(by_id) == {pilots.id, crew.id, quiet.id}
    assert sorted(by_id[pilots.id]["members@delta"], key=lambda m: m["id"]) == sorted(
        [
            {"@odata.type": "#microsoft.graph.user", "id": bob.id},
            {
                "@odata.type": "#microsoft.graph.user",
                "id": alice.id,
                "@removed": {"reason": "deleted"},
            },
        ],
        key=lambda m: m["id"],
    )
    assert by_id[crew.id]["displayName"] == "Crew"
    assert [m["id"] for m in by_id[crew.id]["members@delta"]] == [bob.id]
    assert by_id[quiet.id] == {"id": quiet.id, "@removed": {"reason": "deleted"}}


def test_groups_delta_without_members_in_select_ignores_membership(
    platform: Platform, tenant: Tenant, as_app: Callable[..., Any]
) -> None:
    directory = platform.directory
    user = directory.create_user(
        tenant=tenant.id, user_principal_name=f"carol@{DOMAIN}", display_name="Carol"
    )
    group = directory.create_group(tenant=tenant.id, display_name="Ops", mail_nickname="ops")
    reader = as_app("Group.Read.All")
    first, link, _ = round_trip(reader, "/v1.0/groups/delta?$select=displayName")
    assert first == [{"displayName": "Ops", "id": group.id}]
    directory.add_group_member(tenant=tenant.id, group=group.id, member=user.id)
    assert round_trip(reader, relative(link))[0] == []
    default, _, _ = round_trip(reader, "/v1.0/groups/microsoft.graph.delta()")
    assert default[0]["members@delta"] == [{"@odata.type": "#microsoft.graph.user", "id": user.id}]
