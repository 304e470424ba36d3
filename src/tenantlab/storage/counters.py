"""Counters that every node of one cloud shares: Graph's throttling windows, sign-in limits.

A limit of N per window must admit N in total, however many processes or machines serve the
cloud, so the counts cannot live in one process's memory once there are several. `Counters` is
the one interface; `InProcessCounters` keeps them in memory (one server process, the default) and
`RedisCounters` in Redis (`TENANTLAB_REDIS_URL`), where each change is one atomic step (a Lua
script, or WATCH/MULTI for a record) so concurrent nodes never both take the last unit.

Two shapes cover the callers:
- a fixed window of units (`charge`): it starts with the first charge after the previous window
  ended and lasts `window` seconds; a charge that would pass `limit` is refused and counts
  nothing. The window's start is the caller's clock (`now`), not Redis's, so an injected clock
  (tests, `tenantlab clock`) moves shared windows as it moves in-process ones.
- a small record (`update`/`read`): read, changed by a pure function, written back atomically,
  forgotten `ttl` seconds after its last change (smart lockout's state).

When Redis stops answering, counting does not stop the cloud: `RedisCounters` logs one warning
and counts in this process until Redis answers again (checked every `RETRY_SECONDS`), so tokens
are still issued and throttling degrades to per-node limits rather than to an outage.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import redis

log = logging.getLogger("tenantlab.counters")

KEY_PREFIX = "tenantlab:"
# While Redis is unreachable, how long nodes count on their own before they try it again.
RETRY_SECONDS = 2.0
# A reachable Redis answers on loopback or a LAN in well under a millisecond; past these a
# request would rather count locally than wait.
CONNECT_TIMEOUT = 0.25
SOCKET_TIMEOUT = 0.5

T = TypeVar("T")


@dataclass(frozen=True)
class WindowUse:
    """A window after a charge: admitted or not, units used in it, seconds until it ends."""

    allowed: bool
    used: int
    retry_after: float


class Counters(Protocol):
    """Where limits are counted: this process, or every node's shared Redis."""

    def charge(
        self, key: str, cost: int, *, limit: int | None, window: float, now: float
    ) -> WindowUse:
        """Add `cost` units to `key`'s window unless that passes `limit` (None: no limit).

        A cost of 0 reads the window without starting one."""
        ...

    def reset(self, key: str) -> None:
        """Forget `key` (its window or record)."""
        ...

    def read(self, key: str) -> str | None:
        """The record stored under `key`, if any."""
        ...

    def update(self, key: str, change: Callable[[str | None], str], *, ttl: float) -> str:
        """Replace `key`'s record by `change(old)` atomically; kept `ttl` seconds."""
        ...

    def close(self) -> None:
        """Let go of connections (nothing for the in-process counters)."""
        ...


@dataclass
class _Entry:
    expires: float
    started: float = 0.0
    used: int = 0
    record: str | None = None


