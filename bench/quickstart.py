"""Benchmark: `tenantlab quickstart --once`, from the command's start to its last output line.

    .venv/bin/python bench/quickstart.py [--runs 5] [--json]

One temporary data folder (TENANTLAB_HOME) for the whole run: a first, cold run creates the local
CA, the TLS and signing keys, the tenants, apps, credentials and users; then `--runs` warm runs
each start a fresh process (Python start-up and imports included), reuse everything, serve the
cloud and the ToDo API on ephemeral loopback ports, run the daemon's four steps and stop. Each
run is timed from just before the process is spawned to the moment its last line is read (and to
its exit); the median, min and max of the warm runs are reported. Target: warm median < 5 s.
Nothing is written outside the temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TENANTLAB = HERE.parent / ".venv" / "bin" / "tenantlab"


def one_run(home: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(TENANTLAB), "quickstart", "--once", "--port", "0", "--todo-port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    last_line_at = started
    lines = 0
    summary = ""
    for line in process.stdout:
        last_line_at = time.perf_counter()
        lines += 1
        if line.startswith("quickstart: "):
            summary = line.strip()
    code = process.wait(timeout=120)
    exited_at = time.perf_counter()
    if code != 0:
        raise SystemExit(f"tenantlab quickstart --once exited {code}: {summary or 'no summary'}")
    return {
        "last_line_s": round(last_line_at - started, 3),
        "exit_s": round(exited_at - started, 3),
        "lines": lines,
        "summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs (default 5)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if not TENANTLAB.exists():
        raise SystemExit(f"{TENANTLAB} not found: run scripts/bootstrap first")
    home = Path(tempfile.mkdtemp(prefix="tenantlab-bench-quickstart-"))
    try:
        cold = one_run(home)
        warm = [one_run(home) for _ in range(args.runs)]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    last = [r["last_line_s"] for r in warm]
    result = {
        "cold": cold,
        "warm_runs": warm,
        "warm_last_line_median_s": round(statistics.median(last), 3),
        "warm_last_line_min_s": min(last),
        "warm_last_line_max_s": max(last),
        "warm_exit_median_s": round(statistics.median(r["exit_s"] for r in warm), 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"cold (first run, keys and tenants created): {cold['last_line_s']:.2f} s to last line")
    for index, run in enumerate(warm, 1):
        print(
            f"warm run {index}: {run['last_line_s']:.2f} s to last line, exit {run['exit_s']:.2f} s"
        )
    print(
        f"warm median {result['warm_last_line_median_s']:.2f} s "
        f"(min {result['warm_last_line_min_s']:.2f}, max {result['warm_last_line_max_s']:.2f}); "
        f"target < 5 s; load average {result['load_average']} on {result['cpus']} CPUs"
    )


if __name__ == "__main__":
    main()
