"""The in-process `Counters`: fixed windows, records, bounds; and the limits built on them.

The Redis implementation runs the same contract against a real redis-server in
tests/integration/test_shared_counters.py.
"""

from __future__ import annotations

from tenantlab.clock import FixedClock
from tenantlab.directory import LockoutPolicy
from tenantlab.graph.throttling import Throttle
from tenantlab.portal.security import SignInThrottle
from tenantlab.storage.counters import InProcessCounters
from tenantlab.sts.lockout import SharedLockouts


def test_a_window_admits_its_limit_and_counts_nothing_it_refuses() -> None:
    counters = InProcessCounters()
    admitted = [counters.charge("k", 2, limit=7, window=10, now=100.0) for _ in range(5)]
    assert [use.allowed for use in admitted] == [True, True, True, False, False]
    assert admitted[-1].used == 6
    assert admitted[-1].retry_after == 10.0
    assert counters.charge("k", 1, limit=7, window=10, now=104.0).used == 7


def test_the_window_starts_with_the_first_charge_after_the_last_one_ended() -> None:
    counters = InProcessCounters()
    counters.charge("k", 5, limit=5, window=10, now=0.0)
    assert not counters.charge("k", 1, limit=5, window=10, now=9.5).allowed
    fresh = counters.charge("k", 1, limit=5, window=10, now=10.0)
    assert (fresh.allowed, fresh.used, fresh.retry_after) == (True, 1, 10.0)


def test_a_zero_charge_reads_without_starting_a_window() -> None:
    counters = InProcessCounters()
    assert counters.charge("k", 0, limit=None, window=10, now=0.0).used == 0
    counters.charge("k", 3, limit=None, window=10, now=5.0)
    peek = counters.charge("k", 0, limit=None, window=10, now=6.0)
    assert (peek.used, peek.retry_after) == (3, 9.0)
    counters.reset("k")
    assert counters.charge("k", 0, limit=None, window=10, now=6.0).used == 0


def test_records_change_atomically_and_stay_bounded() -> None:
    counters = InProcessCounters(max_keys=50)
    for _ in range(3):
        counters.update("r", lambda old: str(int(old or "0") + 1), ttl=60)
    assert counters.read("r") == "3"
    for index in range(500):
        counters.update(f"x{index}", lambda old: "1", ttl=60)
    assert len(counters._entries) <= 50


def test_graph_throttle_counts_in_the_given_counters() -> None:
    counters = InProcessCounters()
    clock = FixedClock(1000.0)
    nodes = [Throttle(clock, limit_override=5, counters=counters) for _ in range(3)]
    decisions = [nodes[i % 3].charge("t", "a", 1, 3500) for i in range(9)]
    assert sum(d.allowed for d in decisions) == 5
    assert decisions[-1].retry_after == 10
    clock.advance(10)
    assert nodes[0].charge("t", "a", 1, 3500).allowed


def test_portal_sign_in_limit_is_shared_through_the_counters() -> None:
    counters = InProcessCounters()
    clock = FixedClock(0.0)
    one, two = SignInThrottle(clock, counters=counters), SignInThrottle(clock, counters=counters)
    for _ in range(5):
        one.failed("203.0.113.9")
        two.failed("203.0.113.9")
    assert one.retry_after("203.0.113.9") == 300.0
    assert two.retry_after("198.51.100.1") == 0.0
    clock.advance(300)
    assert two.retry_after("203.0.113.9") == 0.0


def test_shared_lockouts_lock_and_grow_as_the_in_process_ones() -> None:
    lockouts = SharedLockouts(InProcessCounters())
    policy = LockoutPolicy(threshold=2, duration_seconds=60)
    lockouts.record_failure("t/u", 0.0, policy)
    assert lockouts.locked_until("t/u") == 0.0
    assert lockouts.record_failure("t/u", 1.0, policy).locked_until == 61.0
    lockouts.record_failure("t/u", 70.0, policy)
    assert lockouts.record_failure("t/u", 71.0, policy).locked_until == 71.0 + 120
    lockouts.record_success("t/u")
    assert lockouts.locked_until("t/u") == 0.0
