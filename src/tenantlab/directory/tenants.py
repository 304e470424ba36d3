"""Tenants and their domains; every new tenant gets the Microsoft Graph service principal."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from tenantlab.directory import audits, validation
from tenantlab.directory._base import DirectoryBase
from tenantlab.directory.audits import audited
from tenantlab.directory.errors import Conflict, ValidationFailed
from tenantlab.directory.wellknown import (
    GRAPH_DISPLAY_NAME,
    GRAPH_SERVICE_PRINCIPAL_NAMES,
    graph_app_roles,
    graph_scopes,
)
from tenantlab.ids import (
    MICROSOFT_GRAPH_APP_ID,
    MICROSOFT_SERVICES_TENANT_ID,
    is_guid,
    new_guid,
    normalize_guid,
)
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import ServicePrincipal, Tenant, TenantDomain

TENANT_TYPES = ("workforce", "external")

# Entra's smart-lockout defaults (Password Rule Settings: LockoutThreshold,
# LockoutDurationInSeconds).
DEFAULT_LOCKOUT_THRESHOLD = 10
DEFAULT_LOCKOUT_DURATION_SECONDS = 60
LOCKOUT_THRESHOLD_RANGE = (1, 1000)
LOCKOUT_DURATION_RANGE = (5, 86_400)


@dataclass(frozen=True)
class LockoutPolicy:
    """A tenant's smart lockout: `threshold` failed sign-ins lock an account for
    `duration_seconds` (longer on each repeated lockout)."""

    threshold: int = DEFAULT_LOCKOUT_THRESHOLD
    duration_seconds: int = DEFAULT_LOCKOUT_DURATION_SECONDS

    @classmethod
    def of(cls, tenant: Tenant) -> LockoutPolicy:
        return cls(
            tenant.lockout_threshold or DEFAULT_LOCKOUT_THRESHOLD,
            tenant.lockout_duration_seconds or DEFAULT_LOCKOUT_DURATION_SECONDS,
        )


def _in_range(name: str, value: int, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"the {name} must be a whole number from {low} to {high}")
    return value


class TenantsMixin(DirectoryBase):
    def create_tenant(
        self,
        *,
        display_name: str,
        domain: str,
        tenant_type: str = "workforce",
        tenant_id: str | None = None,
        extra_domains: list[str] | None = None,
    ) -> Tenant:
        """A new tenant with its initial domain (`contoso` becomes `contoso.onmicrosoft.com`)."""
        name = validation.display_name(display_name)
        if tenant_type not in TENANT_TYPES:
            raise ValidationFailed(
                f"tenant type must be 'workforce' or 'external', not '{tenant_type}'"
            )
        initial = domain.strip().lower()
        if "." not in initial:
            initial = f"{initial}.onmicrosoft.com"
        domains = [validation.domain_name(initial)]
        domains += [validation.domain_name(d) for d in extra_domains or []]
        if tenant_id is not None and not is_guid(tenant_id):
            raise ValidationFailed(f"tenant id '{tenant_id}' is not a GUID")
        tid = normalize_guid(tenant_id) if tenant_id else new_guid()
        now = self.clock.now()
        with self.db.session() as session:
            if session.get(Tenant, tid) is not None:
                raise Conflict(f"a tenant with id {tid} already exists")
            for d in domains:
                if session.get(TenantDomain, d) is not None:
                    raise Conflict(f"the domain '{d}' already belongs to a tenant")
            tenant = Tenant(id=tid, display_name=name, tenant_type=tenant_type, created_at=now)
            session.add(tenant)
            session.flush()
            for index, d in enumerate(dict.fromkeys(domains)):
                session.add(TenantDomain(name=d, tenant_id=tid, is_initial=index == 0))
            session.add(
                ServicePrincipal(
                    id=new_guid(),
                    tenant_id=tid,
                    app_id=MICROSOFT_GRAPH_APP_ID,
                    application_id=None,
                    display_name=GRAPH_DISPLAY_NAME,
                    app_owner_organization_id=MICROSOFT_SERVICES_TENANT_ID,
                    app_roles=graph_app_roles(),
                    oauth2_permission_scopes=graph_scopes(),
                    service_principal_names=list(GRAPH_SERVICE_PRINCIPAL_NAMES),
                    created_at=now,
                )
            )
            bump_revision(session)
        for hook in self.tenant_created:
            hook(tenant)
        return tenant

    @audited(audits.ROTATE_SIGNING_KEY)
    def record_signing_key_rotation(self, *, tenant: str, kid: str, retired: str | None) -> None:
        """Audit a rotation of the tenant's token-signing key (the key store makes it; call this
        inside the same `Database.transaction()`, as `Platform.rotate_signing_key` does)."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            self._audit(
                session,
                audits.ROTATE_SIGNING_KEY,
                t.id,
                audits.Target(
                    t.id,
                    t.display_name,
                    type="Directory",
                    modified=(("SigningKey.Kid", retired, kid),),
                ),
            )

    def get_tenant(self, alias: str) -> Tenant:
        """A tenant by GUID or domain name (case-insensitive); TenantNotFound otherwise."""
        with self.db.session() as session:
            return self._tenant(session, alias)

    def find_tenant(self, alias: str) -> Tenant | None:
        with self.db.session() as session:
            return self._find_tenant(session, alias)

    def list_tenants(self) -> list[Tenant]:
        with self.db.session() as session:
            return list(session.scalars(select(Tenant).order_by(Tenant.created_at)))

    def tenant_domains(self, tenant_id: str) -> list[str]:
        """Domain names, the initial one first."""
        with self.db.session() as session:
            rows = session.scalars(
                select(TenantDomain)
                .where(TenantDomain.tenant_id == tenant_id)
                .order_by(TenantDomain.is_initial.desc(), TenantDomain.name)
            )
            return [row.name for row in rows]

    @audited(audits.ADD_DOMAIN)
    def add_domain(self, *, tenant: str, domain: str) -> str:
        name = validation.domain_name(domain)
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            if session.get(TenantDomain, name) is not None:
                raise Conflict(f"the domain '{name}' already belongs to a tenant")
            session.add(TenantDomain(name=name, tenant_id=t.id, is_initial=False))
            self._audit(session, audits.ADD_DOMAIN, t.id, audits.Target(name, name, type="Domain"))
            bump_revision(session)
        return name

    def delete_tenant(self, alias: str) -> Tenant:
        """Delete a tenant and everything in it (apps, principals, users, grants, signing keys).

        The database cascades from the tenant row; another tenant's service principals of this
        tenant's multi-tenant apps go with the apps.
        """
        with self.db.session() as session:
            found = self._tenant(session, alias)
            session.execute(delete(Tenant).where(Tenant.id == found.id))
            bump_revision(session)
        return found

    def set_lockout_policy(
        self, *, tenant: str, threshold: int | None = None, duration_seconds: int | None = None
    ) -> LockoutPolicy:
        """Change the tenant's smart lockout (None keeps a value); returns the policy in force."""
        if threshold is not None:
            _in_range("lockout threshold", threshold, LOCKOUT_THRESHOLD_RANGE)
        if duration_seconds is not None:
            _in_range("lockout duration (seconds)", duration_seconds, LOCKOUT_DURATION_RANGE)
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            if threshold is not None:
                t.lockout_threshold = threshold
            if duration_seconds is not None:
                t.lockout_duration_seconds = duration_seconds
            bump_revision(session)
            return LockoutPolicy.of(t)

    def set_graph_throttling(self, *, tenant: str, enabled: bool) -> None:
        with self.db.session() as session:
            self._tenant(session, tenant).graph_throttling = enabled
            bump_revision(session)
