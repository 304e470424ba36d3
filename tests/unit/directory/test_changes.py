"""The change log behind delta queries, on SQLite and PostgreSQL: windows of revisions."""

from __future__ import annotations

from sqlalchemy import func, select

from tenantlab.clock import FixedClock
from tenantlab.directory import Directory
from tenantlab.directory.changes import RETENTION_SECONDS
from tenantlab.storage.schema import DirectoryChange, Tenant

DOMAIN = "contoso.onmicrosoft.com"


def outcomes(directory: Directory, tenant: Tenant, kind: str, low: int) -> dict[str, tuple]:
    page = directory.changed_objects(
        tenant_id=tenant.id, kind=kind, low=low, high=directory.change_watermark(),
        after=None, limit=100,
    )  # fmt: skip
    return {c.object_id: (c.outcome, sorted(c.properties)) for c in page.changes}


def test_a_window_summarises_each_object(directory: Directory, contoso: Tenant) -> None:
    kept = directory.create_user(
        tenant=contoso.id, user_principal_name=f"kept@{DOMAIN}", display_name="Kept"
    )
    gone = directory.create_user(
        tenant=contoso.id, user_principal_name=f"gone@{DOMAIN}", display_name="Gone"
    )
    low = directory.change_watermark()
    directory.update_user(tenant=contoso.id, key=kept.id, job_title="Pilot")
    directory.update_user(tenant=contoso.id, key=kept.id, city="Oslo", job_title="Pilot")
    directory.update_user(tenant=contoso.id, key=kept.id, password="N3w-passw0rd!x")
    directory.delete_user(tenant=contoso.id, key=gone.id)
    new = directory.create_user(
        tenant=contoso.id, user_principal_name=f"new@{DOMAIN}", display_name="New"
    )
    brief = directory.create_user(
        tenant=contoso.id, user_principal_name=f"brief@{DOMAIN}", display_name="Brief"
    )
    directory.delete_user(tenant=contoso.id, key=brief.id)
    assert outcomes(directory, contoso, "users", low) == {
        kept.id: ("updated", ["city", "jobTitle"]),
        gone.id: ("removed", []),
        new.id: ("added", []),
    }
    assert outcomes(directory, contoso, "users", directory.change_watermark()) == {}


def test_member_edges_net_per_member(directory: Directory, contoso: Tenant) -> None:
    ann = directory.create_user(
        tenant=contoso.id, user_principal_name=f"ann@{DOMAIN}", display_name="Ann"
    )
    ben = directory.create_user(
        tenant=contoso.id, user_principal_name=f"ben@{DOMAIN}", display_name="Ben"
    )
    group = directory.create_group(tenant=contoso.id, display_name="Crew", mail_nickname="crew")
    directory.add_group_member(tenant=contoso.id, group=group.id, member=ann.id)
    low = directory.change_watermark()
    directory.add_group_member(tenant=contoso.id, group=group.id, member=ben.id)
    directory.remove_group_member(tenant=contoso.id, group=group.id, member=ann.id)
    assert outcomes(directory, contoso, "groups", low) == {group.id: ("updated", ["members"])}
    edges = directory.member_changes(
        tenant_id=contoso.id, group_ids=[group.id], low=low, high=directory.change_watermark()
    )
    assert sorted(edges[group.id]) == sorted([(ben.id, "user", True), (ann.id, "user", False)])
    assert directory.members_of_groups(group_ids=[group.id]) == {group.id: [(ben.id, "user")]}


def test_the_log_is_pruned_past_its_retention(
    directory: Directory, contoso: Tenant, clock: FixedClock
) -> None:
    directory.create_user(tenant=contoso.id, user_principal_name=f"old@{DOMAIN}", display_name="O")
    clock.advance(RETENTION_SECONDS + 60)
    for i in range(600):  # a prune runs every 512 revisions
        directory.update_user(tenant=contoso.id, key=f"old@{DOMAIN}", job_title=f"t{i}")
    with directory.db.session() as session:
        oldest = session.scalar(select(func.min(DirectoryChange.changed_at)))
    assert oldest is not None
    assert oldest >= clock.now() - RETENTION_SECONDS
