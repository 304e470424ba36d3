"""Every tenant's management app: the credentials automation uses to provision it through Graph.

When a tenant is created (CLI, seed file, portal, tests: any path through `Platform.directory`),
the platform registers an application "tenantlab management" in it, consents to Microsoft Graph's
Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All and User.ReadWrite.All, adds a client
secret, stores them sealed in the database (table `management_app_credentials`, under the
key-encryption key, in the tenant's own transaction) so every node can show them, and writes
`{home}/tenants/{tenant id}/management-app.json`, readable by its owner only, on the node that made
the tenant. `tenantlab tenant show --credentials` prints them (the file first: tenants made before
the database copy have only the file).

The file is the one place a client secret rests in clear text, on purpose: it is the bootstrap
credential of a local test tenant, as an admin would keep it in a vault, with 0600 protection.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from tenantlab.clock import iso_z
from tenantlab.config import PlatformSettings, ensure_private_dir, write_private_file
from tenantlab.directory import Directory
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.keys.installation_secrets import InstallationSecrets
from tenantlab.storage.database import Database
from tenantlab.storage.schema import ManagementAppCredential, Tenant

MANAGEMENT_APP_NAME = "tenantlab management"
MANAGEMENT_PERMISSIONS = (
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "User.ReadWrite.All",
)
CREDENTIALS_FILE = "management-app.json"


@dataclass(frozen=True)
class ManagementCredentials:
    tenantId: str  # camelCase: the names Azure's tools use
    clientId: str
    clientSecret: str
    objectId: str
    secretExpiresDateTime: str
    authority: str
    graphEndpoint: str
    permissions: tuple[str, ...]


def credentials_path(settings: PlatformSettings, tenant_id: str) -> Path:
    return settings.home / "tenants" / tenant_id / CREDENTIALS_FILE


def sealing_context(tenant_id: str) -> str:
    return f"management-app:{tenant_id}"


def provision_management_app(
    directory: Directory,
    settings: PlatformSettings,
    tenant: Tenant,
    *,
    sealer: InstallationSecrets | None = None,
) -> ManagementCredentials:
    """Register the management app in `tenant`, consent its permissions, write its credentials."""
    app = directory.create_application(
        tenant=tenant.id,
        display_name=MANAGEMENT_APP_NAME,
        description="Created with the tenant: provisions it through Microsoft Graph.",
        required_resource_access=[
            {
                "resourceAppId": MICROSOFT_GRAPH_APP_ID,
                "resourceAccess": [
                    {"id": role_id, "type": "Role"}
                    for role_id in _graph_role_ids(directory, tenant.id)
                ],
            }
        ],
    )
    for permission in MANAGEMENT_PERMISSIONS:
        directory.grant_app_role(
            tenant=tenant.id, client=app.app_id, resource=MICROSOFT_GRAPH_APP_ID, role=permission
        )
    secret = directory.add_password(
        tenant=tenant.id, app=app.id, display_name="tenantlab bootstrap"
    )
    credentials = ManagementCredentials(
        tenantId=tenant.id,
        clientId=app.app_id,
        clientSecret=secret.secret_text,
        objectId=app.id,
        secretExpiresDateTime=iso_z(secret.credential.end_at),
        authority=f"{settings.origin}/{tenant.id}",
        graphEndpoint=f"{settings.graph_origin}/v1.0",
        permissions=MANAGEMENT_PERMISSIONS,
    )
    document = json.dumps(asdict(credentials)).encode()
    if sealer is not None:
        with directory.db.session() as session:
            session.merge(
                ManagementAppCredential(
                    tenant_id=tenant.id,
                    sealed=sealer.seal(document, context=sealing_context(tenant.id)),
                )
            )
    path = credentials_path(settings, tenant.id)

    def write() -> None:
        ensure_private_dir(path.parent.parent)
        ensure_private_dir(path.parent)
        write_private_file(path, (json.dumps(asdict(credentials), indent=2) + "\n").encode())

    # Inside a transaction (a tenant file), only once it commits: a rolled-back tenant leaves
    # no credentials file behind.
    directory.db.after_commit(write)
    return credentials


def _graph_role_ids(directory: Directory, tenant_id: str) -> list[str]:
    graph = directory.get_service_principal(tenant=tenant_id, key=MICROSOFT_GRAPH_APP_ID)
    by_value = {role["value"]: role["id"] for role in graph.app_roles}
    return [by_value[p] for p in MANAGEMENT_PERMISSIONS]


def read_management_credentials(
    settings: PlatformSettings,
    tenant_id: str,
    *,
    database: Database | None = None,
    sealer: InstallationSecrets | None = None,
) -> ManagementCredentials | None:
    """The tenant's management credentials: this node's file, else (given the database and its
    sealer) the database's copy; None for a tenant made without them."""
    path = credentials_path(settings, tenant_id)
    if path.exists():
        data = json.loads(path.read_text())
    elif database is not None and sealer is not None:
        with database.session() as session:
            row = session.get(ManagementAppCredential, tenant_id)
            if row is None:
                return None
            data = json.loads(sealer.open(row.sealed, context=sealing_context(tenant_id)))
    else:
        return None
    data["permissions"] = tuple(data.get("permissions") or ())
    return ManagementCredentials(**data)


def install(
    directory: Directory, settings: PlatformSettings, sealer: InstallationSecrets | None = None
) -> None:
    """Give every tenant created through `directory` from now on its management app."""

    def provision(tenant: Tenant) -> None:
        provision_management_app(directory, settings, tenant, sealer=sealer)

    directory.tenant_created.append(provision)