class InProcessCounters:
    """`Counters` in this process's memory (one server process: SQLite, or no Redis configured).

    Bounded: past `max_keys`, expired entries are dropped, then the oldest-expiring ones.
    """

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def charge(
        self, key: str, cost: int, *, limit: int | None, window: float, now: float
    ) -> WindowUse:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or now - entry.started >= window:
                if cost == 0:
                    return WindowUse(True, 0, 0.0)
                entry = _Entry(expires=time.monotonic() + window, started=now)
                self._store(key, entry)
            remaining = entry.started + window - now
            if limit is not None and entry.used + cost > limit:
                return WindowUse(False, entry.used, remaining)
            entry.used += cost
            return WindowUse(True, entry.used, remaining)

    def reset(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def read(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires <= time.monotonic():
                return None
            return entry.record

    def update(self, key: str, change: Callable[[str | None], str], *, ttl: float) -> str:
        with self._lock:
            entry = self._entries.get(key)
            old = entry.record if entry is not None and entry.expires > time.monotonic() else None
            new = change(old)
            self._store(key, _Entry(expires=time.monotonic() + ttl, record=new))
            return new

    def close(self) -> None:
        return None

    def _store(self, key: str, entry: _Entry) -> None:
        self._entries.pop(key, None)
        if len(self._entries) >= self.max_keys:
            now = time.monotonic()
            self._entries = {k: e for k, e in self._entries.items() if e.expires > now}
            if len(self._entries) >= self.max_keys:
                keep = sorted(self._entries.items(), key=lambda item: item[1].expires)
                self._entries = dict(keep[len(keep) // 10 + 1 :])
        self._entries[key] = entry


# KEYS[1]: the window (a hash: s = start, u = units used). ARGV: now, window, cost, limit (-1:
# none). Returns {allowed, used, seconds left as text}: Redis turns Lua numbers into integers.
_CHARGE = """
local started = tonumber(redis.call('HGET', KEYS[1], 's'))
local used = tonumber(redis.call('HGET', KEYS[1], 'u')) or 0
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local cost, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
if started == nil or now - started >= window then
  if cost == 0 then return {1, 0, '0'} end
  started, used = now, 0
  redis.call('DEL', KEYS[1])
end
local left = string.format('%.6f', started + window - now)
if limit >= 0 and used + cost > limit then return {0, used, left} end
if cost > 0 then
  used = redis.call('HINCRBY', KEYS[1], 'u', cost)
  redis.call('HSET', KEYS[1], 's', string.format('%.6f', started))
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
end
return {1, used, left}
"""


class RedisCounters:
    """`Counters` in Redis, shared by every node; in this process while Redis is unreachable."""

    def __init__(self, url: str, *, fallback: Counters | None = None) -> None:
        import redis

        self.url = url
        self._client = redis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            health_check_interval=30,
            decode_responses=True,
        )
        self._charge_script = self._client.register_script(_CHARGE)
        self._errors: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
        self.fallback: Counters = fallback if fallback is not None else InProcessCounters()
        self._down_until = 0.0  # monotonic: count locally until then
        self._down = False

    @property
    def client(self) -> redis.Redis:
        return self._client

    def charge(
        self, key: str, cost: int, *, limit: int | None, window: float, now: float
    ) -> WindowUse:
        def shared() -> WindowUse:
            args: list[str | int] = [repr(now), repr(window), cost, -1 if limit is None else limit]
            allowed, used, left = self._charge_script(keys=[KEY_PREFIX + key], args=args)
            return WindowUse(bool(allowed), int(used), max(0.0, float(left)))

        return self._shared_or_local(
            shared,
            lambda: self.fallback.charge(key, cost, limit=limit, window=window, now=now),
        )

    def reset(self, key: str) -> None:
        self._shared_or_local(
            lambda: self._client.delete(KEY_PREFIX + key), lambda: self.fallback.reset(key)
        )

    def read(self, key: str) -> str | None:
        def shared() -> str | None:
            value = self._client.get(KEY_PREFIX + key)
            return None if value is None else str(value)

        return self._shared_or_local(shared, lambda: self.fallback.read(key))

    def update(self, key: str, change: Callable[[str | None], str], *, ttl: float) -> str:
        name = KEY_PREFIX + key
        milliseconds = max(1, math.ceil(ttl * 1000))

        def shared() -> str:
            result: list[str] = []

            def attempt(pipe: Any) -> None:  # re-run by redis-py when the WATCHed key moved
                new = change(pipe.get(name))
                pipe.multi()
                pipe.set(name, new, px=milliseconds)
                result[:] = [new]

            self._client.transaction(attempt, name)
            return result[0]

        return self._shared_or_local(shared, lambda: self.fallback.update(key, change, ttl=ttl))

    def _shared_or_local(self, shared: Callable[[], T], local: Callable[[], T]) -> T:
        if self._down and time.monotonic() < self._down_until:
            return local()
        try:
            value = shared()
        except self._errors as exc:
            if not self._down:
                log.warning(
                    "Redis at %s is unreachable (%s): limits are counted per node until it "
                    "answers again",
                    _safe_url(self.url),
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                )
            self._down = True
            self._down_until = time.monotonic() + RETRY_SECONDS
            return local()
        if self._down:
            self._down = False
            log.warning("Redis at %s answers again: limits are shared again", _safe_url(self.url))
        return value

    def close(self) -> None:
        self._client.close()


def _safe_url(url: str) -> str:
    """The URL without its password, for the log."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return parts._replace(netloc=user + netloc).geturl()


def open_counters(redis_url: str | None) -> Counters:
    """Redis when a URL is configured (every node shares the counts), else this process."""
    if redis_url:
        return RedisCounters(redis_url)
    return InProcessCounters()
