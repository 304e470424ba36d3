"""Consent as Graph shows it: `appRoleAssignment` (application permissions) and
`oAuth2PermissionGrant` (delegated permissions granted for all users)."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from tenantlab.clock import iso_z
from tenantlab.graph.shapes._shape import Shape, null
from tenantlab.storage.schema import (
    AppRoleAssignment,
    Group,
    GroupAppRoleAssignment,
    OAuth2PermissionGrant,
    ServicePrincipal,
)


@dataclass(frozen=True)
class AssignmentFacts:
    assignment: AppRoleAssignment | GroupAppRoleAssignment
    principal: ServicePrincipal | Group
    resource: ServicePrincipal


def _row(name: str) -> Any:
    read = attrgetter(name)
    return lambda facts: read(facts.assignment)


APP_ROLE_ASSIGNMENT: Shape[AssignmentFacts] = Shape(
    "microsoft.graph.appRoleAssignment",
    {
        "id": _row("id"),
        "deletedDateTime": null,
        "appRoleId": _row("app_role_id"),
        "createdDateTime": lambda f: iso_z(f.assignment.created_at),
        "principalDisplayName": lambda f: f.principal.display_name,
        "principalId": _row("principal_id"),
        "principalType": _row("principal_type"),
        "resourceDisplayName": lambda f: f.resource.display_name,
        "resourceId": _row("resource_id"),
    },
)

OAUTH2_PERMISSION_GRANT: Shape[OAuth2PermissionGrant] = Shape(
    "microsoft.graph.oAuth2PermissionGrant",
    {
        "clientId": attrgetter("client_id"),
        "consentType": attrgetter("consent_type"),
        "id": attrgetter("id"),
        "principalId": null,  # consentType AllPrincipals: no single user
        "resourceId": attrgetter("resource_id"),
        "scope": attrgetter("scope"),
    },
)


def app_role_assignment_json(
    assignment: AppRoleAssignment | GroupAppRoleAssignment,
    *,
    principal: ServicePrincipal | Group,
    resource: ServicePrincipal,
) -> dict[str, Any]:
    """Admin consent to an app permission (`/servicePrincipals/{id}/appRoleAssignments`), or an
    app role assigned to a group (`/groups/{id}/appRoleAssignments`, principalType Group)."""
    return APP_ROLE_ASSIGNMENT.render(AssignmentFacts(assignment, principal, resource))


def oauth2_permission_grant_json(grant: OAuth2PermissionGrant) -> dict[str, Any]:
    """Delegated admin consent for all users (consentType AllPrincipals, principalId null)."""
    return OAUTH2_PERMISSION_GRANT.render(grant)
