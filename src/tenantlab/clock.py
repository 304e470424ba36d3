"""Time, injectable: production code asks a Clock, tests hand in a FixedClock."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC), as a float."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class FixedClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: float) -> None:
        self._now = when


def utc_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def iso_z(epoch: float) -> str:
    """Graph's timestamp form: 2026-11-25T12:34:17Z."""
    return utc_datetime(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")


SYSTEM_CLOCK: Clock = SystemClock()
