"""Graph's wire format: directory objects rendered as Microsoft Graph v1.0 returns them.

One module per resource, each declaring its properties once (`_shape.Shape`); Graph's handlers
and the CLI's `--json` render through these. Timestamps are ISO 8601 UTC with `Z`.
"""

from tenantlab.graph.shapes._shape import Selection, Shape
from tenantlab.graph.shapes.applications import APPLICATION, application_document, application_json
from tenantlab.graph.shapes.credentials import (
    federated_credential_json,
    key_credential_json,
    password_credential_json,
)
from tenantlab.graph.shapes.organization import ORGANIZATION, organization_json
from tenantlab.graph.shapes.permissions import (
    APP_ROLE_ASSIGNMENT,
    OAUTH2_PERMISSION_GRANT,
    app_role_assignment_json,
    oauth2_permission_grant_json,
)
from tenantlab.graph.shapes.service_principals import (
    SERVICE_PRINCIPAL,
    service_principal_document,
)
from tenantlab.graph.shapes.users import USER, USER_DEFAULT_PROPERTIES, user_json

__all__ = [
    "APPLICATION",
    "APP_ROLE_ASSIGNMENT",
    "OAUTH2_PERMISSION_GRANT",
    "ORGANIZATION",
    "SERVICE_PRINCIPAL",
    "USER",
    "USER_DEFAULT_PROPERTIES",
    "Selection",
    "Shape",
    "app_role_assignment_json",
    "application_document",
    "application_json",
    "federated_credential_json",
    "key_credential_json",
    "oauth2_permission_grant_json",
    "organization_json",
    "password_credential_json",
    "service_principal_document",
    "user_json",
]
