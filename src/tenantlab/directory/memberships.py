"""Who is in which group: members (users, service principals, nested groups) and owners.

Only direct edges are stored (`group_members`, `group_owners`); each row repeats the object's id
in a typed, foreign-keyed column, so deleting a user, a service principal or a group by any path
(cascades included) removes its memberships. Transitive membership is walked breadth-first, one
query per nesting level, with a visited set: a cycle (A in B, B in A, which Entra allows) ends
the walk. A group as its own member, or nested in a Microsoft 365 group, is refused as Entra
refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantlab.directory import audits, changes
from tenantlab.directory.audits import audited
from tenantlab.directory.errors import Conflict, NotFound, ValidationFailed
from tenantlab.directory.groups import UNIFIED, GroupNotFound, GroupsMixin
from tenantlab.ids import is_guid, normalize_guid
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import (
    Group,
    GroupMember,
    GroupOwner,
    ServicePrincipal,
    TenantDomain,
    User,
)

USER, SERVICE_PRINCIPAL, GROUP = "user", "servicePrincipal", "group"
SELF_MEMBER = "A group cannot be added as a member of itself."
NESTED_UNIFIED = "Nesting of groups within a Microsoft 365 group is not supported."
ALREADY_MEMBER = (
    "One or more added object references already exist for the following modified "
    "properties: 'members'."
)
ALREADY_OWNER = (
    "One or more added object references already exist for the following modified "
    "properties: 'owners'."
)


class DirectoryObjectNotFound(NotFound):
    """A member or owner that is no user, service principal or group of the tenant."""


@dataclass(frozen=True)
class DirectoryObject:
    """A member or owner: Graph's type (user, servicePrincipal, group) and its row."""

    kind: str
    row: User | ServicePrincipal | Group

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def display_name(self) -> str:
        return self.row.display_name

    def target(self) -> audits.Target:
        upn = self.row.user_principal_name if isinstance(self.row, User) else None
        kind = {USER: "User", SERVICE_PRINCIPAL: "ServicePrincipal", GROUP: "Group"}[self.kind]
        return audits.Target(self.id, self.display_name, type=kind, user_principal_name=upn)


def _check_new_edge(group: Group, obj: DirectoryObject, *, owner: bool) -> None:
    if obj.kind != GROUP:
        return
    if owner:
        raise ValidationFailed("A group's owners are users or service principals.")
    if obj.id == group.id:
        raise ValidationFailed(SELF_MEMBER)
    if UNIFIED in group.group_types:
        raise ValidationFailed(NESTED_UNIFIED)


def _edge_columns(obj: DirectoryObject, owner: bool) -> dict[str, Any]:
    """The edge's columns for `obj`: its id and kind, and its id again in its kind's column."""
    role = "owner" if owner else "member"
    columns = {
        f"{role}_id": obj.id,
        f"{role}_type": obj.kind,
        "user_id": obj.id if obj.kind == USER else None,
        "service_principal_id": obj.id if obj.kind == SERVICE_PRINCIPAL else None,
    }
    if not owner:
        columns["member_group_id"] = obj.id if obj.kind == GROUP else None
    return columns


