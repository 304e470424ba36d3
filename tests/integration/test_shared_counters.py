"""Counters shared through a real Redis: N per window is N across processes, and Redis going away
degrades limits to per-node counting with one warning, never to failed requests."""

from __future__ import annotations

import logging
import subprocess
import sys
import time

import pytest

from redisserver import RedisServer
from tenantlab.directory import LockoutPolicy
from tenantlab.storage.counters import RedisCounters
from tenantlab.sts.lockout import SharedLockouts

pytestmark = pytest.mark.integration

# One process of the three: once told to go, charge one unit at a time from 4 threads until 120
# attempts are done, and print how many were admitted.
CHARGER = """
import sys, time
from concurrent.futures import ThreadPoolExecutor
from tenantlab.storage.counters import RedisCounters
url, limit = sys.argv[1], int(sys.argv[2])
counters = RedisCounters(url)
counters.client.ping()
def attempt(_):
    return counters.charge("graph-throttle:t:a", 1, limit=limit, window=60, now=time.time())
print("ready", flush=True)
sys.stdin.readline()
with ThreadPoolExecutor(4) as pool:
    uses = list(pool.map(attempt, range(120)))
assert all(use.retry_after > 0 for use in uses)
print(sum(use.allowed for use in uses))
"""


def test_a_limit_admits_exactly_n_across_three_processes(redis_server: RedisServer) -> None:
    limit = 100
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CHARGER, redis_server.url, str(limit)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for process in processes:  # all three connected before any charges
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    admitted = [int(process.communicate(timeout=60)[0]) for process in processes]
    assert all(process.returncode == 0 for process in processes)
    assert sum(admitted) == limit, admitted
    assert all(count > 0 for count in admitted), admitted  # they really raced


def test_lockouts_are_one_record_whichever_node_counts(redis_server: RedisServer) -> None:
    policy = LockoutPolicy(threshold=4, duration_seconds=60)
    nodes = [SharedLockouts(RedisCounters(redis_server.url)) for _ in range(2)]
    for index in range(3):
        nodes[index % 2].record_failure("t/adele", 100.0, policy)
    assert nodes[0].locked_until("t/adele") == 0.0
    assert nodes[1].record_failure("t/adele", 100.0, policy).locked_until == 160.0
    assert nodes[0].locked_until("t/adele") == 160.0
    nodes[0].record_success("t/adele")
    assert nodes[1].locked_until("t/adele") == 0.0


def test_without_redis_limits_are_counted_per_node_with_one_warning(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tenantlab.storage.counters.RETRY_SECONDS", 0.2)
    counters = RedisCounters(redis_server.url)
    assert counters.charge("k", 3, limit=5, window=60, now=0.0).used == 3
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="tenantlab.counters"):
        uses = [counters.charge("k", 1, limit=5, window=60, now=1.0) for _ in range(7)]
        time.sleep(0.3)  # past the retry interval: Redis is tried again, and still missing
        counters.charge("k", 1, limit=5, window=60, now=1.0)
    assert [use.allowed for use in uses] == [True] * 5 + [False] * 2  # this node's own count
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "unreachable" in warnings[0]
    assert "per node" in warnings[0]
    redis_server.start()
    time.sleep(0.3)
    with caplog.at_level(logging.WARNING, logger="tenantlab.counters"):
        back = counters.charge("k", 1, limit=5, window=60, now=2.0)
    assert (back.allowed, back.used) == (True, 1)  # a new Redis: the shared window starts again
    assert "answers again" in caplog.records[-1].getMessage()
