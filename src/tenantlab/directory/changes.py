"""The change log behind Graph's delta queries: what changed on which object, by revision.

A delta round is a window of directory revisions: the client's token names the revision it has
seen (`low`), the round reads up to the revision current when it starts (`high`). Every write to
an object that delta tracks adds a `DirectoryChange` in its own transaction, after
`bump_revision`, so the row carries the revision that transaction commits (revisions are handed
out under the `directory_state` row lock: no change can appear later below a revision a reader
has already seen, on SQLite or PostgreSQL). Because the log lives in the database, a delta token
is good on every node and after a restart for as long as the log keeps its window
(`RETENTION_SECONDS`, past Graph's seven-day token lifetime).

What a window means for one object (`ObjectChange`): created in it and deleted in it is nothing
(the client never saw it); created in it is an addition (every property); deleted at its end is
a removal; anything else is an update of the union of the properties its updates named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tenantlab.directory._base import DirectoryBase
from tenantlab.storage.database import current_revision
from tenantlab.storage.schema import DirectoryChange, GroupMember

CREATED, UPDATED, DELETED = "created", "updated", "deleted"
# Member edges of a group (object_id: the group; properties: [member id, member kind]; change:
# created or deleted), for `members@delta`.
GROUP_MEMBERS = "group_members"
# Graph's delta tokens for directory objects live seven days; the log keeps a day more.
TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600
RETENTION_SECONDS = TOKEN_LIFETIME_SECONDS + 24 * 3600
_PRUNE_EVERY = 512  # revisions between two prunes (a prune is one indexed DELETE)


def record(
    session: Session,
    *,
    tenant_id: str,
    kind: str,
    object_id: str,
    change: str,
    at: float,
    properties: Sequence[str] | None = None,
) -> None:
    """Log one change in the caller's transaction; call it after `bump_revision`."""
    revision = current_revision(session)
    session.add(
        DirectoryChange(
            tenant_id=tenant_id,
            kind=kind,
            object_id=object_id,
            revision=revision,
            change=change,
            properties=list(properties) if properties is not None else None,
            changed_at=at,
        )
    )
    if revision % _PRUNE_EVERY == 0:
        session.execute(
            delete(DirectoryChange).where(DirectoryChange.changed_at < at - RETENTION_SECONDS)
        )


@dataclass(frozen=True)
class ObjectChange:
    object_id: str
    outcome: str  # "added" | "updated" | "removed"
    properties: frozenset[str]  # what updates named (empty for additions and removals)


@dataclass(frozen=True)
class ChangePage:
    changes: list[ObjectChange]
    next_after: str | None  # the last object id of this page when more follow


class ChangesMixin(DirectoryBase):
    def change_watermark(self) -> int:
        """The revision a delta round reads up to (every change at or below it is committed)."""
        return self.revision()

    def changed_objects(
        self,
        *,
        tenant_id: str,
        kind: str,
        low: int,
        high: int,
        after: str | None,
        limit: int,
        ids: Sequence[str] | None = None,
    ) -> ChangePage:
        """One page of the objects changed in revisions (low, high], by object id."""
        window = [
            DirectoryChange.tenant_id == tenant_id,
            DirectoryChange.kind == kind,
            DirectoryChange.revision > low,
            DirectoryChange.revision <= high,
        ]
        if ids is not None:
            window.append(DirectoryChange.object_id.in_(list(ids)))
        keyed = [*window, DirectoryChange.object_id > after] if after else window
        with self.db.engine.connect() as connection:
            page_ids = list(
                connection.scalars(
                    select(DirectoryChange.object_id)
                    .where(*keyed)
                    .group_by(DirectoryChange.object_id)
                    .order_by(DirectoryChange.object_id)
                    .limit(limit + 1)
                )
            )
            more = len(page_ids) > limit
            page_ids = page_ids[:limit]
            rows = connection.execute(
                select(
                    DirectoryChange.object_id,
                    DirectoryChange.change,
                    DirectoryChange.properties,
                )
                .where(*window, DirectoryChange.object_id.in_(page_ids))
                .order_by(DirectoryChange.revision, DirectoryChange.id)
            ).all()
        history: dict[str, list[tuple[str, list[str] | None]]] = {i: [] for i in page_ids}
        for object_id, change, properties in rows:
            history[object_id].append((change, properties))
        changes = [c for i in page_ids if (c := _summary(i, history[i])) is not None]
        return ChangePage(changes, page_ids[-1] if more and page_ids else None)

    def member_changes(
        self, *, tenant_id: str, group_ids: Sequence[str], low: int, high: int
    ) -> dict[str, list[tuple[str, str, bool]]]:
        """Per group, its members added (True) or removed (False) in revisions (low, high],
        the last word for each member: (member id, member kind, is a member now)."""
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                select(
                    DirectoryChange.object_id, DirectoryChange.change, DirectoryChange.properties
                )
                .where(
                    DirectoryChange.tenant_id == tenant_id,
                    DirectoryChange.kind == GROUP_MEMBERS,
                    DirectoryChange.revision > low,
                    DirectoryChange.revision <= high,
                    DirectoryChange.object_id.in_(list(group_ids)),
                )
                .order_by(DirectoryChange.revision, DirectoryChange.id)
            ).all()
        net: dict[str, dict[str, tuple[str, str, bool]]] = {}
        for group_id, change, properties in rows:
            member_id, member_kind = properties
            net.setdefault(group_id, {})[member_id] = (member_id, member_kind, change == CREATED)
        return {group_id: list(members.values()) for group_id, members in net.items()}

    def members_of_groups(self, *, group_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """Per group, its direct members now: (member id, member kind), by id."""
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                select(GroupMember.group_id, GroupMember.member_id, GroupMember.member_type)
                .where(GroupMember.group_id.in_(list(group_ids)))
                .order_by(GroupMember.group_id, GroupMember.member_id)
            ).all()
        members: dict[str, list[tuple[str, str]]] = {}
        for group_id, member_id, member_kind in rows:
            members.setdefault(group_id, []).append((member_id, member_kind))
        return members


def _summary(object_id: str, history: list[tuple[str, list[str] | None]]) -> ObjectChange | None:
    if not history:
        return None
    first, last = history[0][0], history[-1][0]
    if last == DELETED:
        return None if first == CREATED else ObjectChange(object_id, "removed", frozenset())
    if first == CREATED:
        return ObjectChange(object_id, "added", frozenset())
    if any(change == CREATED for change, _ in history):  # deleted, then made again with its id
        return ObjectChange(object_id, "added", frozenset())
    named = frozenset(p for change, props in history if change == UPDATED for p in props or ())
    return ObjectChange(object_id, "updated", named)
