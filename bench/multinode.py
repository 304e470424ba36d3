"""Benchmark: the token endpoint through nginx on 1, 2 and 3 nodes (PostgreSQL + Redis) against one
node on SQLite, and 2 workers against 1, in one run.

    .venv/bin/python bench/multinode.py [--duration 10] [--conns 16] [--reps 1]

Every configuration is the deployment of docs/deployment.md, built by the multi-node tests' own
helpers (tests/integration/multinode.py): `tenantlab serve --http` nodes with their own data
folders behind nginx (deploy/nginx/tenantlab.conf.template, TLS ended there), a private
PostgreSQL and Redis. The load is wrk (`-t1 -cN`, client-credentials POSTs with a secret, the
peers' post.lua shape) against nginx's https origin, after a 3 s warm-up. Reported per
configuration: tokens/s (2xx per second) and the nodes' CPU time per token (utime + stime of each
node process and its workers, from /proc), which does not depend on what else the 2 cores run.
Every load run is bounded by wrk's -d and a timeout, and only targets 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests"), str(HERE.parent / "tests" / "integration")]
from multinode import Cluster, fresh_database, running_cluster  # noqa: E402
from nodes import tenantlab  # noqa: E402
from token_endpoint import cpu_seconds  # noqa: E402  (a node and its workers, from /proc)

from pgcluster import PrivateCluster  # noqa: E402
from redisserver import RedisServer  # noqa: E402

EXAMPLE = HERE.parent / "examples" / "contoso.yaml"
LUA = """wrk.method = "POST"
wrk.body = os.getenv("FORM") or ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
"""


def wrk(url: str, form: str, conns: int, seconds: int, lua: Path) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "5s", "-s", str(lua), url]
    output = subprocess.run(
        command,
        env={**os.environ, "FORM": form},
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    assert done is not None, output
    unit = {"ms": 0.001, "s": 1.0, "m": 60.0}[done.group(3)]
    requests, duration = int(done.group(1)), float(done.group(2)) * unit
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    failed = int(bad.group(1)) if bad else 0
    return {"ok": requests - failed, "failed": failed, "seconds": duration}


@contextmanager
def seeded_cluster(
    folder: Path, database_url: str, redis_url: str, nodes: int, workers: int
) -> Iterator[tuple[Cluster, str, str]]:
    with running_cluster(
        folder,
        database_url,
        redis_url,
        nodes=nodes,
        node_args=("--workers", str(workers), "--log-level", "warning"),
        nginx_workers=2,
    ) as cluster:
        report = json.loads(tenantlab(cluster.env(0), "seed", str(EXAMPLE), "--json").stdout)
        secret = next(s for s in report["secrets"] if s["appDisplayName"] == "ToDo Daemon")
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": secret["appId"],
                "client_secret": secret["secretText"],
                "scope": "https://graph.microsoft.com/.default",
            }
        )
        yield cluster, f"{cluster.public_url}/{secret['tenantId']}/oauth2/v2.0/token", form


def measure(
    label: str,
    folder: Path,
    postgres_url: str,
    redis_url: str,
    *,
    nodes: int,
    workers: int,
    args: argparse.Namespace,
    lua: Path,
) -> dict[str, Any]:
    runs = []
    for rep in range(args.reps):
        # Each repetition on a fresh database: its load balancer's port is a new public origin.
        with (
            fresh_database(postgres_url) if postgres_url else nullcontext("") as database_url,
            seeded_cluster(
                folder / f"{re.sub(r'[^a-z0-9]+', '-', label.lower())}-{rep}",
                database_url,
                redis_url,
                nodes,
                workers,
            ) as (
                cluster,
                url,
                form,
            ),
        ):
            wrk(url, form, 8, 3, lua)  # warm-up: snapshots, keys, pools, TLS sessions
            pids = [node.process.pid for node in cluster.nodes]
            before = sum(cpu_seconds(pid) for pid in pids)
            result = wrk(url, form, args.conns, args.duration, lua)
            cpu = sum(cpu_seconds(pid) for pid in pids) - before
            runs.append(
                {
                    "tokens_per_s": result["ok"] / result["seconds"],
                    "cpu_us_per_token": cpu / max(result["ok"], 1) * 1e6,
                    "failed": result["failed"],
                }
            )
    row = {
        "config": label,
        "nodes": nodes,
        "workers": workers,
        "tokens_per_s": statistics.median(r["tokens_per_s"] for r in runs),
        "cpu_us_per_token": statistics.median(r["cpu_us_per_token"] for r in runs),
        "failed": sum(r["failed"] for r in runs),
    }
    print(
        f"{label:<28} {row['tokens_per_s']:8.0f} tokens/s  "
        f"{row['cpu_us_per_token']:7.0f} µs CPU/token  failed={row['failed']}",
        flush=True,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--conns", type=int, default=16)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--out", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: scripts/system-deps installs it", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="tenantlab-bench-multinode-"))
    lua = scratch / "post.lua"
    lua.write_text(LUA)
    run_as = "postgres" if os.geteuid() == 0 else None
    # Its own temporary folder: PostgreSQL runs as `postgres` when we are root.
    postgres = PrivateCluster(Path(tempfile.mkdtemp(prefix="tenantlab-bench-pg-")), run_as)
    redis = RedisServer(scratch / "redis")
    (scratch / "redis").mkdir()
    rows = []
    try:
        problem = postgres.start()
        if problem:
            print(f"PostgreSQL did not start: {problem}", file=sys.stderr)
            return 1
        redis.start()
        # SQLite: one node, its own file (the database URL left empty means the data folder's).
        rows.append(
            measure("1 node SQLite", scratch, "", "", nodes=1, workers=1, args=args, lua=lua)
        )
        for nodes in (1, 2, 3):
            rows.append(
                measure(
                    f"{nodes} node(s) PostgreSQL+Redis",
                    scratch,
                    postgres.url,
                    redis.url,
                    nodes=nodes,
                    workers=1,
                    args=args,
                    lua=lua,
                )
            )
        rows.append(
            measure(
                "1 node PG+Redis, 2 workers",
                scratch,
                postgres.url,
                redis.url,
                nodes=1,
                workers=2,
                args=args,
                lua=lua,
            )
        )
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(postgres.folder, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    sqlite, one_pg, two_workers = rows[0], rows[1], rows[-1]
    print(
        f"CPU per token, PostgreSQL vs SQLite: "
        f"{one_pg['cpu_us_per_token'] / sqlite['cpu_us_per_token']:.2f}x; "
        f"2 workers vs 1: {two_workers['tokens_per_s'] / one_pg['tokens_per_s']:.2f}x tokens/s"
    )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
