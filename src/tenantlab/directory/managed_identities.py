"""Managed identities: service principals of type ManagedIdentity, and the hosts that may use them.

Entra keeps a managed identity as a service principal without an application object in the tenant:
`appId` is its client id, `id` its principal (object) id, `appOwnerOrganizationId` Microsoft's
services tenant, and `alternativeNames` says whether it is user-assigned (`isExplicit=True`) and
names its Azure resource. A *system-assigned* identity belongs to one host (a VM, an App Service
app): its name is the host's. A *user-assigned* identity is a resource of its own, attached to the
hosts that may use it. The managed identity endpoints serve one host: its system-assigned identity
by default, or an attached user-assigned one picked by client id, object id or resource id.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenantlab.directory import audits
from tenantlab.directory._base import DirectoryBase
from tenantlab.directory.audits import audited
from tenantlab.directory.errors import Conflict, NotFound, ValidationFailed
from tenantlab.ids import MICROSOFT_SERVICES_TENANT_ID, b64url, is_guid, new_guid, normalize_guid
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import ManagedIdentity, ServicePrincipal, Tenant

SYSTEM_ASSIGNED = "SystemAssigned"
USER_ASSIGNED = "UserAssigned"
SERVICE_PRINCIPAL_TYPE = "ManagedIdentity"
RESOURCE_GROUP = "tenantlab"
# Azure's rules for a user-assigned identity's name (3-128) are looser than a VM's (1-64); one rule
# that both accept keeps names usable as host names too.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class ManagedIdentityNotFound(NotFound):
    pass


@dataclass(frozen=True)
class ManagedIdentityView:
    """A managed identity with its service principal's ids, as the CLI and portal show it."""

    name: str
    kind: str
    client_id: str  # the service principal's appId
    principal_id: str  # the service principal's object id
    tenant_id: str
    resource_id: str
    hosts: tuple[str, ...]
    created_at: float


def subscription_id(tenant_id: str) -> str:
    """The (emulated) Azure subscription a tenant's managed identities live in: fixed per tenant."""
    return str(uuid.uuid5(uuid.UUID(tenant_id), "tenantlab-subscription"))


def resource_id_for(tenant_id: str, kind: str, name: str) -> str:
    """The Azure resource id: the host (a VM) for system-assigned, else the identity resource."""
    provider = (
        "Microsoft.Compute/virtualMachines"
        if kind == SYSTEM_ASSIGNED
        else "Microsoft.ManagedIdentity/userAssignedIdentities"
    )
    return (
        f"/subscriptions/{subscription_id(tenant_id)}/resourceGroups/{RESOURCE_GROUP}"
        f"/providers/{provider}/{name}"
    )


