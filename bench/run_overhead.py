"""Benchmark: what `tenantlab run --quickstart -- true` costs over `tenantlab up`'s start (warm).

    .venv/bin/python bench/run_overhead.py [--runs 5] [--json]

One temporary data folder (TENANTLAB_HOME) for the whole run; a first, cold `tenantlab run
--quickstart -- true` creates the local CA, the certificate for Microsoft's names, the trust
stores, the tenants and keys. Then, alternating, `--runs` times each (every one a fresh process,
Python start-up and imports included):

- `up`: `tenantlab up --port 0 --todo-port 0`, from just before the spawn to the line saying it
  serves (both servers accept connections then), after which it is stopped (not timed);
- `run`: `tenantlab run --quickstart -- true`, from just before the spawn to its exit: the same
  provisioning and servers, plus the namespaces, the hosts file, COMMAND and the shutdown;
- `run (bare)`: `tenantlab run -- true`, without the quickstart's provisioning and ToDo API.

The overhead is median(run) - median(up). Goal: < 1.5 s. Nothing is written outside the
temporary folder; `up` listens on ephemeral loopback ports only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TENANTLAB = HERE.parent / ".venv" / "bin" / "tenantlab"
GOAL_S = 1.5


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    return env


def time_run(home: Path, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(TENANTLAB), "run", *args, "--", "true"],
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"tenantlab run exited {done.returncode}: {done.stderr.strip()}")
    return elapsed


def time_up(home: Path) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(TENANTLAB), "up", "--port", "0", "--todo-port", "0"],
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    ready = None
    for line in process.stdout:
        if line.startswith("serving "):
            ready = time.perf_counter() - started
            break
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    if ready is None:
        raise SystemExit(f"tenantlab up did not say it serves (exit {process.returncode})")
    return ready


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(values), 3),
        "min_s": round(min(values), 3),
        "max_s": round(max(values), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs of each (default 5)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if not TENANTLAB.exists():
        raise SystemExit(f"{TENANTLAB} not found: run scripts/bootstrap first")
    home = Path(tempfile.mkdtemp(prefix="tenantlab-bench-run-"))
    try:
        cold = time_run(home, "--quickstart")
        up, run, bare = [], [], []
        for _ in range(args.runs):
            up.append(time_up(home))
            run.append(time_run(home, "--quickstart"))
            bare.append(time_run(home))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    result: dict[str, Any] = {
        "cold_run_s": round(cold, 3),
        "up_ready": summary(up),
        "run_quickstart_true": summary(run),
        "run_bare_true": summary(bare),
        "overhead_median_s": round(statistics.median(run) - statistics.median(up), 3),
        "goal_s": GOAL_S,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"cold `tenantlab run --quickstart -- true`: {cold:.2f} s")
    for name, key in (
        ("`tenantlab up` until it serves", "up_ready"),
        ("`tenantlab run --quickstart -- true`", "run_quickstart_true"),
        ("`tenantlab run -- true`", "run_bare_true"),
    ):
        s = result[key]
        print(f"{name}: median {s['median_s']:.2f} s (min {s['min_s']:.2f}, max {s['max_s']:.2f})")
    print(
        f"overhead of run over up: {result['overhead_median_s']:.2f} s (goal < {GOAL_S} s); "
        f"load average {result['load_average']} on {result['cpus']} CPUs"
    )


if __name__ == "__main__":
    main()
