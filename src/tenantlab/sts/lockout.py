"""Smart lockout for the password grant, as Entra's: failed sign-ins lock an account for a while.

After the tenant's `threshold` failed sign-ins (10 by default) the account is locked for
`duration_seconds` (60 by default); each further lockout doubles that, up to 64 times. While an
account is locked every sign-in is refused with AADSTS50053, the right password too, and no
password is checked at all (a locked account costs no argon2 work). A successful sign-in clears the
account's record.

Accounts are counted per tenant: by object id when the user exists, by the name as typed
(case-insensitive) when it does not. Both go through the same steps with the same answers and the
same cost, so lockout does not reveal which users exist.

The counters sit behind `LockoutCounters`. `InProcessLockouts` keeps them in this process's
memory, which is right for one server process (the SQLite deployments); `SharedLockouts` keeps
them in the platform's shared `Counters` (Redis), which applies `after_failure` atomically, so
every node behind a load balancer sees the same failures and the same lockout.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from typing import Protocol

from tenantlab.directory import LockoutPolicy
from tenantlab.storage.counters import Counters

# Each repeated lockout doubles the duration, up to 2**MAX_GROWTH times the tenant's setting.
MAX_GROWTH = 6
# How long a shared record outlives its last failure (or its lockout): what repeated lockouts
# double from is forgotten after a quiet day.
SHARED_RETENTION_SECONDS = 86_400.0


@dataclass(frozen=True)
class LockoutState:
    failures: int = 0  # failed sign-ins since the last lockout or success
    lockouts: int = 0  # lockouts so far: each one lasts longer
    locked_until: float = 0.0


def after_failure(state: LockoutState, now: float, policy: LockoutPolicy) -> LockoutState:
    """The state after one more failed sign-in: counted, or locked when it reaches the threshold."""
    failures = state.failures + 1
    if failures < policy.threshold:
        return LockoutState(failures, state.lockouts, state.locked_until)
    duration = policy.duration_seconds * 2 ** min(state.lockouts, MAX_GROWTH)
    return LockoutState(0, state.lockouts + 1, now + duration)


class LockoutCounters(Protocol):
    """Where failed sign-ins are counted (per process today, shared by all nodes at scale)."""

    def locked_until(self, account: str) -> float:
        """When the account's lockout ends (0.0 or a past time: not locked)."""
        ...

    def record_failure(self, account: str, now: float, policy: LockoutPolicy) -> LockoutState:
        """Count a failed sign-in (atomically) and return the account's new state."""
        ...

    def record_success(self, account: str) -> None:
        """Forget the account's failures and lockouts."""
        ...


class InProcessLockouts:
    """`LockoutCounters` in this process's memory, bounded: the least recently failed accounts
    that are not locked are forgotten first when `max_accounts` is reached."""

    def __init__(self, max_accounts: int = 100_000) -> None:
        self.max_accounts = max_accounts
        self._states: dict[str, LockoutState] = {}  # least recently failed first
        self._lock = threading.Lock()

    def locked_until(self, account: str) -> float:
        state = self._states.get(account)
        return state.locked_until if state is not None else 0.0

    def record_failure(self, account: str, now: float, policy: LockoutPolicy) -> LockoutState:
        with self._lock:
            state = after_failure(self._states.pop(account, LockoutState()), now, policy)
            if len(self._states) >= self.max_accounts:
                self._forget_some(now)
            self._states[account] = state
            return state

    def record_success(self, account: str) -> None:
        with self._lock:
            self._states.pop(account, None)

    def _forget_some(self, now: float) -> None:
        """Drop up to a tenth of the accounts, oldest first, keeping those locked right now."""
        budget = max(1, self.max_accounts // 10)
        for account in [a for a, s in self._states.items() if s.locked_until <= now][:budget]:
            del self._states[account]


class SharedLockouts:
    """`LockoutCounters` in the platform's shared `Counters`: one record per account, changed by
    `after_failure` in one atomic step, whichever node the sign-in reached."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    @staticmethod
    def _key(account: str) -> str:
        return f"lockout:{account}"

    def locked_until(self, account: str) -> float:
        state = _parse(self.counters.read(self._key(account)))
        return state.locked_until

    def record_failure(self, account: str, now: float, policy: LockoutPolicy) -> LockoutState:
        def change(old: str | None) -> str:
            return json.dumps(asdict(after_failure(_parse(old), now, policy)))

        return _parse(self.counters.update(self._key(account), change, ttl=_ttl(policy)))

    def record_success(self, account: str) -> None:
        self.counters.reset(self._key(account))


def _ttl(policy: LockoutPolicy) -> float:
    longest: float = policy.duration_seconds * 2**MAX_GROWTH
    return longest + SHARED_RETENTION_SECONDS


def _parse(record: str | None) -> LockoutState:
    if record is None:
        return LockoutState()
    try:
        fields = json.loads(record)
        return LockoutState(
            int(fields["failures"]), int(fields["lockouts"]), float(fields["locked_until"])
        )
    except (ValueError, KeyError, TypeError):
        return LockoutState()  # a record of another version: start counting again
