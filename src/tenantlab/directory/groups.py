"""Groups: security groups and Microsoft 365 groups (membership is in `memberships.py`).

A group's kind is Graph's three flags: `groupTypes` (["Unified"] for a Microsoft 365 group),
`securityEnabled` and `mailEnabled`. What Entra refuses is refused here, in Graph's words where
scripts match on them: a mail-enabled security group or distribution list (Graph cannot create
those), a non-mail-enabled Microsoft 365 group, a changed `groupTypes`; and what tenantlab does
not model, with the reason: dynamic membership (there is no rule engine).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tenantlab.directory import audits, changes, validation
from tenantlab.directory._base import DirectoryBase
from tenantlab.directory.audits import audited
from tenantlab.directory.errors import (
    Conflict,
    NotFound,
    ServicePrincipalNotFound,
    ValidationFailed,
)
from tenantlab.directory.principals import (
    PrincipalsMixin,
    assignable_role,
    assignment_id,
    roles_of,
)
from tenantlab.ids import is_guid, new_guid, normalize_guid
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import (
    Group,
    GroupAppRoleAssignment,
    ServicePrincipal,
    TenantDomain,
)

UNIFIED = "Unified"
DYNAMIC = "DynamicMembership"
VISIBILITIES = ("Public", "Private", "HiddenMembership")
GROUP_FIELDS = (
    "display_name",
    "description",
    "mail_nickname",
    "mail_enabled",
    "security_enabled",
    "group_types",
    "visibility",
)
# Graph's mailNickname: ASCII 0-127 without these, at most 64 characters.
_NICKNAME_FORBIDDEN = frozenset('@()\\[]";:<>, ')
MAX_DESCRIPTION = 1024
MAIL_ENABLED_SECURITY = (
    "The service does not currently support writes of mail-enabled groups. Please ensure that "
    "the mail-enablement property is unset or is set to false."
)


class GroupNotFound(NotFound):
    pass


def _graph_name(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(part.capitalize() for part in rest)


def group_target(group: Group, before: dict[str, Any] | None = None) -> audits.Target:
    after = {_graph_name(name): getattr(group, name) for name in GROUP_FIELDS}
    if before is not None:
        before = {_graph_name(name): value for name, value in before.items()}
    return audits.Target(
        group.id,
        group.display_name,
        modified=audits.modified(before, after) if before is not None else (),
    )


def mail_nickname(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("mailNickname is required and must be a non-empty string")
    nickname: str = value.strip()
    if (
        len(nickname) > 64
        or any(ord(c) > 127 or c in _NICKNAME_FORBIDDEN for c in nickname)
        or not nickname.isprintable()
    ):
        raise ValidationFailed(
            "Invalid value specified for property 'mailNickname' of resource 'Group'."
        )
    return nickname


def _checked(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Values Entra accepts, whoever sets them (Graph, the CLI, a seed file)."""
    if "display_name" in fields:
        fields["display_name"] = validation.display_name(fields["display_name"])
    if "mail_nickname" in fields:
        fields["mail_nickname"] = mail_nickname(fields["mail_nickname"])
    description = fields.get("description")
    if description is not None and (
        not isinstance(description, str) or len(description) > MAX_DESCRIPTION
    ):
        raise ValidationFailed(
            f"description must be a string of at most {MAX_DESCRIPTION} characters"
        )
    for flag in ("mail_enabled", "security_enabled"):
        if flag in fields and not isinstance(fields[flag], bool):
            raise ValidationFailed(f"{_graph_name(flag)} must be true or false")
    visibility = fields.get("visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        raise ValidationFailed(
            f"visibility must be one of {', '.join(VISIBILITIES)} (got '{visibility}')"
        )
    if "group_types" in fields:
        if not creating:
            raise ValidationFailed("groupTypes cannot be changed after a group is created.")
        types = fields["group_types"] or []
        if not isinstance(types, list | tuple) or not all(isinstance(t, str) for t in types):
            raise ValidationFailed("groupTypes must be a list of strings")
        if DYNAMIC in types:
            raise ValidationFailed(
                "tenantlab does not evaluate dynamic membership rules: create an assigned group "
                "(groupTypes without 'DynamicMembership') and add its members"
            )
        unknown = [t for t in types if t != UNIFIED]
        if unknown:
            raise ValidationFailed(
                f"Invalid value specified for property 'groupTypes' of resource 'Group': "
                f"'{unknown[0]}' (use [] or ['Unified'])."
            )
        fields["group_types"] = list(dict.fromkeys(types))
    return fields


