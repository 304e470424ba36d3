"""Declared user properties: stored ones settable and selectable, the rest null/empty under
`$select`, undeclared ones Graph's 400, and `@odata.context` carrying the `$select` list."""

from __future__ import annotations

from typing import Any

import pytest

DOMAIN = "contoso.onmicrosoft.com"
SYNCED = {
    "department": "Sales",
    "companyName": "Contoso",
    "employeeId": "E-1001",
    "employeeType": "Employee",
    "usageLocation": "US",
    "city": "Redmond",
    "country": "United States",
    "otherMails": ["adele@fabrikam.com"],
    "proxyAddresses": ["SMTP:adelev@contoso.onmicrosoft.com"],
    "onPremisesImmutableId": "aGVsbG8=",
}
NEW_USER = {
    "accountEnabled": True,
    "displayName": "Adele Vance",
    "mailNickname": "adelev",
    "userPrincipalName": f"adelev@{DOMAIN}",
    "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"},
}


def test_declared_properties_are_set_by_post_and_patch_and_come_back_under_select(
    manager: Any,
) -> None:
    created = manager.post("/v1.0/users", json={**NEW_USER, **SYNCED})
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    wanted = ",".join([*SYNCED, "identities", "onPremisesSyncEnabled", "createdDateTime"])
    one = manager.get(f"/v1.0/users/{user_id}", params={"$select": wanted}).json()
    assert {name: one[name] for name in SYNCED} == SYNCED
    assert one["identities"] == [
        {
            "signInType": "userPrincipalName",
            "issuer": DOMAIN,
            "issuerAssignedId": f"adelev@{DOMAIN}",
        }
    ]
    assert one["onPremisesSyncEnabled"] is None  # a cloud-only user
    assert one["createdDateTime"] == "2027-01-15T08:00:00Z"
    change = {"department": "Marketing", "otherMails": [], "usageLocation": "gb"}
    assert manager.patch(f"/v1.0/users/{user_id}", json=change).status_code == 204
    [listed] = manager.get("/v1.0/users", params={"$select": wanted}).json()["value"]
    assert listed["department"] == "Marketing"
    assert listed["otherMails"] == []
    assert listed["usageLocation"] == "GB"
    assert listed["employeeId"] == "E-1001"
    assert list(listed) == [*wanted.split(","), "id"]  # the $select order, then id


def test_declared_properties_not_stored_are_null_or_empty_not_400(
    manager: Any,
) -> None:
    manager.post("/v1.0/users", json=NEW_USER)
    select = {"$select": "aboutMe,skills,assignedLicenses,signInActivity,displayName"}
    [listed] = manager.get("/v1.0/users", params=select).json()["value"]
    assert listed["aboutMe"] is None
    assert listed["skills"] == []
    assert listed["assignedLicenses"] == []
    assert listed["signInActivity"] is None
    assert listed["displayName"] == "Adele Vance"


def test_an_undeclared_property_is_still_graphs_400(manager: Any) -> None:
    response = manager.get("/v1.0/users", params={"$select": "displayName,favouriteColour"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'."
    )


def test_odata_context_carries_the_select_list(manager: Any) -> None:
    user_id = manager.post("/v1.0/users", json=NEW_USER).json()["id"]
    listed = manager.get("/v1.0/users", params={"$select": "displayName,id"}).json()
    assert listed["@odata.context"] == (
        "https://localhost:5443/v1.0/$metadata#users(displayName,id)"
    )
    one = manager.get(f"/v1.0/users/{user_id}", params={"$select": "displayName,id"}).json()
    assert one["@odata.context"] == (
        "https://localhost:5443/v1.0/$metadata#users(displayName,id)/$entity"
    )
    plain = manager.get(f"/v1.0/users/{user_id}").json()
    assert plain["@odata.context"] == "https://localhost:5443/v1.0/$metadata#users/$entity"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"onPremisesSyncEnabled": True}, "'onPremisesSyncEnabled' is read-only"),
        ({"createdDateTime": "2020-01-01T00:00:00Z"}, "'createdDateTime' is read-only"),
        ({"usageLocation": "USA"}, "usageLocation"),
        ({"employeeId": "E" * 17}, "longer than 16"),
        ({"department": ["Sales"]}, "Edm.String"),
        ({"otherMails": [1]}, "Edm.String"),
        ({"identities": ["adele"]}, "objectIdentity"),
        ({"identities": [{"signInType": "emailAddress"}]}, "issuerAssignedId"),
    ],
)
def test_bad_declared_property_values_are_400(
    manager: Any, change: dict[str, Any], fragment: str
) -> None:
    response = manager.post("/v1.0/users", json={**NEW_USER, **change})
    assert response.status_code == 400, response.text
    assert fragment in response.json()["error"]["message"]
