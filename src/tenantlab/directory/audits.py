"""Directory audits: every change to a tenant, who made it, recorded with the change itself.

The directory is the one place every front end's writes pass through (the CLI, Graph, seed files,
the portal), so the record is written here, in the same transaction as the change: a change
that rolls back leaves no record, and a record never describes a change that did not happen.

Who made the change is not a parameter of the mutators: each front end says once, for the
request or command it is serving, who is acting (`acting_as(Initiator...)`, a context variable
that follows the request into worker threads), and every record made meanwhile names that
initiator. A change nobody claimed is the platform's own (`tenantlab`, e.g. bootstrap).

Mutators declare their activity with `@audited(ACTIVITY)`: a refused change (a DirectoryError)
is recorded as `result: failure` with the error as `resultReason`, in its own transaction.
The stored fields are Graph's `directoryAudit` ones. Nothing secret is recorded: a client secret
appears only as its keyId and hint, a password change only as the fact that it changed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tenantlab.directory.errors import DirectoryError
from tenantlab.ids import new_guid
from tenantlab.storage import Database
from tenantlab.storage.schema import DirectoryAudit, DirectoryAuditTarget, ServicePrincipal

LOGGED_BY = "Core Directory"
SUCCESS = "success"
FAILURE = "failure"
MAX_REASON = 1024


@dataclass(frozen=True)
class Activity:
    """One kind of change, in the words Entra's audit log uses for it."""

    display_name: str  # activityDisplayName
    category: str
    operation_type: str
    target_type: str


_APPS = "ApplicationManagement"
ADD_APPLICATION = Activity("Add application", _APPS, "Add", "Application")
UPDATE_APPLICATION = Activity("Update application", _APPS, "Update", "Application")
DELETE_APPLICATION = Activity("Delete application", _APPS, "Delete", "Application")
# Entra's own name, en dash and trailing space included.
CREDENTIALS = Activity(
    "Update application \u2013 Certificates and secrets management ", _APPS, "Update", "Application"
)
ADD_SERVICE_PRINCIPAL = Activity("Add service principal", _APPS, "Add", "ServicePrincipal")
UPDATE_SERVICE_PRINCIPAL = Activity("Update service principal", _APPS, "Update", "ServicePrincipal")
DELETE_SERVICE_PRINCIPAL = Activity("Delete service principal", _APPS, "Delete", "ServicePrincipal")
ADD_APP_ROLE_ASSIGNMENT = Activity(
    "Add app role assignment to service principal", _APPS, "Assign", "ServicePrincipal"
)
REMOVE_APP_ROLE_ASSIGNMENT = Activity(
    "Remove app role assignment from service principal", _APPS, "Unassign", "ServicePrincipal"
)
CONSENT = Activity("Consent to application", _APPS, "Assign", "ServicePrincipal")
ADD_USER = Activity("Add user", "UserManagement", "Add", "User")
UPDATE_USER = Activity("Update user", "UserManagement", "Update", "User")
DELETE_USER = Activity("Delete user", "UserManagement", "Delete", "User")
RESET_PASSWORD = Activity("Reset user password", "UserManagement", "Update", "User")
ADD_DOMAIN = Activity("Add verified domain", "DirectoryManagement", "Add", "Directory")
ROTATE_SIGNING_KEY = Activity("Rotate token signing key", "KeyManagement", "Update", "Directory")
_GROUPS = "GroupManagement"
ADD_GROUP = Activity("Add group", _GROUPS, "Add", "Group")
UPDATE_GROUP = Activity("Update group", _GROUPS, "Update", "Group")
DELETE_GROUP = Activity("Delete group", _GROUPS, "Delete", "Group")
ADD_MEMBER = Activity("Add member to group", _GROUPS, "Assign", "Group")
REMOVE_MEMBER = Activity("Remove member from group", _GROUPS, "Unassign", "Group")
ADD_OWNER = Activity("Add owner to group", _GROUPS, "Assign", "Group")
REMOVE_OWNER = Activity("Remove owner from group", _GROUPS, "Unassign", "Group")
ADD_GROUP_APP_ROLE = Activity("Add app role assignment to group", _GROUPS, "Assign", "Group")
REMOVE_GROUP_APP_ROLE = Activity(
    "Remove app role assignment from group", _GROUPS, "Unassign", "Group"
)

ACTIVITIES = (
    ADD_APPLICATION,
    UPDATE_APPLICATION,
    DELETE_APPLICATION,
    CREDENTIALS,
    ADD_SERVICE_PRINCIPAL,
    UPDATE_SERVICE_PRINCIPAL,
    DELETE_SERVICE_PRINCIPAL,
    ADD_APP_ROLE_ASSIGNMENT,
    REMOVE_APP_ROLE_ASSIGNMENT,
    CONSENT,
    ADD_USER,
    UPDATE_USER,
    DELETE_USER,
    RESET_PASSWORD,
    ADD_DOMAIN,
    ROTATE_SIGNING_KEY,
    ADD_GROUP,
    UPDATE_GROUP,
    DELETE_GROUP,
    ADD_MEMBER,
    REMOVE_MEMBER,
    ADD_OWNER,
    REMOVE_OWNER,
    ADD_GROUP_APP_ROLE,
    REMOVE_GROUP_APP_ROLE,
)
CATEGORIES = tuple(sorted({a.category for a in ACTIVITIES}))