class GroupsMixin(DirectoryBase):
    # -- the groups themselves -----------------------------------------------------------------

    @audited(audits.ADD_GROUP)
    def create_group(
        self,
        /,
        *,
        tenant: str,
        display_name: str,
        mail_nickname: str,
        security_enabled: bool = True,
        mail_enabled: bool = False,
        group_types: Iterable[str] = (),
        description: str | None = None,
        visibility: str | None = None,
        group_id: str | None = None,
    ) -> Group:
        """A security group (the default) or, with groupTypes ["Unified"], a Microsoft 365
        group, which gets a mail address on the tenant's initial domain."""
        fields = _checked(
            {
                "display_name": display_name,
                "mail_nickname": mail_nickname,
                "security_enabled": security_enabled,
                "mail_enabled": mail_enabled,
                "group_types": list(group_types),
                "description": description,
                "visibility": visibility,
            },
            creating=True,
        )
        unified = UNIFIED in fields["group_types"]
        if fields["mail_enabled"] and not unified:
            raise ValidationFailed(MAIL_ENABLED_SECURITY)
        if unified and not fields["mail_enabled"]:
            raise ValidationFailed(
                "Invalid value specified for property 'mailEnabled' of resource 'Group': a "
                "Microsoft 365 group (groupTypes ['Unified']) is mail-enabled."
            )
        if not unified and fields["visibility"] is not None:
            raise ValidationFailed("visibility can only be set on Microsoft 365 groups")
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            mail = None
            if unified:
                domain = session.scalar(
                    select(TenantDomain.name).where(
                        TenantDomain.tenant_id == t.id, TenantDomain.is_initial.is_(True)
                    )
                )
                mail = f"{fields['mail_nickname']}@{domain}"
                taken = session.scalar(
                    select(Group.id).where(
                        Group.tenant_id == t.id, func.lower(Group.mail) == mail.lower()
                    )
                )
                if taken is not None:
                    raise Conflict(
                        "Another object with the same value for property proxyAddresses already "
                        "exists."
                    )
            group = Group(
                id=normalize_guid(group_id) if group_id else new_guid(),
                tenant_id=t.id,
                mail=mail,
                created_at=self.clock.now(),
                visibility=fields.pop("visibility") or ("Public" if unified else None),
                **fields,
            )
            session.add(group)
            session.flush()
            self._audit(session, audits.ADD_GROUP, t.id, group_target(group))
            bump_revision(session)
            self._changed(session, "groups", group, changes.CREATED)
        return group

    def _group(self, session: Session, tenant_id: str, key: str) -> Group:
        """A group of the tenant by object id, or by its (unique) display name or mailNickname."""
        if is_guid(key):
            group = session.get(Group, normalize_guid(key))
            if group is not None and group.tenant_id == tenant_id:
                return group
            raise GroupNotFound(f"no group '{key}' in this tenant")
        matches = list(
            session.scalars(
                select(Group).where(
                    Group.tenant_id == tenant_id,
                    (func.lower(Group.display_name) == key.lower())
                    | (func.lower(Group.mail_nickname) == key.lower()),
                )
            )
        )
        if len(matches) > 1:
            ids = ", ".join(sorted(g.id for g in matches))
            raise GroupNotFound(
                f"{len(matches)} groups are named '{key}' (ids {ids}): use the id of the one "
                "you mean"
            )
        if not matches:
            raise GroupNotFound(
                f"no group '{key}' in this tenant (list them with `tenantlab group list`)"
            )
        return matches[0]

    def get_group(self, *, tenant: str, key: str) -> Group:
        with self.db.session() as session:
            return self._group(session, self._tenant(session, tenant).id, key)

    def list_groups(self, *, tenant: str) -> list[Group]:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            return list(
                session.scalars(
                    select(Group)
                    .where(Group.tenant_id == t.id)
                    .order_by(Group.display_name, Group.id)
                )
            )

    @audited(audits.UPDATE_GROUP)
    def update_group(self, /, *, tenant: str, key: str, **fields: Any) -> Group:
        unknown = set(fields) - set(GROUP_FIELDS)
        if unknown:
            raise ValidationFailed(f"unknown group property '{sorted(unknown)[0]}'")
        fields = _checked(dict(fields), creating=False)
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            group = self._group(session, t.id, key)
            unified = UNIFIED in group.group_types
            if fields.get("mail_enabled") is True and not unified:
                raise ValidationFailed(MAIL_ENABLED_SECURITY)
            if "visibility" in fields and not unified:
                raise ValidationFailed("visibility can only be set on Microsoft 365 groups")
            before = {name: getattr(group, name) for name in GROUP_FIELDS}
            for name, value in fields.items():
                setattr(group, name, value)
            if before != {name: getattr(group, name) for name in GROUP_FIELDS}:
                self._audit(session, audits.UPDATE_GROUP, t.id, group_target(group, before))
                bump_revision(session)
                changed = [
                    _graph_name(name)
                    for name in GROUP_FIELDS
                    if getattr(group, name) != before[name]
                ]
                self._changed(session, "groups", group, changes.UPDATED, changed)
            return group

    @audited(audits.DELETE_GROUP)
    def delete_group(self, *, tenant: str, key: str) -> None:
        """The group goes, and with it every membership it held or had (cascades)."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            group = self._group(session, t.id, key)
            self._audit(session, audits.DELETE_GROUP, t.id, group_target(group))
            session.execute(delete(Group).where(Group.id == group.id))
            bump_revision(session)
            self._changed(session, "groups", group, changes.DELETED)

    # -- app roles assigned to groups ----------------------------------------------------------

    @audited(audits.ADD_GROUP_APP_ROLE)
    def assign_app_role_to_group(
        self, *, tenant: str, group: str, resource: str, role: str
    ) -> GroupAppRoleAssignment:
        """Assign one of `resource`'s app roles (allowed for users) to a group: its direct
        members' delegated tokens for that resource carry the role. Idempotent."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._group(session, t.id, group)
            resource_sp = _resource(session, t.id, resource)
            chosen = assignable_role(
                session, resource_sp, role, member_type="User", to="assigned to a group"
            )
            existing = session.scalar(
                select(GroupAppRoleAssignment).where(
                    GroupAppRoleAssignment.group_id == found.id,
                    GroupAppRoleAssignment.resource_id == resource_sp.id,
                    GroupAppRoleAssignment.app_role_id == chosen["id"],
                )
            )
            if existing is not None:
                return existing
            assignment = GroupAppRoleAssignment(
                id=assignment_id(found.id),
                tenant_id=t.id,
                group_id=found.id,
                resource_id=resource_sp.id,
                app_role_id=chosen["id"],
                created_at=self.clock.now(),
            )
            session.add(assignment)
            self._audit_group_role(session, audits.ADD_GROUP_APP_ROLE, found, resource_sp, chosen)
            bump_revision(session)
            return assignment

    @audited(audits.REMOVE_GROUP_APP_ROLE)
    def remove_group_app_role(self, *, tenant: str, group: str, assignment: str) -> None:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._group(session, t.id, group)
            row = session.get(GroupAppRoleAssignment, assignment)
            if row is None or row.group_id != found.id:
                raise NotFound(f"no app role assignment {assignment} on group {found.id}")
            resource_sp = session.get(ServicePrincipal, row.resource_id)
            if resource_sp is not None:
                role = next(
                    (r for r in roles_of(session, resource_sp) if r["id"] == row.app_role_id),
                    {"id": row.app_role_id},
                )
                self._audit_group_role(
                    session, audits.REMOVE_GROUP_APP_ROLE, found, resource_sp, role
                )
            session.delete(row)
            bump_revision(session)

    def group_app_role_assignments(
        self, *, tenant: str, group: str
    ) -> list[tuple[GroupAppRoleAssignment, Group, ServicePrincipal]]:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._group(session, t.id, group)
            rows = session.execute(
                select(GroupAppRoleAssignment, ServicePrincipal)
                .join(ServicePrincipal, ServicePrincipal.id == GroupAppRoleAssignment.resource_id)
                .where(GroupAppRoleAssignment.group_id == found.id)
                .order_by(GroupAppRoleAssignment.created_at, GroupAppRoleAssignment.id)
            ).all()
            return [(assignment, found, sp) for assignment, sp in rows]

    def _audit_group_role(
        self,
        session: Session,
        activity: audits.Activity,
        group: Group,
        resource_sp: ServicePrincipal,
        role: dict[str, Any],
    ) -> None:
        adding = activity.operation_type == "Assign"
        pairs = (("AppRole.Id", role.get("id")), ("AppRole.Value", role.get("value")))
        self._audit(
            session,
            activity,
            group.tenant_id,
            audits.Target(
                group.id,
                group.display_name,
                modified=tuple((n, None, v) if adding else (n, v, None) for n, v in pairs),
            ),
            audits.Target(resource_sp.id, resource_sp.display_name, type="ServicePrincipal"),
            details={"ResourceAppId": resource_sp.app_id},
        )


def _resource(session: Session, tenant_id: str, key: str) -> ServicePrincipal:
    sp = PrincipalsMixin._resource_principal(session, tenant_id, key)
    if sp is None:
        raise ServicePrincipalNotFound(
            f"no resource '{key}' in this tenant (use its appId or identifierUri)"
        )
    return sp
