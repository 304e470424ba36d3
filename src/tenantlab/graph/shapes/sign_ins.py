"""`microsoft.graph.signIn`: the properties that apply to app-only, managed identity and
password sign-ins (auditLogs/signIns)."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from tenantlab.clock import iso_z
from tenantlab.graph.shapes._shape import Shape, null
from tenantlab.storage.schema import SignIn


def _status(row: SignIn) -> dict[str, Any]:
    return {
        "errorCode": row.error_code,
        "failureReason": row.failure_reason if row.error_code else None,
        "additionalDetails": None,
    }


SIGN_IN: Shape[SignIn] = Shape(
    "microsoft.graph.signIn",
    {
        "id": attrgetter("id"),
        "createdDateTime": lambda s: iso_z(s.created_at),
        "appId": attrgetter("app_id"),
        "appDisplayName": attrgetter("app_display_name"),
        "correlationId": attrgetter("correlation_id"),
        "ipAddress": attrgetter("ip_address"),
        "isInteractive": lambda s: s.user_id is not None,
        "resourceDisplayName": attrgetter("resource_display_name"),
        "resourceId": attrgetter("resource_id"),
        "servicePrincipalId": attrgetter("service_principal_id"),
        "servicePrincipalName": lambda s: None if s.user_id else s.app_display_name,
        "userDisplayName": null,
        "userId": attrgetter("user_id"),
        "userPrincipalName": attrgetter("user_principal_name"),
        "clientCredentialType": attrgetter("client_credential_type"),
        "signInEventTypes": lambda s: [s.event_type],
        "status": _status,
    },
)
