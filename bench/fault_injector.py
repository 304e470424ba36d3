"""Benchmark: what the fault injector in front of the cloud app costs a request, in process.

    .venv/bin/python bench/fault_injector.py [--requests 200000] [--rounds 5]

The floor is a trivial ASGI app answering 200 by itself. Against it, the same app behind
`FaultInjector` with (a) no fault: the case of every server nobody is testing with; (b) a fault
for another tenant on the token endpoint: the path is classified and the candidates looked up,
then the request goes on; (c) the same with a `client_id` fault, where the token request's form
is read and replayed to the app. Rounds interleave the four so a busy machine slows them alike;
the median ns per request of each, and its extra cost over the floor, are printed. For scale: a
token costs the server ~325 µs of CPU (docs/performance.md, token endpoint).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from tenantlab.clock import ControlledClock
from tenantlab.faults.injector import FaultInjector
from tenantlab.faults.registry import FaultRegistry

BODY = b"grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555&scope=x"
SCOPE: dict[str, Any] = {
    "type": "http",
    "method": "POST",
    "path": "/contoso.onmicrosoft.com/oauth2/v2.0/token",
    "query_string": b"",
    "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
}


async def floor_app(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": BODY, "more_body": False}


async def send(message: Any) -> None:
    return None


def variants() -> dict[str, Any]:
    clock = ControlledClock()
    empty = FaultRegistry()
    other_tenant = FaultRegistry()
    other_tenant.add("token", tenant="fabrikam.onmicrosoft.com")
    other_client = FaultRegistry()
    other_client.add("token", client_id="99999999-2222-3333-4444-555555555555")
    return {
        "floor (the app alone)": floor_app,
        "injector, no fault": FaultInjector(floor_app, empty, clock),
        "injector, a fault for another tenant": FaultInjector(floor_app, other_tenant, clock),
        "injector, a fault for another client": FaultInjector(floor_app, other_client, clock),
    }


async def time_one(app: Any, requests: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(requests):
        await app(SCOPE, receive, send)
    return (time.perf_counter_ns() - started) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    apps = variants()
    results: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.rounds):
        for name, app in apps.items():
            results[name].append(asyncio.run(time_one(app, args.requests)))
    floor = statistics.median(results["floor (the app alone)"])
    print(f"{'variant':42} {'ns/request':>11} {'over floor':>11}")
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"{name:42} {median:11.0f} {median - floor:11.0f}")


if __name__ == "__main__":
    main()
