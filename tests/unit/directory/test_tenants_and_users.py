"""Tenants, domains, users, and the revision counter every write bumps."""

from __future__ import annotations

import pytest

from tenantlab.directory import Directory, TenantNotFound, ValidationFailed
from tenantlab.directory.errors import Conflict, UserNotFound
from tenantlab.storage.schema import Tenant


def test_a_tenant_is_found_by_id_or_any_domain_case_insensitively(
    directory: Directory, contoso: Tenant
) -> None:
    directory.add_domain(tenant=contoso.id, domain="Contoso.com")
    for alias in (contoso.id, contoso.id.upper(), "CONTOSO.onmicrosoft.com", "contoso.com"):
        assert directory.get_tenant(alias).id == contoso.id
    assert directory.tenant_domains(contoso.id) == ["contoso.onmicrosoft.com", "contoso.com"]
    with pytest.raises(TenantNotFound, match="tenantlab tenant list"):
        directory.get_tenant("fabrikam.onmicrosoft.com")


def test_tenant_rules(directory: Directory, contoso: Tenant) -> None:
    with pytest.raises(Conflict, match="already belongs"):
        directory.create_tenant(display_name="Again", domain="contoso.onmicrosoft.com")
    with pytest.raises(Conflict, match="already exists"):
        directory.create_tenant(display_name="Again", domain="other", tenant_id=contoso.id)
    with pytest.raises(ValidationFailed, match="workforce"):
        directory.create_tenant(display_name="X", domain="x", tenant_type="b2c")
    with pytest.raises(ValidationFailed, match="not a valid domain"):
        directory.create_tenant(display_name="X", domain="bad_domain!.com")
    with pytest.raises(ValidationFailed, match="not a GUID"):
        directory.create_tenant(display_name="X", domain="x", tenant_id="123")
    with pytest.raises(ValidationFailed, match="displayName"):
        directory.create_tenant(display_name="  ", domain="x")


def test_the_upn_domain_must_be_one_of_the_tenants_domains(
    directory: Directory, contoso: Tenant
) -> None:
    directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    with pytest.raises(ValidationFailed, match="verified domain"):
        directory.create_user(
            tenant=contoso.id,
            user_principal_name="adele@fabrikam.onmicrosoft.com",
            display_name="A",
        )
    with pytest.raises(ValidationFailed, match="alias@domain"):
        directory.create_user(tenant=contoso.id, user_principal_name="adele", display_name="A")
    user = directory.create_user(
        tenant=contoso.id, user_principal_name="Adele@Contoso.onmicrosoft.com", display_name="A"
    )
    assert user.mail_nickname == "Adele"
    assert directory.get_user(tenant=contoso.id, key="adele@contoso.onmicrosoft.com").id == user.id


def test_upns_are_unique_within_a_tenant(directory: Directory, contoso: Tenant) -> None:
    directory.create_user(
        tenant=contoso.id, user_principal_name="adele@contoso.onmicrosoft.com", display_name="A"
    )
    with pytest.raises(Conflict, match="userPrincipalName"):
        directory.create_user(
            tenant=contoso.id, user_principal_name="ADELE@contoso.onmicrosoft.com", display_name="B"
        )


@pytest.mark.parametrize("password", ["Sh0rt!", "alllowercase", "ALLUPPER123", "x" * 257])
def test_weak_passwords_are_refused(directory: Directory, contoso: Tenant, password: str) -> None:
    with pytest.raises(ValidationFailed, match="password"):
        directory.create_user(
            tenant=contoso.id,
            user_principal_name="adele@contoso.onmicrosoft.com",
            display_name="A",
            password=password,
        )


def test_a_password_is_hashed_and_verified(directory: Directory, contoso: Tenant) -> None:
    user = directory.create_user(
        tenant=contoso.id,
        user_principal_name="adele@contoso.onmicrosoft.com",
        display_name="A",
        password="Correct-Horse-1",
    )
    assert user.password_hash is not None
    assert "Correct-Horse-1" not in user.password_hash
    assert directory.verify_user_password(user, "Correct-Horse-1")
    assert not directory.verify_user_password(user, "Correct-Horse-2")


def test_users_of_another_tenant_are_not_found(directory: Directory, contoso: Tenant) -> None:
    fabrikam = directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    user = directory.create_user(
        tenant=fabrikam.id, user_principal_name="bob@fabrikam.onmicrosoft.com", display_name="Bob"
    )
    with pytest.raises(UserNotFound):
        directory.get_user(tenant=contoso.id, key=user.id)


def test_every_write_bumps_the_revision_and_reads_do_not(
    directory: Directory, contoso: Tenant
) -> None:
    seen = [directory.revision()]

    def bumped() -> bool:
        seen.append(directory.revision())
        return seen[-1] > seen[-2]

    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    assert bumped()
    secret = directory.add_password(tenant=contoso.id, app=app.app_id)
    assert bumped()
    directory.remove_password(tenant=contoso.id, app=app.app_id, key_id=secret.credential.key_id)
    assert bumped()
    directory.add_app_role(tenant=contoso.id, app=app.app_id, value="Jobs.Run")
    assert bumped()
    directory.create_user(
        tenant=contoso.id, user_principal_name="a@contoso.onmicrosoft.com", display_name="A"
    )
    assert bumped()
    directory.list_applications(tenant=contoso.id)
    directory.list_users(tenant=contoso.id)
    directory.get_application(tenant=contoso.id, app="Daemon")
    assert not bumped()
