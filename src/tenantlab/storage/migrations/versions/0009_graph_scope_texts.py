"""Microsoft Graph's published delegated scopes carry Microsoft's consent texts in every tenant

Tenants created before the texts were added publish each Graph scope with its value as display
name and description ("User.Read" / "User.Read"); the portal and Graph showed that. Each scope
tenantlab publishes for Graph (known by its id) gets the texts a new tenant gets; whether it is
enabled, and anything else in the list, stays as it is.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 22:40:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from tenantlab.ids import MICROSOFT_GRAPH_APP_ID

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Microsoft's consent texts of the scopes tenantlab publishes for Graph, by scope id, as
# directory/wellknown.py had them when this migration was written (a migration is a snapshot, and
# storage imports no domain package): adminConsentDisplayName, adminConsentDescription,
# userConsentDisplayName, userConsentDescription.
TEXTS = (
    "adminConsentDisplayName",
    "adminConsentDescription",
    "userConsentDisplayName",
    "userConsentDescription",
)
GRAPH_SCOPE_TEXTS: dict[str, tuple[str, str, str, str]] = {
    "e1fe6dd8-ba31-4d61-89e7-88639da4683d": (  # User.Read
        "Sign in and read user profile",
        "Allows users to sign-in to the app, and allows the app to read the profile of signed-in "
        "users. It also allows the app to read basic company information of signed-in users.",
        "Sign you in and read your profile",
        "Allows you to sign in to the app with your organizational account and let the app read "
        "your profile. It also allows the app to read basic company information.",
    ),
    "a154be20-db9c-4678-8ab7-66f6cc099a59": (  # User.Read.All
        "Read all users' full profiles",
        "Allows the app to read the full set of profile properties, reports, and managers of "
        "other users in your organization, on behalf of the signed-in user.",
        "Read all users' full profiles",
        "Allows the app to read the full set of profile properties, reports, and managers of "
        "other users in your organization, on your behalf.",
    ),
    "06da0dbc-49e2-44d2-8312-53f166ab848a": (  # Directory.Read.All
        "Read directory data",
        "Allows the app to read data in your organization's directory, such as users, groups "
        "and apps.",
        "Read directory data",
        "Allows the app to read data in your organization's directory.",
    ),
}

service_principals = sa.table(
    "service_principals",
    sa.column("id", sa.String),
    sa.column("app_id", sa.String),
    sa.column("oauth2_permission_scopes", sa.JSON),
)


def with_graph_texts(scopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    updated = []
    for scope in scopes:
        known = GRAPH_SCOPE_TEXTS.get(scope.get("id", ""))
        updated.append(
            scope if known is None else {**scope, **dict(zip(TEXTS, known, strict=True))}
        )
    return updated


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(service_principals.c.id, service_principals.c.oauth2_permission_scopes).where(
            service_principals.c.app_id == MICROSOFT_GRAPH_APP_ID
        )
    ).all()
    for sp_id, scopes in rows:
        updated = with_graph_texts(list(scopes or []))
        if updated != scopes:
            connection.execute(
                service_principals.update()
                .where(service_principals.c.id == sp_id)
                .values(oauth2_permission_scopes=updated)
            )


def downgrade() -> None:
    pass  # the old texts were the scope values repeated: nothing worth restoring
