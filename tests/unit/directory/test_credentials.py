"""Client secrets and federated credentials: Entra's limits, digests only, shown once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tenantlab.clock import FixedClock
from tenantlab.directory import Directory, ValidationFailed
from tenantlab.directory.errors import Conflict, CredentialNotFound
from tenantlab.platform import Platform
from tenantlab.storage.schema import PasswordCredential, Tenant

DAY = 86400.0


@pytest.fixture
def app_id(directory: Directory, contoso: Tenant) -> str:
    return directory.create_application(tenant=contoso.id, display_name="Daemon").app_id


def test_a_secret_is_shown_once_and_stored_only_as_a_digest(
    platform: Platform, directory: Directory, contoso: Tenant, app_id: str
) -> None:
    new = directory.add_password(tenant=contoso.id, app=app_id, display_name="ci")
    assert len(new.secret_text) == 40
    assert new.credential.hint == new.secret_text[:3]
    with platform.database.session() as session:
        row = session.scalars(
            select(PasswordCredential).where(PasswordCredential.key_id == new.credential.key_id)
        ).one()
        stored = " ".join(str(v) for v in vars(row).values())
    assert new.secret_text not in stored
    assert directory.secret_matches(row, new.secret_text)
    other_last = "y" if new.secret_text.endswith("x") else "x"
    assert not directory.secret_matches(row, new.secret_text[:-1] + other_last)


def test_default_secret_lifetime_is_two_years(
    directory: Directory, contoso: Tenant, app_id: str, clock: FixedClock
) -> None:
    new = directory.add_password(tenant=contoso.id, app=app_id)
    assert new.credential.start_at == clock.now()
    assert new.credential.end_at == clock.now() + 730 * DAY


def test_exactly_24_months_is_allowed_and_a_day_more_is_not(
    directory: Directory, contoso: Tenant, app_id: str, clock: FixedClock
) -> None:
    assert clock.now() == dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC).timestamp()
    limit = dt.datetime(2029, 1, 15, 8, 0, tzinfo=dt.UTC).timestamp()
    directory.add_password(tenant=contoso.id, app=app_id, end=limit)
    with pytest.raises(ValidationFailed, match="at most 24 months"):
        directory.add_password(tenant=contoso.id, app=app_id, end=limit + DAY)
    with pytest.raises(ValidationFailed, match="at most 24 months"):
        directory.add_password(tenant=contoso.id, app=app_id, days=800)


def test_end_before_start_is_refused(
    directory: Directory, contoso: Tenant, app_id: str, clock: FixedClock
) -> None:
    with pytest.raises(ValidationFailed, match="after its start"):
        directory.add_password(tenant=contoso.id, app=app_id, end=clock.now() - 1)


def test_a_chosen_secret_value_is_checked_then_digested(
    directory: Directory, contoso: Tenant, app_id: str
) -> None:
    new = directory.add_password(tenant=contoso.id, app=app_id, secret_text="test-only-secret-0001")
    assert new.secret_text == "test-only-secret-0001"
    assert new.credential.hint == "tes"
    assert directory.secret_matches(new.credential, "test-only-secret-0001")
    for bad in ("short", "x" * 65, "has a space in it....", "non-ascii-é-secret-value"):
        with pytest.raises(ValidationFailed, match="secret value"):
            directory.add_password(tenant=contoso.id, app=app_id, secret_text=bad)


def test_removing_a_secret_by_key_id(directory: Directory, contoso: Tenant, app_id: str) -> None:
    new = directory.add_password(tenant=contoso.id, app=app_id)
    app = directory.get_application(tenant=contoso.id, app=app_id)
    directory.remove_password(tenant=contoso.id, app=app_id, key_id=new.credential.key_id.upper())
    assert directory.password_credentials(app.id) == []
    with pytest.raises(CredentialNotFound):
        directory.remove_password(tenant=contoso.id, app=app_id, key_id=new.credential.key_id)


def _fic(directory: Directory, tenant: Tenant, app_id: str, n: int) -> None:
    directory.add_federated_credential(
        tenant=tenant.id,
        app=app_id,
        name=f"github-{n}",
        issuer="https://token.actions.githubusercontent.com",
        subject=f"repo:contoso/app:environment:e{n}",
    )


def test_at_most_20_federated_credentials_per_app(
    directory: Directory, contoso: Tenant, app_id: str
) -> None:
    for n in range(20):
        _fic(directory, contoso, app_id, n)
    with pytest.raises(ValidationFailed, match="at most 20"):
        _fic(directory, contoso, app_id, 20)


def test_federated_credentials_are_unique_by_name_and_by_issuer_and_subject(
    directory: Directory, contoso: Tenant, app_id: str
) -> None:
    _fic(directory, contoso, app_id, 1)
    with pytest.raises(Conflict, match="named"):
        directory.add_federated_credential(
            tenant=contoso.id, app=app_id, name="GITHUB-1", issuer="https://x.test", subject="s"
        )
    with pytest.raises(Conflict, match="issuer and subject"):
        directory.add_federated_credential(
            tenant=contoso.id,
            app=app_id,
            name="other",
            issuer="https://token.actions.githubusercontent.com",
            subject="repo:contoso/app:environment:e1",
        )


@pytest.mark.parametrize(
    ("name", "issuer", "subject", "audiences", "message"),
    [
        ("ab", "https://i.test", "s", None, "3-120 characters"),
        ("has space", "https://i.test", "s", None, "3-120 characters"),
        ("good-name", "http://i.test", "s", None, "https://"),
        ("good-name", "https://i.test", "repo:*", None, "wildcards"),
        ("good-name", "https://i.test", "s", ["a", "b"], "exactly one"),
    ],
)
def test_federated_credential_values_follow_entra_rules(
    directory: Directory,
    contoso: Tenant,
    app_id: str,
    name: str,
    issuer: str,
    subject: str,
    audiences: list[str] | None,
    message: str,
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        directory.add_federated_credential(
            tenant=contoso.id,
            app=app_id,
            name=name,
            issuer=issuer,
            subject=subject,
            audiences=audiences,
        )
