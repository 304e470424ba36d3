"""Microsoft's first-party applications every tenant holds: Microsoft Graph, with its real ids."""

from __future__ import annotations

from typing import Any

from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_RESOURCE

# (value, id, description) of Graph application permissions (app roles), ids as Microsoft publishes.
GRAPH_APP_ROLES: tuple[tuple[str, str, str], ...] = (
    ("User.Read.All", "df021288-bdef-4463-88db-98f22de89214", "Read all users' full profiles"),
    (
        "User.ReadWrite.All",
        "741f803b-c850-494e-b5df-cde7c675a1ca",
        "Read and write all users' full profiles",
    ),
    ("Application.Read.All", "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "Read all applications"),
    (
        "Application.ReadWrite.All",
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "Read and write all applications",
    ),
    (
        "Application.ReadWrite.OwnedBy",
        "18a4783c-866b-4cc7-a460-3d5e5662c884",
        "Manage apps that this app creates or owns",
    ),
    (
        "AppRoleAssignment.ReadWrite.All",
        "06b708a9-e830-4db3-a914-8e69da51d44f",
        "Manage app permission grants and app role assignments",
    ),
    ("Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Read directory data"),
    ("AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da", "Read all audit log data"),
    (
        "Directory.ReadWrite.All",
        "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
        "Read and write directory data",
    ),
    ("Group.Read.All", "5b567255-7703-4780-807c-7be8301ae99b", "Read all groups"),
    ("GroupMember.Read.All", "98830695-27a2-44f7-8c18-0c3ebc9698f6", "Read all group memberships"),
    ("Group.ReadWrite.All", "62a82d76-70ea-41e2-9197-370581804d09", "Read and write all groups"),
)

# (value, id) of Graph delegated permissions (scopes).
GRAPH_SCOPES: tuple[tuple[str, str], ...] = (
    ("User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d"),
    ("User.Read.All", "a154be20-db9c-4678-8ab7-66f6cc099a59"),
    ("Directory.Read.All", "06da0dbc-49e2-44d2-8312-53f166ab848a"),
    ("Group.Read.All", "5f8c59db-677d-491f-a6b8-5f174b11ec1d"),
    ("GroupMember.Read.All", "bc024368-1153-4739-b217-4326f2e966d0"),
    ("Group.ReadWrite.All", "4e46008b-f24c-477d-8fff-7bb4ec7aafe0"),
)

# Microsoft's consent texts for those scopes: (admin display name, admin description,
# user display name, user description).
GRAPH_SCOPE_TEXTS: dict[str, tuple[str, str, str, str]] = {
    "User.Read": (
        "Sign in and read user profile",
        "Allows users to sign-in to the app, and allows the app to read the profile of signed-in "
        "users. It also allows the app to read basic company information of signed-in users.",
        "Sign you in and read your profile",
        "Allows you to sign in to the app with your organizational account and let the app read "
        "your profile. It also allows the app to read basic company information.",
    ),
    "User.Read.All": (
        "Read all users' full profiles",
        "Allows the app to read the full set of profile properties, reports, and managers of "
        "other users in your organization, on behalf of the signed-in user.",
        "Read all users' full profiles",
        "Allows the app to read the full set of profile properties, reports, and managers of "
        "other users in your organization, on your behalf.",
    ),
    "Directory.Read.All": (
        "Read directory data",
        "Allows the app to read data in your organization's directory, such as users, groups "
        "and apps.",
        "Read directory data",
        "Allows the app to read data in your organization's directory.",
    ),
    "Group.Read.All": (
        "Read all groups",
        "Allows the app to list groups, and to read their properties and all group memberships "
        "on behalf of the signed-in user.",
        "Read all groups",
        "Allows the app to list groups, and to read their properties and all group memberships "
        "on your behalf.",
    ),
    "GroupMember.Read.All": (
        "Read group memberships",
        "Allows the app to list groups, read basic group properties and read membership of all "
        "groups the signed-in user has access to.",
        "Read group memberships",
        "Allows the app to list groups, read basic group properties and read membership of all "
        "groups you have access to.",
    ),
    "Group.ReadWrite.All": (
        "Read and write all groups",
        "Allows the app to create groups and read all group properties and memberships on "
        "behalf of the signed-in user.",
        "Read and write all groups",
        "Allows the app to create groups and read all group properties and memberships on "
        "your behalf.",
    ),
}

GRAPH_DISPLAY_NAME = "Microsoft Graph"


def graph_app_roles() -> list[dict[str, Any]]:
    return [
        {
            "allowedMemberTypes": ["Application"],
            "description": f"Allows the app to {text[0].lower()}{text[1:]} "
            "without a signed-in user.",
            "displayName": text,
            "id": role_id,
            "isEnabled": True,
            "origin": "Application",
            "value": value,
        }
        for value, role_id, text in GRAPH_APP_ROLES
    ]


def graph_scopes() -> list[dict[str, Any]]:
    return [
        {
            "adminConsentDescription": GRAPH_SCOPE_TEXTS[value][1],
            "adminConsentDisplayName": GRAPH_SCOPE_TEXTS[value][0],
            "id": scope_id,
            "isEnabled": True,
            "type": "User" if value == "User.Read" else "Admin",
            "userConsentDescription": GRAPH_SCOPE_TEXTS[value][3],
            "userConsentDisplayName": GRAPH_SCOPE_TEXTS[value][2],
            "value": value,
        }
        for value, scope_id in GRAPH_SCOPES
    ]


GRAPH_SERVICE_PRINCIPAL_NAMES = [
    MICROSOFT_GRAPH_RESOURCE,
    MICROSOFT_GRAPH_RESOURCE + "/",
    "https://graph.microsoft.us",
    MICROSOFT_GRAPH_APP_ID,
]
