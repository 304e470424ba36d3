"""The few queries that build a tenant snapshot (run once per directory revision, never per token).

Reads go straight to the directory's tables: the snapshot needs every client, credential and
consent of a tenant at once, which the Directory service's object-at-a-time API would turn into
thousands of queries for a tenant with many apps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tenantlab.ids import is_guid, normalize_guid
from tenantlab.storage.schema import (
    Application,
    AppRoleAssignment,
    FederatedIdentityCredential,
    Group,
    GroupAppRoleAssignment,
    GroupMember,
    KeyCredential,
    PasswordCredential,
    ServicePrincipal,
    Tenant,
    TenantDomain,
)


@dataclass
class TenantParts:
    tenant: Tenant
    domains: list[str]
    principals: list[tuple[ServicePrincipal, Application | None]]
    passwords: list[PasswordCredential]
    certificates: list[KeyCredential]
    federated: list[FederatedIdentityCredential]
    assignments: list[tuple[str, str, str]]  # principal SP id, resource SP id, app role id
    groups: list[tuple[str, bool]]  # group id, securityEnabled
    memberships: list[tuple[str, str]]  # member id, group id (direct; groups and SPs, no users)
    group_assignments: list[tuple[str, str, str]]  # group id, resource SP id, app role id


def tenant_aliases(session: Session) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for (tenant_id,) in session.execute(select(Tenant.id)):
        aliases[str(tenant_id).lower()] = str(tenant_id)
    for name, tenant_id in session.execute(select(TenantDomain.name, TenantDomain.tenant_id)):
        aliases[str(name).lower()] = str(tenant_id)
    return aliases


def tenant_parts(session: Session, tenant_id: str) -> TenantParts | None:
    key = normalize_guid(tenant_id) if is_guid(tenant_id) else tenant_id
    tenant = session.get(Tenant, key)
    if tenant is None:
        return None
    domains = [
        str(name)
        for name in session.scalars(
            select(TenantDomain.name)
            .where(TenantDomain.tenant_id == tenant.id)
            .order_by(TenantDomain.is_initial.desc(), TenantDomain.name)
        )
    ]
    principals: list[tuple[ServicePrincipal, Application | None]] = [
        (sp, app)
        for sp, app in session.execute(
            select(ServicePrincipal, Application)
            .outerjoin(Application, Application.id == ServicePrincipal.application_id)
            .where(ServicePrincipal.tenant_id == tenant.id)
        )
    ]
    sp = aliased(ServicePrincipal)
    return TenantParts(
        tenant=tenant,
        domains=domains,
        principals=principals,
        passwords=_credentials(session, PasswordCredential, sp, tenant.id),
        certificates=_credentials(session, KeyCredential, sp, tenant.id),
        federated=_credentials(session, FederatedIdentityCredential, sp, tenant.id),
        assignments=[
            (str(p), str(r), str(a))
            for p, r, a in session.execute(
                select(
                    AppRoleAssignment.principal_id,
                    AppRoleAssignment.resource_id,
                    AppRoleAssignment.app_role_id,
                ).where(AppRoleAssignment.tenant_id == tenant.id)
            )
        ],
        groups=[
            (str(g), bool(s))
            for g, s in session.execute(
                select(Group.id, Group.security_enabled).where(Group.tenant_id == tenant.id)
            )
        ],
        memberships=[
            (str(m), str(g))
            for m, g in session.execute(
                select(GroupMember.member_id, GroupMember.group_id).where(
                    GroupMember.tenant_id == tenant.id, GroupMember.member_type != "user"
                )
            )
        ],
        group_assignments=[
            (str(g), str(r), str(a))
            for g, r, a in session.execute(
                select(
                    GroupAppRoleAssignment.group_id,
                    GroupAppRoleAssignment.resource_id,
                    GroupAppRoleAssignment.app_role_id,
                ).where(GroupAppRoleAssignment.tenant_id == tenant.id)
            )
        ],
    )


def _credentials(session: Session, model: Any, sp: Any, tenant_id: str) -> list[Any]:
    """A credential table's rows for every application with a service principal in the tenant."""
    return list(
        session.scalars(
            select(model)
            .join(sp, sp.application_id == model.application_id)
            .where(sp.tenant_id == tenant_id)
        )
    )