# -- who is acting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Initiator:
    """Graph's `initiatedBy`: an app (a Graph caller, or one of tenantlab's own tools) or a user
    (the portal's local administrator)."""

    display_name: str
    app_id: str | None = None
    service_principal_id: str | None = None
    user_principal_name: str | None = None  # set for a user
    ip_address: str | None = None

    @classmethod
    def app(cls, *, app_id: str, service_principal_id: str) -> Initiator:
        """A Graph caller; its display name is read when a record is written."""
        return cls(display_name="", app_id=app_id, service_principal_id=service_principal_id)

    @classmethod
    def tool(cls, name: str) -> Initiator:
        """One of tenantlab's own front ends (no appId: it signs in nowhere)."""
        return cls(display_name=name)

    @classmethod
    def administrator(cls, username: str, ip_address: str | None) -> Initiator:
        """The portal's local administrator (not a directory user: no object id)."""
        return cls(
            display_name="tenantlab portal administrator",
            user_principal_name=username,
            ip_address=ip_address,
        )

    @property
    def is_user(self) -> bool:
        return self.user_principal_name is not None

    def shape(self) -> dict[str, Any]:
        """Graph's `auditActivityInitiator`."""
        if self.is_user:
            return {
                "app": None,
                "user": {
                    "id": None,
                    "displayName": self.display_name,
                    "userPrincipalName": self.user_principal_name,
                    "ipAddress": self.ip_address,
                },
            }
        return {
            "app": {
                "appId": self.app_id,
                "displayName": self.display_name,
                "servicePrincipalId": self.service_principal_id,
                "servicePrincipalName": None,
            },
            "user": None,
        }


PLATFORM = Initiator.tool("tenantlab")
CLI = Initiator.tool("tenantlab CLI")
SEED_FILE = Initiator.tool("tenantlab seed file")


@dataclass(frozen=True)
class _Actor:
    initiator: Initiator
    correlation_id: str | None


_NOBODY = _Actor(PLATFORM, None)  # frozen: safe to share as the default
_actor: ContextVar[_Actor] = ContextVar("tenantlab-audit-actor", default=_NOBODY)
_depth: ContextVar[int] = ContextVar("tenantlab-audit-depth", default=0)


@contextmanager
def acting_as(initiator: Initiator, correlation_id: str | None = None) -> Iterator[None]:
    """Every directory change in this block (this context, and worker threads started from it)
    is recorded as `initiator`'s, under one correlation id (a new one when None)."""
    token = _actor.set(_Actor(initiator, correlation_id or new_guid()))
    try:
        yield
    finally:
        _actor.reset(token)


def current_initiator() -> Initiator:
    return _actor.get().initiator


# -- writing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Graph's `targetResource`; `modified` holds (property, old, new) as Graph's JSON strings."""

    id: str | None
    display_name: str | None
    type: str | None = None  # the activity's target type when None
    user_principal_name: str | None = None
    modified: tuple[tuple[str, Any, Any], ...] = ()

    def shape(self, default_type: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "displayName": self.display_name,
            "type": self.type or default_type,
            "userPrincipalName": self.user_principal_name,
            "groupType": None,
            "modifiedProperties": [
                {"displayName": name, "oldValue": _encoded(old), "newValue": _encoded(new)}
                for name, old, new in self.modified
            ],
        }


def _encoded(value: Any) -> str | None:
    """Graph's modifiedProperties carry JSON text (`"[\\"Daemon\\"]"`), or null."""
    if value is None:
        return None
    return json.dumps(value if isinstance(value, list) else [value])


def key_description(key_id: str, key_type: str, display_name: str | None, hint: str = "") -> str:
    """How Entra describes a credential in an audit record: its identifier, never its value."""
    text = f"[KeyIdentifier={key_id}, KeyType={key_type}, KeyUsage=Verify"
    text += f", DisplayName={display_name or ''}"
    return text + (f", Hint={hint}]" if hint else "]")


def record(
    session: Session,
    activity: Activity,
    *,
    tenant_id: str,
    targets: list[Target],
    details: dict[str, str] | None = None,
    result: str = SUCCESS,
    reason: str | None = None,
    at: float,
) -> DirectoryAudit:
    """Add one audit record to `session` (so it commits, or not, with the change)."""
    actor = _actor.get()
    initiator = actor.initiator
    if initiator.service_principal_id and not initiator.display_name:
        caller = session.get(ServicePrincipal, initiator.service_principal_id)
        initiator = Initiator(
            display_name=caller.display_name if caller else "",
            app_id=initiator.app_id,
            service_principal_id=initiator.service_principal_id,
        )
    row = DirectoryAudit(
        id=new_guid(),
        tenant_id=tenant_id,
        activity_at=at,
        category=activity.category,
        activity_display_name=activity.display_name,
        operation_type=activity.operation_type,
        result=result,
        result_reason=(reason or "")[:MAX_REASON],
        correlation_id=actor.correlation_id or new_guid(),
        initiator_app_id=initiator.app_id,
        initiated_by=initiator.shape(),
        target_resources=[t.shape(activity.target_type) for t in targets],
        additional_details=[{"key": k, "value": v} for k, v in (details or {}).items()],
    )
    session.add(row)
    for target_id in dict.fromkeys(t.id for t in targets if t.id):
        session.add(
            DirectoryAuditTarget(
                audit_id=row.id, tenant_id=tenant_id, target_id=target_id, activity_at=at
            )
        )
    return row


