"""ControlledClock: the cloud's clock moves as told and only as told (its base is fixed here)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tenantlab.clock import ControlledClock, FixedClock
from tenantlab.platform import Platform


@pytest.fixture
def base() -> FixedClock:
    return FixedClock(1_800_000_000.0)


def test_follows_its_base_until_moved(base: FixedClock) -> None:
    clock = ControlledClock(base)
    base.advance(5)
    assert clock.now() == base.now()
    assert clock.offset == 0
    assert not clock.frozen


def test_advance_keeps_time_running(base: FixedClock) -> None:
    clock = ControlledClock(base)
    clock.advance(3600)
    base.advance(10)
    assert clock.now() == base.now() + 3600
    assert clock.offset == 3600


def test_set_jumps_to_an_aware_datetime_and_refuses_a_naive_one(base: FixedClock) -> None:
    clock = ControlledClock(base)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    base.advance(1)
    assert clock.now() == datetime(2030, 1, 1, 0, 0, 1, tzinfo=UTC).timestamp()
    with pytest.raises(ValueError, match="time zone"):
        clock.set(datetime(2030, 1, 1))  # a naive datetime: refused


def test_freeze_stops_and_resume_runs_on_from_the_frozen_instant(base: FixedClock) -> None:
    clock = ControlledClock(base)
    clock.advance(100)
    clock.freeze()
    frozen_at = clock.now()
    base.advance(50)
    assert clock.now() == frozen_at
    assert clock.frozen
    clock.advance(7)  # a frozen clock moves only when told
    assert clock.now() == frozen_at + 7
    base.advance(1000)
    clock.resume()
    assert not clock.frozen
    assert clock.now() == frozen_at + 7
    base.advance(2)
    assert clock.now() == frozen_at + 9


def test_set_while_frozen_stays_frozen_and_reset_returns_to_the_base(base: FixedClock) -> None:
    clock = ControlledClock(base)
    clock.freeze()
    clock.set(1_900_000_000.0)
    base.advance(30)
    assert clock.now() == 1_900_000_000.0
    clock.reset()
    assert clock.now() == base.now()
    assert not clock.frozen


def test_the_platform_clock_is_controlled_and_dates_what_the_directory_writes(
    platform: Platform,
) -> None:
    """What the directory dates reads `Platform.clock`: a secret made after `advance` starts
    then."""
    assert isinstance(platform.clock, ControlledClock)
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    app = platform.directory.create_application(tenant=tenant.id, display_name="daemon")
    before = platform.clock.now()
    platform.clock.advance(86_400 * 30)
    created = platform.directory.add_password(tenant=tenant.id, app=app.app_id)
    assert created.credential.start_at == before + 86_400 * 30


def test_signing_certificates_are_dated_by_the_platform_clock(platform: Platform) -> None:
    """The JWKS certificate (x5c) of a key made after `advance` starts a day before the cloud's
    now, not the machine's."""
    platform.clock.advance(400 * 86_400)
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    certificate = platform.keys.active(tenant.id).certificate
    starts = certificate.not_valid_before_utc.timestamp()
    assert starts == int(platform.clock.now()) - 86_400
