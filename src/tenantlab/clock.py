"""Time, injectable: production code asks a Clock, tests hand in a FixedClock.

The cloud's own clock is a `ControlledClock` (`Platform.clock`): real time unless a test or an
operator moves it (`advance`, `set`, `freeze`, `resume`; also `/_tenantlab/clock` and
`tenantlab clock`). Everything the cloud dates (token `iat`/`nbf`/`exp`, credential expiry, key
retirement, throttling windows, sign-in and audit records, error timestamps) reads this clock,
so moving it moves all of them at once. Timeouts and cache ages measure elapsed real time with
`time.monotonic()` instead and never move.
"""

from __future__ import annotations

import threading
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


class ControlledClock:
    """Another clock (the system's by default) plus an offset, or frozen at one instant.

    `now()` is on every hot path, so it reads one tuple without a lock; the setters take a lock
    and replace the tuple whole, so a reader sees either the old state or the new one.
    """

    def __init__(self, base: Clock | None = None) -> None:
        self.base: Clock = base if base is not None else SYSTEM_CLOCK
        self._lock = threading.Lock()
        self._state: tuple[float, float | None] = (0.0, None)  # (offset, frozen instant)

    def now(self) -> float:
        offset, frozen = self._state
        return frozen if frozen is not None else self.base.now() + offset

    @property
    def offset(self) -> float:
        """Seconds this clock is ahead of its base (negative: behind)."""
        return self.now() - self.base.now()

    @property
    def frozen(self) -> bool:
        return self._state[1] is not None

    def advance(self, seconds: float) -> None:
        """Move forward (or back, with a negative number); a frozen clock stays frozen."""
        with self._lock:
            offset, frozen = self._state
            if frozen is not None:
                self._state = (offset, frozen + seconds)
            else:
                self._state = (offset + seconds, None)

    def set(self, when: float | datetime) -> None:
        """Jump to `when` (epoch seconds, or an aware datetime); time runs on from there unless
        the clock is frozen."""
        target = _epoch(when)
        with self._lock:
            if self._state[1] is not None:
                self._state = (self._state[0], target)
            else:
                self._state = (target - self.base.now(), None)

    def freeze(self) -> None:
        """Stop at the current instant until `resume()` (or a `set`/`advance` moves it)."""
        with self._lock:
            if self._state[1] is None:
                self._state = (self._state[0], self.now())

    def resume(self) -> None:
        """Run again from where the clock stands (the frozen time is kept as an offset)."""
        with self._lock:
            frozen = self._state[1]
            if frozen is not None:
                self._state = (frozen - self.base.now(), None)

    def reset(self) -> None:
        """Back to the base clock: no offset, not frozen."""
        with self._lock:
            self._state = (0.0, None)


def _epoch(when: float | datetime) -> float:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("give the time with a time zone (e.g. 2027-01-01T00:00:00Z)")
        return when.timestamp()
    return float(when)


def utc_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def iso_z(epoch: float) -> str:
    """Graph's timestamp form: 2026-11-25T12:34:17Z."""
    return utc_datetime(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")


SYSTEM_CLOCK: Clock = SystemClock()
