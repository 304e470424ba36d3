"""Managed identities in the directory: ids, names, hosts, and what a host may use."""

from __future__ import annotations

import pytest

from tenantlab.directory import Conflict, Directory, ValidationFailed
from tenantlab.directory.managed_identities import (
    SYSTEM_ASSIGNED,
    USER_ASSIGNED,
    ManagedIdentityNotFound,
)


@pytest.fixture
def tenant_id(directory: Directory) -> str:
    return directory.create_tenant(display_name="Contoso", domain="contoso").id


def test_each_identity_gets_its_own_client_and_object_ids(
    directory: Directory, tenant_id: str
) -> None:
    a = directory.create_managed_identity(tenant=tenant_id, name="vm1", kind=SYSTEM_ASSIGNED)
    b = directory.create_managed_identity(tenant=tenant_id, name="worker", kind=USER_ASSIGNED)
    assert len({a.client_id, a.principal_id, b.client_id, b.principal_id}) == 4
    assert a.hosts == ("vm1",)
    assert b.hosts == ()
    for key in ("worker", b.client_id, b.principal_id, b.client_id.upper()):
        assert directory.get_managed_identity(tenant=tenant_id, key=key).name == "worker"
    sp = directory.get_service_principal(tenant=tenant_id, key=b.principal_id)
    assert sp.service_principal_type == "ManagedIdentity"
    assert sp.application_id is None


def test_names_are_unique_and_checked(directory: Directory, tenant_id: str) -> None:
    directory.create_managed_identity(tenant=tenant_id, name="vm1", kind=SYSTEM_ASSIGNED)
    with pytest.raises(Conflict):
        directory.create_managed_identity(tenant=tenant_id, name="vm1", kind=USER_ASSIGNED)
    for bad in ("", "has space", "-dash", "x" * 65, "a/b"):
        with pytest.raises(ValidationFailed):
            directory.create_managed_identity(tenant=tenant_id, name=bad, kind=USER_ASSIGNED)
    with pytest.raises(ValidationFailed):
        directory.create_managed_identity(
            tenant=tenant_id, name="vm2", kind=SYSTEM_ASSIGNED, hosts=("other",)
        )


def test_a_host_uses_its_own_and_attached_identities_only(
    directory: Directory, tenant_id: str
) -> None:
    directory.create_managed_identity(tenant=tenant_id, name="vm1", kind=SYSTEM_ASSIGNED)
    directory.create_managed_identity(tenant=tenant_id, name="vm2", kind=SYSTEM_ASSIGNED)
    directory.create_managed_identity(
        tenant=tenant_id, name="worker", kind=USER_ASSIGNED, hosts=("vm2",)
    )
    assert [v.name for v in directory.host_identities(tenant=tenant_id, host="vm1")] == ["vm1"]
    directory.attach_managed_identity(tenant=tenant_id, key="worker", host="vm1")
    assert [v.name for v in directory.host_identities(tenant=tenant_id, host="vm1")] == [
        "vm1",
        "worker",
    ]
    directory.attach_managed_identity(tenant=tenant_id, key="worker", host="vm1", attach=False)
    assert [v.name for v in directory.host_identities(tenant=tenant_id, host="vm1")] == ["vm1"]
    with pytest.raises(ValidationFailed):
        directory.attach_managed_identity(tenant=tenant_id, key="vm1", host="vm2")


def test_delete_removes_the_service_principal(directory: Directory, tenant_id: str) -> None:
    view = directory.create_managed_identity(tenant=tenant_id, name="worker", kind=USER_ASSIGNED)
    directory.grant_app_role(
        tenant=tenant_id, client="worker", resource="graph", role="User.Read.All"
    )
    directory.delete_managed_identity(tenant=tenant_id, key=view.client_id)
    assert all(
        sp.id != view.principal_id for sp in directory.list_service_principals(tenant=tenant_id)
    )
    assert directory.app_role_assignments(view.principal_id) == []
    with pytest.raises(ManagedIdentityNotFound):
        directory.get_managed_identity(tenant=tenant_id, key="worker")
