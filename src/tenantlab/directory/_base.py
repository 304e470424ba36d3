"""What every part of the directory service shares: the database, the clock, tenant lookup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.directory import audits
from tenantlab.directory.errors import ApplicationNotFound, TenantNotFound
from tenantlab.directory.secret_digests import SecretDigests
from tenantlab.ids import is_guid, normalize_guid
from tenantlab.storage.database import Database, current_revision
from tenantlab.storage.schema import Application, Tenant, TenantDomain


class DirectoryBase:
    def __init__(
        self, database: Database, clock: Clock = SYSTEM_CLOCK, *, secret_digests: SecretDigests
    ) -> None:
        self.db = database
        self.clock = clock
        self.secret_digests = secret_digests
        # Called with each new tenant after it is committed: what needs more than the database
        # (the management app's credentials file in the data folder) hooks in here.
        self.tenant_created: list[Callable[[Tenant], None]] = []

    def revision(self) -> int:
        """The directory's change counter (bumped by every write, in any process)."""
        with self.db.session() as session:
            return current_revision(session)

    # -- directory audits (audits.py) -------------------------------------------------------

    def _audit(
        self,
        session: Session,
        activity: audits.Activity,
        tenant_id: str,
        *targets: audits.Target,
        details: dict[str, str] | None = None,
    ) -> None:
        """Record a change in the audit log, in the session (the transaction) making it."""
        audits.record(
            session,
            activity,
            tenant_id=tenant_id,
            targets=list(targets),
            details=details,
            at=self.clock.now(),
        )

    def _changed(
        self,
        session: Session,
        kind: str,
        obj: Any,
        change: str,
        properties: list[str] | None = None,
    ) -> None:
        """Log a change of `obj` (a user, a group) for Graph's delta queries, in the change's
        transaction, after `bump_revision` (see `changes.py`)."""
        from tenantlab.directory import changes  # changes.py builds on this module

        changes.record(
            session,
            tenant_id=obj.tenant_id,
            kind=kind,
            object_id=obj.id,
            change=change,
            at=self.clock.now(),
            properties=properties,
        )

    def audit_tenant_id(self, session: Session, alias: str) -> str | None:
        tenant = self._find_tenant(session, alias)
        return tenant.id if tenant else None

    def audit_time(self) -> float:
        return self.clock.now()

    # -- lookups usable inside a caller's session -------------------------------------------

    @staticmethod
    def _find_tenant(session: Session, alias: str) -> Tenant | None:
        """A tenant by GUID or by any of its domain names, case-insensitively."""
        if is_guid(alias):
            return session.get(Tenant, normalize_guid(alias))
        domain = session.get(TenantDomain, alias.strip().lower())
        return session.get(Tenant, domain.tenant_id) if domain else None

    def _tenant(self, session: Session, alias: str) -> Tenant:
        tenant = self._find_tenant(session, alias)
        if tenant is None:
            raise TenantNotFound(alias)
        return tenant

    @staticmethod
    def _application(session: Session, tenant_id: str, key: str) -> Application:
        """An application of the tenant by object id, appId or (exact) display name."""
        app = None
        if is_guid(key):
            key = normalize_guid(key)
            app = session.get(Application, key)
            if app is None or app.tenant_id != tenant_id:
                app = session.scalar(
                    select(Application).where(
                        Application.app_id == key, Application.tenant_id == tenant_id
                    )
                )
        else:
            matches = list(
                session.scalars(
                    select(Application).where(
                        Application.tenant_id == tenant_id,
                        func.lower(Application.display_name) == key.lower(),
                    )
                )
            )
            if len(matches) > 1:
                ids = ", ".join(sorted(m.app_id for m in matches))
                raise ApplicationNotFound(
                    f"{len(matches)} applications are named '{key}' (appIds {ids}): "
                    "use the appId of the one you mean"
                )
            app = matches[0] if matches else None
        if app is None or app.tenant_id != tenant_id:
            raise ApplicationNotFound(
                f"no application '{key}' in this tenant (list them with `tenantlab app list`)"
            )
        return app