class MembershipsMixin(GroupsMixin):
    # -- members and owners --------------------------------------------------------------------

    def _directory_object(self, session: Session, tenant_id: str, key: str) -> DirectoryObject:
        """A user, service principal or group of the tenant: by object id; for the CLI and seed
        files also by userPrincipalName (or its alias on the initial domain), a group's or
        service principal's name, or an appId."""
        if is_guid(key):
            guid = normalize_guid(key)
            rows = (
                (USER, session.get(User, guid)),
                (SERVICE_PRINCIPAL, session.get(ServicePrincipal, guid)),
                (GROUP, session.get(Group, guid)),
            )
            for kind, row in rows:
                if row is not None and row.tenant_id == tenant_id:
                    return DirectoryObject(kind, row)
            sp = session.scalar(
                select(ServicePrincipal).where(
                    ServicePrincipal.tenant_id == tenant_id, ServicePrincipal.app_id == guid
                )
            )
            if sp is not None:
                return DirectoryObject(SERVICE_PRINCIPAL, sp)
        elif "@" in key:
            user = session.scalar(
                select(User).where(User.tenant_id == tenant_id, User.upn_key == key.lower())
            )
            if user is not None:
                return DirectoryObject(USER, user)
        else:
            try:
                return DirectoryObject(GROUP, self._group(session, tenant_id, key))
            except GroupNotFound:
                pass
            sps = list(
                session.scalars(
                    select(ServicePrincipal).where(
                        ServicePrincipal.tenant_id == tenant_id,
                        func.lower(ServicePrincipal.display_name) == key.lower(),
                    )
                )
            )
            if len(sps) == 1:
                return DirectoryObject(SERVICE_PRINCIPAL, sps[0])
            # `adele`: adele@{the tenant's initial domain}, as the CLI and seed files write it.
            domain = session.scalar(
                select(TenantDomain.name).where(
                    TenantDomain.tenant_id == tenant_id, TenantDomain.is_initial.is_(True)
                )
            )
            user = session.scalar(
                select(User).where(
                    User.tenant_id == tenant_id, User.upn_key == f"{key}@{domain}".lower()
                )
            )
            if user is not None:
                return DirectoryObject(USER, user)
        raise DirectoryObjectNotFound(
            f"Resource '{key}' does not exist or one of its queried reference-property objects "
            "are not present."
        )

    def get_directory_object(self, *, tenant: str, key: str) -> DirectoryObject:
        with self.db.session() as session:
            return self._directory_object(session, self._tenant(session, tenant).id, key)

    @audited(audits.ADD_MEMBER)
    def add_group_member(self, *, tenant: str, group: str, member: str) -> DirectoryObject:
        return self._change_edge(tenant, group, member, audits.ADD_MEMBER, owner=False)

    @audited(audits.REMOVE_MEMBER)
    def remove_group_member(self, *, tenant: str, group: str, member: str) -> None:
        self._change_edge(tenant, group, member, audits.REMOVE_MEMBER, owner=False)

    @audited(audits.ADD_OWNER)
    def add_group_owner(self, *, tenant: str, group: str, owner: str) -> DirectoryObject:
        return self._change_edge(tenant, group, owner, audits.ADD_OWNER, owner=True)

    @audited(audits.REMOVE_OWNER)
    def remove_group_owner(self, *, tenant: str, group: str, owner: str) -> None:
        self._change_edge(tenant, group, owner, audits.REMOVE_OWNER, owner=True)

    def _change_edge(
        self, tenant: str, group: str, key: str, activity: audits.Activity, *, owner: bool
    ) -> DirectoryObject:
        """Add (activity Assign) or remove one member or owner edge, audited."""
        model: type[GroupMember | GroupOwner] = GroupOwner if owner else GroupMember
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._group(session, t.id, group)
            obj = self._directory_object(session, t.id, key)
            edge = session.get(model, (found.id, obj.id))
            if activity.operation_type == "Assign":
                _check_new_edge(found, obj, owner=owner)
                if edge is not None:
                    raise Conflict(ALREADY_OWNER if owner else ALREADY_MEMBER)
                session.add(model(group_id=found.id, tenant_id=t.id, **_edge_columns(obj, owner)))
            else:
                if edge is None:
                    role = "an owner" if owner else "a member"
                    raise DirectoryObjectNotFound(
                        f"'{obj.display_name}' ({obj.id}) is not {role} of group "
                        f"'{found.display_name}'."
                    )
                session.delete(edge)
            self._audit_edge(session, activity, found, obj)
            bump_revision(session)
            if not owner:  # `members@delta` of `/groups/delta`: the group changed, and how
                adding = activity.operation_type == "Assign"
                self._changed(session, "groups", found, changes.UPDATED, ["members"])
                changes.record(
                    session,
                    tenant_id=t.id,
                    kind=changes.GROUP_MEMBERS,
                    object_id=found.id,
                    change=changes.CREATED if adding else changes.DELETED,
                    at=self.clock.now(),
                    properties=[obj.id, obj.kind],
                )
            return obj

    def _audit_edge(
        self, session: Session, activity: audits.Activity, group: Group, obj: DirectoryObject
    ) -> None:
        """As Entra records it: the member (or owner) with the group's id and name as modified
        properties, then the group."""
        adding = activity.operation_type == "Assign"
        target = obj.target()
        pairs = (("Group.ObjectID", group.id), ("Group.DisplayName", group.display_name))
        modified = tuple((n, None, v) if adding else (n, v, None) for n, v in pairs)
        self._audit(
            session,
            activity,
            group.tenant_id,
            audits.Target(
                target.id,
                target.display_name,
                type=target.type,
                user_principal_name=target.user_principal_name,
                modified=modified,
            ),
            audits.Target(group.id, group.display_name),
        )

    def _objects(self, session: Session, edges: Iterable[tuple[str, str]]) -> list[DirectoryObject]:
        """Rows for (kind, id) pairs, in the order given (missing ones skipped)."""
        models: dict[str, Any] = {USER: User, SERVICE_PRINCIPAL: ServicePrincipal, GROUP: Group}
        found = []
        for kind, object_id in edges:
            row = session.get(models[kind], object_id)
            if row is not None:
                found.append(DirectoryObject(kind, row))
        return found

    def group_members(self, *, tenant: str, group: str) -> list[DirectoryObject]:
        """Direct members, by object id."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._group(session, t.id, group)
            edges = session.execute(
                select(GroupMember.member_type, GroupMember.member_id)
                .where(GroupMember.group_id == found.id)
                .order_by(GroupMember.member_id)
            )
            return self._objects(session, ((k, i) for k, i in edges))

    def group_owners(self, *, tenant: str, group: str) -> list[DirectoryObject]:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._group(session, t.id, group)
            edges = session.execute(
                select(GroupOwner.owner_type, GroupOwner.owner_id)
                .where(GroupOwner.group_id == found.id)
                .order_by(GroupOwner.owner_id)
            )
            return self._objects(session, ((k, i) for k, i in edges))

    def transitive_group_members(self, *, tenant: str, group: str) -> list[DirectoryObject]:
        """Every member reached through nested groups (nested groups included), each once."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            start = self._group(session, t.id, group)
            seen: dict[str, str] = {}
            frontier = [start.id]
            while frontier:
                rows = session.execute(
                    select(GroupMember.member_type, GroupMember.member_id).where(
                        GroupMember.group_id.in_(frontier)
                    )
                ).all()
                frontier = []
                for kind, member_id in rows:
                    if member_id in seen or member_id == start.id:
                        continue
                    seen[member_id] = kind
                    if kind == GROUP:
                        frontier.append(member_id)
            return self._objects(session, ((seen[i], i) for i in sorted(seen)))

    # -- what an object is a member of ---------------------------------------------------------

    def member_of(self, *, tenant: str, key: str) -> list[Group]:
        """The groups `key` (a user, service principal or group) is a direct member of."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            obj = self._directory_object(session, t.id, key)
            return list(
                session.scalars(
                    select(Group)
                    .join(GroupMember, GroupMember.group_id == Group.id)
                    .where(GroupMember.member_id == obj.id)
                    .order_by(Group.id)
                )
            )

    def transitive_member_of(self, *, tenant: str, key: str) -> list[Group]:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            obj = self._directory_object(session, t.id, key)
            ids = self.transitive_group_ids(session, obj.id)
            if not ids:
                return []
            return list(session.scalars(select(Group).where(Group.id.in_(ids)).order_by(Group.id)))

    @staticmethod
    def transitive_group_ids(session: Session, object_id: str) -> set[str]:
        """Ids of every group `object_id` is in, directly or through nested groups.

        One query per nesting level (the member index is (member_id, group_id)), cycle-safe.
        """
        found: set[str] = set()
        frontier = [object_id]
        while frontier:
            parents = session.scalars(
                select(GroupMember.group_id).where(GroupMember.member_id.in_(frontier))
            ).all()
            frontier = [g for g in dict.fromkeys(parents) if g not in found and g != object_id]
            found.update(frontier)
        return found

    def direct_group_ids(self, object_id: str) -> list[str]:
        """The groups an object is directly in (one index range; for the token service)."""
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(GroupMember.group_id).where(GroupMember.member_id == object_id)
                )
            )

    def member_group_ids(
        self, *, tenant: str, key: str, security_enabled_only: bool = False
    ) -> list[str]:
        """Graph's getMemberGroups: ids of the groups `key` is in, transitively."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            obj = self._directory_object(session, t.id, key)
            ids = self.transitive_group_ids(session, obj.id)
            if security_enabled_only and ids:
                ids = set(
                    session.scalars(
                        select(Group.id).where(Group.id.in_(ids), Group.security_enabled.is_(True))
                    )
                )
            return sorted(ids)

    def check_member_groups(self, *, tenant: str, key: str, group_ids: list[str]) -> list[str]:
        """Graph's checkMemberGroups: which of `group_ids` `key` is in, transitively."""
        wanted = {normalize_guid(g) for g in group_ids}
        return [g for g in self.member_group_ids(tenant=tenant, key=key) if g in wanted]
