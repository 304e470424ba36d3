"""Benchmark: the pytest plugin's costs — a fresh `tenant`, and a session's cloud start.

    .venv/bin/python bench/test_kit.py [--tenants 200] [--starts 3] [--json]

Goals (issue 13): a fresh `tenant` fixture ≤ 20 ms; a session's cloud start ≤ 1 s warm.

- Cloud start: each start is a fresh Python process (as a pytest session is) that imports what
  the fixture imports, then runs `start_cloud` into a new empty folder (what `tenantlab_cloud`
  does), then stops it. Imports are reported apart from the start. The first process finds no
  template (a temporary XDG_CACHE_HOME) and makes it: the cold start, and the floor the template
  is compared with (what every session paid before it). The next `--starts` copy it: warm.
- Tenant: `LiveCloud.new_tenant()` (the `tenant` fixture's whole body) `--tenants` times in one
  warm cloud; beside it, in the same run, a tenant with its management app made at once (what
  tenantlab's own suite asks for, and what every tenant cost before the plugin), and the cost of
  the common next line, `tenant.app("daemon", secret=True, roles={api: [...]})`, and (20
  samples) the tenant's first token through MSAL, which pays for the tenant's signing key (an
  RSA-2048 generation, made at first use in the test kit's cloud).

Nothing is written outside temporary folders.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def child() -> None:
    """One session's cloud start, in this fresh process; prints its timings as JSON."""
    started = time.perf_counter()
    import tenantlab.graph.app
    import tenantlab.portal.app
    import tenantlab.server
    import tenantlab.sts.app
    import tenantlab.testing.live  # noqa: F401  (uvicorn: what starting the cloud imports)
    from tenantlab.testing.cloud import start_cloud

    imported = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "tenantlab"
        with start_cloud(home):
            up = time.perf_counter()
        down = time.perf_counter()
    print(
        json.dumps(
            {
                "imports_s": round(imported - started, 3),
                "start_s": round(up - imported, 3),
                "stop_s": round(down - up, 3),
            }
        )
    )


def session_start(cache: Path) -> dict[str, Any]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    env = {k: v for k, v in env.items() if not k.startswith("TENANTLAB_")}
    done = subprocess.run(
        [sys.executable, __file__, "--child"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def millis(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1] * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
        "n": len(ordered),
    }


def tenant_costs(count: int, cache: Path) -> dict[str, Any]:
    os.environ["XDG_CACHE_HOME"] = str(cache)
    from tenantlab.testing.cloud import start_cloud

    plain: list[float] = []
    managed: list[float] = []
    apps: list[float] = []
    first_tokens: list[float] = []
    with tempfile.TemporaryDirectory() as folder, start_cloud(Path(folder) / "t") as cloud:
        for _ in range(5):  # first-call work (statement caches) is not a fixture's cost
            cloud.new_tenant()
        for index in range(count):
            # Alternate the two kinds, so load from elsewhere on the machine hits both alike.
            began = time.perf_counter()
            if index % 2:
                cloud.management_apps = True
                cloud.new_tenant()
                managed.append(time.perf_counter() - began)
                continue
            cloud.management_apps = False
            tenant = cloud.new_tenant()
            plain.append(time.perf_counter() - began)
            api = tenant.api("orders-api", roles=["Orders.Read"])
            began = time.perf_counter()
            daemon = tenant.app("daemon", secret=True, roles={api: ["Orders.Read"]})
            apps.append(time.perf_counter() - began)
            if len(first_tokens) < 20:  # MSAL round trips: a sample is enough
                began = time.perf_counter()
                daemon.token(api)
                first_tokens.append(time.perf_counter() - began)
    return {
        "tenant": millis(plain),
        "tenant_with_management_app": millis(managed),
        "app_with_secret_and_role": millis(apps),
        "first_token_of_a_tenant": millis(first_tokens),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    with tempfile.TemporaryDirectory() as cache_folder:
        cache = Path(cache_folder)
        cold = session_start(cache)
        warm = [session_start(cache) for _ in range(args.starts)]
        tenants = tenant_costs(args.tenants * 2, cache)
    report = {
        "load_average": os.getloadavg()[0],
        "cloud_start_cold": cold,
        "cloud_start_warm": {
            key: round(statistics.median(run[key] for run in warm), 3)
            for key in ("imports_s", "start_s", "stop_s")
        },
        "cloud_start_warm_runs": [run["start_s"] for run in warm],
        **tenants,
        "goals": {
            "tenant_median_ms<=20": tenants["tenant"]["median_ms"] <= 20,
            "warm_start_s<=1": statistics.median(run["start_s"] for run in warm) <= 1,
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"load average {report['load_average']:.1f}")
    print(f"cloud start, cold (makes the template): {cold}")
    print(f"cloud start, warm (median of {args.starts}): {report['cloud_start_warm']}")
    for key in (
        "tenant",
        "tenant_with_management_app",
        "app_with_secret_and_role",
        "first_token_of_a_tenant",
    ):
        print(f"{key}: {tenants[key]}")
    print(f"goals: {report['goals']}")


if __name__ == "__main__":
    main()
