"""Directory audits: one record per change, in the change's transaction, naming the initiator."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tenantlab.clock import FixedClock
from tenantlab.directory import CredentialNotFound, Directory
from tenantlab.directory import audits as audit_log
from tenantlab.directory.audits import CLI, AuditQuery, Initiator, acting_as, list_audits
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.platform import Platform
from tenantlab.storage.schema import DirectoryAudit, DirectoryAuditTarget, Tenant

SECRET_NAME = "ci"


def _audits(platform: Platform, tenant: Tenant, **filters: object) -> list[DirectoryAudit]:
    return list_audits(platform.database, AuditQuery(tenant_id=tenant.id, top=1000, **filters))  # type: ignore[arg-type]


def test_a_secret_added_through_the_cli_is_one_record_naming_the_cli(
    platform: Platform, directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    with acting_as(CLI, "0f6a2b5e-1d7c-4a55-9a0e-111111111111"):
        new = directory.add_password(tenant=contoso.id, app=app.app_id, display_name=SECRET_NAME)
    (record,) = _audits(
        platform, contoso, activity=audit_log.CREDENTIALS.display_name, target_id=app.id
    )
    assert record.result == "success"
    assert record.category == "ApplicationManagement"
    assert record.operation_type == "Update"
    assert record.correlation_id == "0f6a2b5e-1d7c-4a55-9a0e-111111111111"
    assert record.initiated_by == {
        "app": {
            "appId": None,
            "displayName": "tenantlab CLI",
            "servicePrincipalId": None,
            "servicePrincipalName": None,
        },
        "user": None,
    }
    (target,) = record.target_resources
    assert target["id"] == app.id
    assert target["displayName"] == "Daemon"
    assert target["type"] == "Application"
    (change,) = target["modifiedProperties"]
    assert change["displayName"] == "KeyDescription"
    described = json.loads(change["newValue"])[0]
    assert f"KeyIdentifier={new.credential.key_id}" in described
    assert f"Hint={new.secret_text[:3]}" in described
    assert new.secret_text not in json.dumps(
        [record.target_resources, record.additional_details, record.initiated_by]
    )


def test_a_graph_caller_is_named_by_its_service_principal(
    platform: Platform, directory: Directory, contoso: Tenant
) -> None:
    caller = directory.create_application(tenant=contoso.id, display_name="Provisioner")
    sp = directory.get_service_principal(tenant=contoso.id, key=caller.app_id)
    with acting_as(Initiator.app(app_id=caller.app_id, service_principal_id=sp.id)):
        made = directory.create_user(
            tenant=contoso.id,
            user_principal_name="adele@contoso.onmicrosoft.com",
            display_name="Adele",
            password="Passw0rd!Passw0rd",
        )
    (record,) = _audits(platform, contoso, activity="Add user")
    assert record.initiated_by["app"] == {
        "appId": caller.app_id,
        "displayName": "Provisioner",
        "servicePrincipalId": sp.id,
        "servicePrincipalName": None,
    }
    assert record.initiator_app_id == caller.app_id
    assert record.target_resources[0]["userPrincipalName"] == made.user_principal_name
    assert [r.id for r in _audits(platform, contoso, initiator_app_id=caller.app_id)] == [record.id]


def test_the_portal_administrator_is_a_user_initiator(
    platform: Platform, directory: Directory, contoso: Tenant, clock: FixedClock
) -> None:
    clock.advance(1)  # after the tenant's own records
    with acting_as(Initiator.administrator("admin", "127.0.0.1")):
        directory.create_application(tenant=contoso.id, display_name="From the portal")
    added = _audits(platform, contoso, activity="Add application")[0]  # the newest
    assert added.initiated_by["app"] is None
    assert added.initiated_by["user"]["userPrincipalName"] == "admin"
    assert added.initiated_by["user"]["ipAddress"] == "127.0.0.1"
    # Registering an app makes its service principal too: two records, one correlation id.
    sp_added = _audits(platform, contoso, activity="Add service principal")[0]
    assert sp_added.target_resources[0]["displayName"] == "From the portal"
    assert sp_added.correlation_id == added.correlation_id


def test_a_refused_change_is_one_failure_and_no_success(
    platform: Platform, directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    with pytest.raises(CredentialNotFound):
        directory.remove_password(
            tenant=contoso.id, app=app.app_id, key_id="00000000-0000-0000-0000-000000000000"
        )
    (record,) = _audits(platform, contoso, result="failure")
    assert record.activity_display_name == audit_log.CREDENTIALS.display_name
    assert "no password credential" in record.result_reason


def test_a_change_that_rolls_back_leaves_no_record(
    platform: Platform, directory: Directory, contoso: Tenant
) -> None:
    """The record is in the change's transaction: a dry run (rolled back) leaves neither."""
    before = [r.id for r in _audits(platform, contoso)]
    with platform.database.transaction(commit=False):
        directory.create_application(tenant=contoso.id, display_name="Dry run")
    assert [r.id for r in _audits(platform, contoso)] == before