def check_name(name: str, what: str = "managed identity") -> str:
    if not _NAME.match(name):
        raise ValidationFailed(
            f"'{name}' is not a valid {what} name: use 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def _view(row: ManagedIdentity, sp: ServicePrincipal) -> ManagedIdentityView:
    return ManagedIdentityView(
        name=row.name,
        kind=row.kind,
        client_id=sp.app_id,
        principal_id=sp.id,
        tenant_id=row.tenant_id,
        resource_id=row.resource_id,
        hosts=tuple(row.hosts or ()),
        created_at=row.created_at,
    )


def _identity_target(
    sp: ServicePrincipal, modified: tuple[tuple[str, object, object], ...] = ()
) -> audits.Target:
    return audits.Target(sp.id, sp.display_name, modified=modified)


def _identity_details(row: ManagedIdentity, sp: ServicePrincipal) -> dict[str, str]:
    return {"AppId": sp.app_id, "ManagedIdentityType": row.kind, "ResourceId": row.resource_id}


class ManagedIdentitiesMixin(DirectoryBase):
    @audited(audits.ADD_SERVICE_PRINCIPAL)
    def create_managed_identity(
        self, *, tenant: str, name: str, kind: str, hosts: tuple[str, ...] = ()
    ) -> ManagedIdentityView:
        """A new managed identity and its service principal (new client id and object id).

        System-assigned: `name` is the host and `hosts` must be empty. User-assigned: `hosts` are
        the hosts it is attached to (more can be attached later).
        """
        check_name(name)
        if kind not in (SYSTEM_ASSIGNED, USER_ASSIGNED):
            raise ValidationFailed(f"unknown managed identity kind '{kind}'")
        if kind == SYSTEM_ASSIGNED and hosts:
            raise ValidationFailed("a system-assigned identity belongs to its own host only")
        attached = tuple(dict.fromkeys(check_name(h, "host") for h in hosts))
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            if self._managed_identity_row(session, t.id, name) is not None:
                raise Conflict(f"a managed identity named '{name}' already exists in this tenant")
            resource_id = resource_id_for(t.id, kind, name)
            client_id = new_guid()
            sp = ServicePrincipal(
                id=new_guid(),
                tenant_id=t.id,
                app_id=client_id,
                application_id=None,
                display_name=name,
                app_owner_organization_id=MICROSOFT_SERVICES_TENANT_ID,
                service_principal_type=SERVICE_PRINCIPAL_TYPE,
                service_principal_names=[
                    client_id,
                    f"https://identity.azure.net/{b64url(secrets.token_bytes(32))}=",
                ],
                alternative_names=[f"isExplicit={kind == USER_ASSIGNED}", resource_id],
                created_at=self.clock.now(),
            )
            session.add(sp)
            session.flush()
            row = ManagedIdentity(
                service_principal_id=sp.id,
                tenant_id=t.id,
                name=name,
                kind=kind,
                resource_id=resource_id,
                hosts=[name] if kind == SYSTEM_ASSIGNED else list(attached),
                created_at=sp.created_at,
            )
            session.add(row)
            self._audit(
                session,
                audits.ADD_SERVICE_PRINCIPAL,
                t.id,
                _identity_target(sp, (("AttachedHosts", None, list(row.hosts)),)),
                details=_identity_details(row, sp),
            )
            bump_revision(session)
            return _view(row, sp)

    def list_managed_identities(self, *, tenant: str) -> list[ManagedIdentityView]:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            rows = session.execute(
                select(ManagedIdentity, ServicePrincipal)
                .join(ServicePrincipal, ServicePrincipal.id == ManagedIdentity.service_principal_id)
                .where(ManagedIdentity.tenant_id == t.id)
                .order_by(ManagedIdentity.name)
            )
            return [_view(row, sp) for row, sp in rows]

    def get_managed_identity(self, *, tenant: str, key: str) -> ManagedIdentityView:
        """By name, client id or principal (object) id."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            row = self._find_managed_identity(session, t, key)
            sp = session.get(ServicePrincipal, row.service_principal_id)
            assert sp is not None  # the foreign key cascades
            return _view(row, sp)

    @audited(audits.DELETE_SERVICE_PRINCIPAL)
    def delete_managed_identity(self, *, tenant: str, key: str) -> ManagedIdentityView:
        """Delete the identity and its service principal (and so its app role assignments)."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            row = self._find_managed_identity(session, t, key)
            sp = session.get(ServicePrincipal, row.service_principal_id)
            assert sp is not None
            view = _view(row, sp)
            self._audit(
                session,
                audits.DELETE_SERVICE_PRINCIPAL,
                t.id,
                _identity_target(sp),
                details=_identity_details(row, sp),
            )
            session.delete(row)
            session.delete(sp)
            bump_revision(session)
            return view

    @audited(audits.UPDATE_SERVICE_PRINCIPAL)
    def attach_managed_identity(
        self, *, tenant: str, key: str, host: str, attach: bool = True
    ) -> ManagedIdentityView:
        """Attach a user-assigned identity to a host (or detach it with attach=False)."""
        check_name(host, "host")
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            row = self._find_managed_identity(session, t, key)
            if row.kind != USER_ASSIGNED:
                raise ValidationFailed(
                    f"'{row.name}' is system-assigned: it belongs to its own host only"
                )
            hosts = [h for h in row.hosts or () if h != host]
            if attach:
                hosts.append(host)
            sp = session.get(ServicePrincipal, row.service_principal_id)
            assert sp is not None
            if hosts != list(row.hosts or ()):
                self._audit(
                    session,
                    audits.UPDATE_SERVICE_PRINCIPAL,
                    t.id,
                    _identity_target(sp, (("AttachedHosts", list(row.hosts or ()), hosts),)),
                    details=_identity_details(row, sp),
                )
                row.hosts = hosts
                bump_revision(session)
            return _view(row, sp)

    def host_identities(self, *, tenant: str, host: str) -> list[ManagedIdentityView]:
        """The identities a host may use: its system-assigned one first, then attached ones."""
        views = [
            v
            for v in self.list_managed_identities(tenant=tenant)
            if host in v.hosts and (v.kind == USER_ASSIGNED or v.name == host)
        ]
        return sorted(views, key=lambda v: (v.kind != SYSTEM_ASSIGNED, v.name))

    def tenants_with_host(self, host: str) -> list[str]:
        """The ids of the tenants where some managed identity is on `host`."""
        with self.db.session() as session:
            rows = session.execute(select(ManagedIdentity.tenant_id, ManagedIdentity.hosts))
            return sorted({str(t) for t, hosts in rows if host in (hosts or ())})

    # -- lookups ----------------------------------------------------------------------------------

    @staticmethod
    def _managed_identity_row(
        session: Session, tenant_id: str, name: str
    ) -> ManagedIdentity | None:
        return session.scalar(
            select(ManagedIdentity).where(
                ManagedIdentity.tenant_id == tenant_id, ManagedIdentity.name == name
            )
        )

    def _find_managed_identity(self, session: Session, tenant: Tenant, key: str) -> ManagedIdentity:
        row = None
        if is_guid(key):
            guid = normalize_guid(key)
            row = session.get(ManagedIdentity, guid)
            if row is None:
                row = session.scalar(
                    select(ManagedIdentity)
                    .join(
                        ServicePrincipal,
                        ServicePrincipal.id == ManagedIdentity.service_principal_id,
                    )
                    .where(ServicePrincipal.tenant_id == tenant.id, ServicePrincipal.app_id == guid)
                )
        else:
            row = self._managed_identity_row(session, tenant.id, key)
        if row is None or row.tenant_id != tenant.id:
            raise ManagedIdentityNotFound(
                f"no managed identity '{key}' in this tenant "
                "(list them with `tenantlab managed-identity list`)"
            )
        return row