class _Audited(Protocol):
    """What `audited` needs of the directory (DirectoryBase provides it)."""

    @property
    def db(self) -> Database: ...

    def audit_tenant_id(self, session: Session, alias: str) -> str | None: ...

    def audit_time(self) -> float: ...


S = TypeVar("S", bound=_Audited)
P = ParamSpec("P")
R = TypeVar("R")


def audited(
    activity: Activity,
) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Mark a directory mutator: the change it refuses is recorded as a failure of `activity`.

    (Its success is recorded by the mutator itself with `record`, inside its transaction, since
    only it knows the targets.) A mutator called by another records no failure of its own: the
    outermost one does, once.
    """

    def decorate(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        @functools.wraps(method)
        def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            outermost = _depth.get() == 0
            token = _depth.set(_depth.get() + 1)
            try:
                return method(self, *args, **kwargs)
            except DirectoryError as exc:
                if outermost:
                    _record_failure(self, activity, kwargs.get("tenant"), exc)
                raise
            finally:
                _depth.reset(token)

        return wrapper

    return decorate


def _record_failure(owner: _Audited, activity: Activity, tenant: Any, exc: DirectoryError) -> None:
    if not isinstance(tenant, str):
        return
    with owner.db.session() as session:
        tenant_id = owner.audit_tenant_id(session, tenant)
        if tenant_id is None:  # no such tenant: there is no tenant log to write to
            return
        record(
            session,
            activity,
            tenant_id=tenant_id,
            targets=[],
            result=FAILURE,
            reason=exc.message,
            at=owner.audit_time(),
        )


# -- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditQuery:
    """A page of one tenant's audit records, newest first; `after` is the last (time, id) seen."""

    tenant_id: str
    top: int = 100
    after: tuple[float, str] | None = None
    since: float | None = None
    until: float | None = None
    category: str | None = None
    activity: str | None = None  # activityDisplayName, exactly
    initiator_app_id: str | None = None
    target_id: str | None = None
    result: str | None = None


def list_audits(database: Database, query: AuditQuery) -> list[DirectoryAudit]:
    """Up to `query.top + 1` records (one more tells the caller a next page exists).

    Newest first by (activity_at, id): over the records' index, or, for one target, over the
    targets' index (tenant, target, time) so a busy object's page is a range too.
    """
    if query.target_id is None:
        at_column, id_column = DirectoryAudit.activity_at, DirectoryAudit.id
        conditions = [DirectoryAudit.tenant_id == query.tenant_id]
        statement = select(DirectoryAudit)
        order = [DirectoryAudit.tenant_id]
    else:
        at_column, id_column = DirectoryAuditTarget.activity_at, DirectoryAuditTarget.audit_id
        conditions = [
            DirectoryAuditTarget.tenant_id == query.tenant_id,
            DirectoryAuditTarget.target_id == query.target_id,
        ]
        statement = select(DirectoryAudit).join(
            DirectoryAuditTarget, DirectoryAuditTarget.audit_id == DirectoryAudit.id
        )
        order = [DirectoryAuditTarget.tenant_id, DirectoryAuditTarget.target_id]
    if query.after is not None:
        at, last_id = query.after
        conditions.append(or_(at_column < at, and_(at_column == at, id_column < last_id)))
        # The same bound once more, alone: an index range (the OR alone is no range to SQLite).
        conditions.append(at_column <= at)
    if query.since is not None:
        conditions.append(at_column >= query.since)
    if query.until is not None:
        conditions.append(at_column <= query.until)
    if query.category is not None:
        conditions.append(DirectoryAudit.category == query.category)
    if query.activity is not None:
        conditions.append(DirectoryAudit.activity_display_name == query.activity)
    if query.initiator_app_id is not None:
        conditions.append(DirectoryAudit.initiator_app_id == query.initiator_app_id)
    if query.result is not None:
        conditions.append(DirectoryAudit.result == query.result)
    statement = (
        statement.where(*conditions)
        .order_by(*order, at_column.desc(), id_column.desc())
        .limit(query.top + 1)
    )
    with database.session() as session:
        return list(session.scalars(statement))


def modified(before: dict[str, Any], after: dict[str, Any]) -> tuple[tuple[str, Any, Any], ...]:
    """The (property, old, new) of the properties whose values differ between two snapshots."""
    return tuple(
        (name, before.get(name), value)
        for name, value in after.items()
        if before.get(name) != value
    )
