"""Smart lockout of the password grant: 10 failures lock for 60 s, longer when repeated,
AADSTS50053 for everyone while locked, unknown users indistinguishable from known ones.

The clock is fixed and advanced by hand; argon2 checks are counted, not timed. Each argon2 check
costs tens of milliseconds, so beyond the first test the tenant's threshold is 3 (`small`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sts_support import StsSetup

from tenantlab.cli import cli
from tenantlab.directory import LockoutPolicy, ValidationFailed
from tenantlab.sts.lockout import MAX_GROWTH, InProcessLockouts, LockoutState, after_failure

PASSWORD = "Tenantlab-Test-Passw0rd!"
WRONG = "Wrong-Passw0rd!"


@pytest.fixture
def ropc(sts: StsSetup) -> StsSetup:
    """`sts` with a public client consented for ToDoList.Read and a user, Adele."""
    directory = sts.platform.directory
    directory.add_permission_scope(tenant=sts.tenant.id, app=sts.api_app_id, value="ToDoList.Read")
    public = directory.create_application(tenant=sts.tenant.id, display_name="Public client")
    directory.grant_delegated(
        tenant=sts.tenant.id, client=public.app_id, resource=sts.api_uri, scopes=["ToDoList.Read"]
    )
    directory.create_user(
        tenant=sts.tenant.id,
        user_principal_name=f"adele@{sts.domain}",
        display_name="Adele",
        password=PASSWORD,
    )
    return dataclasses.replace(sts, daemon_app_id=public.app_id)


def small(sts: StsSetup) -> StsSetup:
    sts.platform.directory.set_lockout_policy(tenant=sts.tenant.id, threshold=3)
    return sts


def sign_in(sts: StsSetup, password: str, username: str = "adele") -> tuple[int, list[int]]:
    response = sts.client.post(
        f"/{sts.tenant.id}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": sts.daemon_app_id,
            "username": f"{username}@{sts.domain}",
            "password": password,
            "scope": f"{sts.api_uri}/ToDoList.Read",
        },
    )
    body: dict[str, Any] = response.json()
    return response.status_code, body.get("error_codes", [])


LOCKED = (400, [50053])
BAD_PASSWORD = (400, [50126])
OK = (200, [])


def fail(sts: StsSetup, times: int, username: str = "adele") -> None:
    for _ in range(times):
        assert sign_in(sts, WRONG, username) == BAD_PASSWORD


def test_ten_failures_lock_the_account_for_sixty_seconds(ropc: StsSetup) -> None:
    fail(ropc, 10)
    response = ropc.client.post(
        f"/{ropc.tenant.id}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": ropc.daemon_app_id,
            "username": f"adele@{ropc.domain}",
            "password": PASSWORD,
            "scope": f"{ropc.api_uri}/ToDoList.Read",
        },
    )
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (
        400,
        "invalid_grant",
        [50053],
    )
    assert body["error_description"].startswith("AADSTS50053: The account is locked")
    ropc.clock.advance(59)
    assert sign_in(ropc, PASSWORD) == LOCKED  # the right password is refused during lockout
    assert sign_in(ropc, WRONG) == LOCKED
    ropc.clock.advance(2)
    assert sign_in(ropc, PASSWORD) == OK


def test_failures_below_the_threshold_do_not_lock_and_a_success_starts_over(
    ropc: StsSetup,
) -> None:
    small(ropc)
    fail(ropc, 2)
    assert sign_in(ropc, PASSWORD) == OK
    fail(ropc, 2)
    assert sign_in(ropc, PASSWORD) == OK


def test_repeated_lockouts_last_longer(ropc: StsSetup) -> None:
    small(ropc)
    fail(ropc, 3)
    ropc.clock.advance(61)
    fail(ropc, 3)  # locked again straight away: now for 120 s
    ropc.clock.advance(61)
    assert sign_in(ropc, PASSWORD) == LOCKED
    ropc.clock.advance(60)
    assert sign_in(ropc, PASSWORD) == OK


def test_the_policy_is_the_tenants(ropc: StsSetup) -> None:
    policy = ropc.platform.directory.set_lockout_policy(
        tenant=ropc.tenant.id, threshold=3, duration_seconds=30
    )
    assert policy == LockoutPolicy(threshold=3, duration_seconds=30)
    fail(ropc, 3)
    assert sign_in(ropc, PASSWORD) == LOCKED
    ropc.clock.advance(31)
    assert sign_in(ropc, PASSWORD) == OK


def test_lockout_is_per_tenant(ropc: StsSetup) -> None:
    directory = ropc.platform.directory
    other = directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    directory.set_lockout_policy(tenant=other.id, threshold=1)
    small(ropc)
    fail(ropc, 2)  # Contoso keeps its own threshold of 3
    assert sign_in(ropc, PASSWORD) == OK


@pytest.mark.parametrize(
    ("threshold", "duration"), [(0, None), (1001, None), (None, 4), (None, 86_401)]
)
def test_the_policy_is_validated(
    ropc: StsSetup, threshold: int | None, duration: int | None
) -> None:
    with pytest.raises(ValidationFailed, match="whole number"):
        ropc.platform.directory.set_lockout_policy(
            tenant=ropc.tenant.id, threshold=threshold, duration_seconds=duration
        )


# -- unknown users are indistinguishable ------------------------------------------------------


def _attempts(sts: StsSetup, username: str) -> list[tuple[int, list[int]]]:
    answers = [sign_in(sts, WRONG, username) for _ in range(3)]
    answers.append(sign_in(sts, PASSWORD, username))
    sts.clock.advance(61)
    answers.append(sign_in(sts, WRONG, username))
    return answers


def test_unknown_users_get_the_same_answers_and_the_same_lockout(ropc: StsSetup) -> None:
    small(ropc)
    known = _attempts(ropc, "adele")
    unknown = _attempts(ropc, "nobody")
    assert known == unknown
    assert known == [BAD_PASSWORD, BAD_PASSWORD, BAD_PASSWORD, LOCKED, BAD_PASSWORD]


def test_unknown_and_known_users_cost_the_same_argon2_checks(
    ropc: StsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One check per attempt for both (the decoy's for an unknown user), none while locked."""
    checks: list[str] = []
    verify = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        checks.append("argon2")
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    small(ropc)
    for username in ("adele", "nobody"):
        checks.clear()
        fail(ropc, 3, username)
        assert len(checks) == 3
        assert sign_in(ropc, PASSWORD, username) == LOCKED
        assert len(checks) == 3, username