def test_records_page_by_keyset_and_filter_by_target(
    platform: Platform, directory: Directory, contoso: Tenant, clock: FixedClock
) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    for index in range(3):
        clock.advance(1)
        directory.add_password(tenant=contoso.id, app=app.app_id, display_name=f"s{index}")
    clock.advance(1)
    directory.grant_app_role(
        tenant=contoso.id, client=app.app_id, resource=MICROSOFT_GRAPH_APP_ID, role="User.Read.All"
    )
    on_app = _audits(platform, contoso, target_id=app.id)
    assert [r.activity_display_name for r in on_app] == [audit_log.CREDENTIALS.display_name] * 3 + [
        "Add application"
    ]
    first = list_audits(platform.database, AuditQuery(tenant_id=contoso.id, top=2))
    assert len(first) == 3  # top + 1: more exist
    assert first[0].activity_display_name == "Add app role assignment to service principal"
    after = (first[1].activity_at, first[1].id)
    rest = list_audits(platform.database, AuditQuery(tenant_id=contoso.id, top=1000, after=after))
    everything = _audits(platform, contoso)
    assert [r.id for r in first[:2] + rest] == [r.id for r in everything]
    assignment = first[0]
    graph_sp = directory.get_service_principal(tenant=contoso.id, key=MICROSOFT_GRAPH_APP_ID)
    assert assignment.target_resources[0]["id"] == graph_sp.id
    with platform.database.session() as session:
        named = session.scalars(
            select(DirectoryAuditTarget.target_id).where(
                DirectoryAuditTarget.audit_id == assignment.id
            )
        ).all()
    assert graph_sp.id in named


def test_a_password_reset_records_that_it_changed_never_what(
    platform: Platform, directory: Directory, contoso: Tenant
) -> None:
    user = directory.create_user(
        tenant=contoso.id,
        user_principal_name="megan@contoso.onmicrosoft.com",
        display_name="Megan",
        password="First-Passw0rd!",
    )
    directory.update_user(
        tenant=contoso.id, key=user.id, password="Second-Passw0rd!", job_title="Engineer"
    )
    (reset,) = _audits(platform, contoso, activity="Reset user password")
    (updated,) = _audits(platform, contoso, activity="Update user")
    assert reset.target_resources[0]["modifiedProperties"] == []
    assert updated.target_resources[0]["modifiedProperties"] == [
        {"displayName": "jobTitle", "oldValue": None, "newValue": '["Engineer"]'}
    ]
    with platform.database.session() as session:
        stored = json.dumps(
            [
                [getattr(r, c.name) for c in DirectoryAudit.__table__.columns]
                for r in session.scalars(select(DirectoryAudit))
            ]
        )
    assert "Passw0rd" not in stored
    assert "argon2" not in stored


def test_a_seed_file_is_the_initiator_of_what_it_makes(platform: Platform) -> None:
    from tenantlab.seed import apply_seed, parse_seed

    app = {"displayName": "Seeded daemon", "secrets": [{"displayName": "s"}]}
    data = {"tenants": [{"displayName": "Seeded", "domain": "seeded", "apps": [app]}]}
    report = apply_seed(platform, parse_seed(data))
    tenant = report.tenants[0]
    (issued,) = report.secrets
    records = _audits(platform, tenant)
    seeded = [r for r in records if r.activity_display_name == "Add application"]
    by_name = {r.target_resources[0]["displayName"]: r for r in seeded}
    record = by_name["Seeded daemon"]
    assert record.initiated_by["app"]["displayName"] == "tenantlab seed file"
    secret_added = _audits(
        platform,
        tenant,
        activity=audit_log.CREDENTIALS.display_name,
        target_id=record.target_resources[0]["id"],
    )
    assert [r.initiated_by["app"]["displayName"] for r in secret_added] == ["tenantlab seed file"]
    assert issued.secret_text not in json.dumps([r.target_resources for r in records])
