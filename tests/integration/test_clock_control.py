"""The cloud's clock moved under real clients: MSAL re-acquires with a later `iat`, an expired
secret is AADSTS7000222, and `tenantlab fault` / `tenantlab clock` drive a running server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from types import SimpleNamespace

import jwt
import pytest
from click.testing import CliRunner

from tenantlab.cli import cli
from tenantlab.clock import ControlledClock
from tenantlab.served import forget_server, record_server
from tenantlab.testing import LiveCloud, LiveTenant

pytestmark = pytest.mark.integration

GRAPH = ["https://graph.microsoft.com/.default"]


@pytest.fixture
def tenant(tenantlab_tenant: LiveTenant) -> LiveTenant:
    return tenantlab_tenant


@pytest.fixture
def clock(tenantlab_cloud: LiveCloud) -> Iterator[ControlledClock]:
    """The session cloud's clock, back to real time after the test whatever happens."""
    controlled = tenantlab_cloud.clock
    assert isinstance(controlled, ControlledClock)
    yield controlled
    controlled.reset()


def claims(token: str) -> dict[str, int]:
    value: dict[str, int] = jwt.decode(token, options={"verify_signature": False})
    return value


def test_msal_reacquires_after_an_hour_and_the_new_token_is_dated_by_the_cloud(
    tenant: LiveTenant, clock: ControlledClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cloud's clock does not move MSAL's: its cache expires tokens by the client's own
    time. So the test moves both, as docs/testing.md shows: the cloud by `advance(3600)`,
    MSAL by the `time` its modules read."""
    import msal.application
    import msal.token_cache

    msal_app = tenant.app("daemon", secret=True).msal()
    first = msal_app.acquire_token_for_client(scopes=GRAPH)
    cached = msal_app.acquire_token_for_client(scopes=GRAPH)
    assert cached["access_token"] == first["access_token"]
    assert cached["token_source"] == "cache"

    clock.advance(3600)
    later = SimpleNamespace(time=lambda: time.time() + 3600)
    monkeypatch.setattr(msal.application, "time", later)
    monkeypatch.setattr(msal.token_cache, "time", later)
    renewed = msal_app.acquire_token_for_client(scopes=GRAPH)
    assert renewed["token_source"] == "identity_provider"
    old, new = claims(first["access_token"]), claims(renewed["access_token"])
    assert new["iat"] - old["iat"] >= 3600
    assert new["exp"] - old["exp"] >= 3600


def test_an_expired_secret_is_aadsts7000222_through_msal(
    tenantlab_cloud: LiveCloud, tenant: LiveTenant, clock: ControlledClock
) -> None:
    daemon = tenant.app("daemon")
    now = clock.now()
    secret = tenant.directory.add_password(
        tenant=tenant.id, app=daemon.app_id, end=now + 60
    ).secret_text
    assert "access_token" in daemon.msal(secret).acquire_token_for_client(scopes=GRAPH)
    clock.advance(120)
    refused = daemon.msal(secret).acquire_token_for_client(scopes=GRAPH)
    assert refused["error"] == "invalid_client"
    assert refused["error_codes"] == [7000222]
    assert refused["error_description"].startswith(
        f"AADSTS7000222: The provided client secret keys for app '{daemon.app_id}' are expired."
    )


def test_a_certificate_expires_when_the_cloud_passes_its_end(
    tenant: LiveTenant, clock: ControlledClock
) -> None:
    """The test kit's client certificates last 30 days: 31 days on, the token service refuses
    the assertion MSAL signs with it (AADSTS700027, the key is expired)."""
    daemon = tenant.app("daemon", certificate=True)
    assert "access_token" in daemon.msal().acquire_token_for_client(scopes=GRAPH)
    clock.advance(31 * 86_400)
    refused = daemon.msal().acquire_token_for_client(scopes=GRAPH)
    assert refused["error"] == "invalid_client"
    assert refused["error_codes"] == [700027]
    assert "The key used is expired." in refused["error_description"]


def test_the_cli_drives_the_running_servers_faults_and_clock(
    tenantlab_cloud: LiveCloud, tenant: LiveTenant, clock: ControlledClock
) -> None:
    home = tenantlab_cloud.home
    record_server(home, tenantlab_cloud.origin)  # as `tenantlab serve` does once it listens
    runner = CliRunner()
    env = {"TENANTLAB_HOME": str(home)}

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    try:
        added = json.loads(
            run(
                "fault",
                "add",
                "token",
                "--status",
                "429",
                "--retry-after",
                "3",
                "-t",
                tenant.domain,
                "--count",
                "2",
                "--json",
            )
        )
        assert (added["status"], added["retryAfter"], added["tenant"]) == (429, 3, tenant.id)
        listed = json.loads(run("fault", "list", "--json"))["value"]
        assert [f["id"] for f in listed] == [added["id"]]
        assert "429 (Retry-After 3)  2 more times" in run("fault", "list")
        refused = tenant.app("daemon", secret=True).msal().acquire_token_for_client(scopes=GRAPH)
        assert refused["error_codes"] == [90055]
        run("fault", "clear")
        assert len(tenantlab_cloud.platform.faults) == 0

        before = clock.now()
        moved = json.loads(run("clock", "advance", "1h", "--json"))
        assert 3600 <= moved["offsetSeconds"] < 3610
        assert clock.now() - before >= 3600
        assert json.loads(run("clock", "freeze", "--json"))["frozen"] is True
        assert "frozen" in run("clock", "show")
        run("clock", "set", "2030-01-01T00:00:00Z")
        assert clock.now() == 1_893_456_000.0
        run("clock", "reset")
        assert abs(clock.offset) < 1
        assert not clock.frozen

        bad = runner.invoke(cli, ["clock", "advance", "soon"], env=env)
        assert bad.exit_code == 2
        assert "not a duration" in bad.output
    finally:
        forget_server(home)
        tenantlab_cloud.faults.clear()


def test_the_cli_says_so_when_no_server_runs(tmp_path: object) -> None:
    result = CliRunner().invoke(cli, ["fault", "list"], env={"TENANTLAB_HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert result.output.startswith("error: no tenantlab server is running from")
    assert "Traceback" not in result.output