def test_a_username_in_another_case_is_the_same_account(ropc: StsSetup) -> None:
    ropc.platform.directory.set_lockout_policy(tenant=ropc.tenant.id, threshold=4)
    fail(ropc, 2, "adele")
    fail(ropc, 2, "ADELE")
    fail(ropc, 2, "nobody")
    fail(ropc, 2, "NoBody")
    assert sign_in(ropc, PASSWORD, "Adele") == LOCKED
    assert sign_in(ropc, WRONG, "NOBODY") == LOCKED


# -- the counters -----------------------------------------------------------------------------


def test_lockout_growth_is_capped() -> None:
    policy = LockoutPolicy(threshold=1, duration_seconds=60)
    state = LockoutState()
    for _ in range(MAX_GROWTH + 3):
        state = after_failure(state, 0.0, policy)
    assert state.locked_until == 60 * 2**MAX_GROWTH


def test_in_process_counters_stay_bounded_and_keep_locked_accounts() -> None:
    counters = InProcessLockouts(max_accounts=100)
    policy = LockoutPolicy(threshold=1, duration_seconds=60)
    counters.record_failure("locked", 0.0, policy)
    counters.record_failure("expired", -1000.0, policy)
    for index in range(500):
        counters.record_failure(f"guess-{index}", 0.0, LockoutPolicy(threshold=10))
    assert len(counters._states) <= 100
    assert counters.locked_until("locked") == 60.0
    assert counters.locked_until("expired") == 0.0


def test_the_cli_shows_and_changes_the_policy() -> None:
    def invoke(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli, ["tenant", *args], catch_exceptions=False)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result.stdout if code == 0 else result.stderr

    invoke("create", "--name", "Contoso", "--domain", "contoso")
    assert "10 failed sign-ins lock an account for 60 s" in invoke(
        "lockout", "-t", "contoso.onmicrosoft.com"
    )
    changed = invoke(
        "lockout", "-t", "contoso.onmicrosoft.com", "--threshold", "5", "--duration", "120"
    )
    assert "5 failed sign-ins lock an account for 120 s" in changed
    assert "5 failed sign-ins lock an account for 120 s" in invoke(
        "lockout", "-t", "contoso.onmicrosoft.com"
    )
    error = invoke("lockout", "-t", "contoso.onmicrosoft.com", "--threshold", "0", code=1)
    assert "lockout threshold must be a whole number from 1 to 1000" in error
    assert "Traceback" not in error
