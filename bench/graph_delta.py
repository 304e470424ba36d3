"""Benchmark: `/users/delta` initial sync of a 100,000-user tenant, and an incremental round.

    .venv/bin/python bench/graph_delta.py [--users 100000] [--changes 1000] [--rounds 3]
        [--home DIR] [--out FILE]

What it does, all on 127.0.0.1:

1. seeds a tenant of `--users` users with one bulk insert (`graph_users.seed`; not measured);
2. starts the cloud app the way `tenantlab serve` does (`graph_users.serve`: uvicorn, uvloop,
   httptools, TLS with the local CA), pinned to CPU 0 when the machine has two or more;
3. gets a Graph token for the tenant's management app (a real client-credentials request);
4. per round, with one keep-alive HTTPS connection (as the SDKs keep one), following each
   `@odata.nextLink` verbatim to the `@odata.deltaLink`:
   - the peer in the same run: every user through `GET /users?$top=999&$select=id,displayName`
     (the cheapest full read Graph has);
   - the initial delta sync with `$select=id,displayName` at the default page size (100) and
     with `Prefer: odata.maxpagesize=999`;
5. then `--changes` users are updated through the directory (as Graph or the CLI would), and the
   incremental round from the last deltaLink is timed; it must return exactly those users.

Output: one JSON document (stdout, and `--out`) with seconds, pages and users for each, the
server's CPU seconds, and the delta/peer ratio per round.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).parent))

from graph_users import (  # a sibling script, not a package
    LARGE_TENANT,
    cpu_seconds,
    free_port,
    graph_token,
    seed,
    serve,
    wait_until_up,
)


class Session:
    """One keep-alive HTTPS connection, as a Graph SDK holds one."""

    def __init__(self, origin: str, token: str, context: ssl.SSLContext) -> None:
        parts = urlsplit(origin)
        self.connection = http.client.HTTPSConnection(
            parts.hostname or "localhost", parts.port, context=context, timeout=60
        )
        self.token = token

    def get(self, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.connection.request(
            "GET", target, headers={"Authorization": f"Bearer {self.token}", **(headers or {})}
        )
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{url}: {response.status} {body[:300]!r}")
        return json.loads(body)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.connection.close()


def walk(
    session: Session, url: str, headers: dict[str, str] | None = None
) -> tuple[dict[str, Any], str | None, set[str]]:
    """Follow nextLinks to the end: (timings, the deltaLink if any, the ids seen)."""
    seen: set[str] = set()
    pages = 0
    started = time.perf_counter()
    while True:
        body = session.get(url, headers)
        seen.update(item["id"] for item in body["value"])
        pages += 1
        if "@odata.nextLink" not in body:
            break
        url = body["@odata.nextLink"]
    took = {"seconds": round(time.perf_counter() - started, 2), "pages": pages, "users": len(seen)}
    return took, body.get("@odata.deltaLink"), seen


def change_users(home: Path, count: int) -> set[str]:
    """Update `count` users through the directory, as Graph's PATCH or the CLI would."""
    from sqlalchemy import select

    from tenantlab.config import PlatformSettings
    from tenantlab.platform import Platform
    from tenantlab.storage.schema import User

    platform = Platform.open(PlatformSettings(home=home))
    try:
        with platform.database.session() as session:
            ids = list(
                session.scalars(
                    select(User.id)
                    .where(User.tenant_id == LARGE_TENANT)
                    .order_by(User.upn_key)
                    .limit(count)
                )
            )
        for user_id in ids:
            platform.directory.update_user(
                tenant=LARGE_TENANT, key=user_id, display_name=f"Renamed {user_id[:8]}"
            )
        return set(ids)
    finally:
        platform.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # child: serve on this port
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="graph-delta-bench-"))
    if args.serve:
        serve(home, args.serve)
        return
    started = time.perf_counter()
    seed(home, LARGE_TENANT, "large", args.users)
    seeding = round(time.perf_counter() - started, 1)
    from tenantlab.keys import ensure_tls

    ca_cert = ensure_tls(home).ca_cert
    port = free_port()
    origin = f"https://localhost:{port}"
    command = [sys.executable, __file__, "--home", str(home), "--serve", str(port)]
    if (os.cpu_count() or 1) >= 2:
        command = ["taskset", "-c", "0", *command]
    server = subprocess.Popen(command)
    try:
        context = ssl.create_default_context(cafile=str(ca_cert))
        wait_until_up(origin, context, time.monotonic() + 60)
        session = Session(origin, graph_token(origin, home, LARGE_TENANT, context), context)
        big_pages = {"Prefer": "odata.maxpagesize=999"}
        rounds = []
        delta_link = None
        for _ in range(args.rounds):
            measured: dict[str, Any] = {}
            listing = f"{origin}/v1.0/users?$top=999&$select=id,displayName"
            delta = f"{origin}/v1.0/users/delta?$select=id,displayName"
            for name, url, headers in (
                ("peer_list_top999", listing, None),
                ("delta_initial_default_pages", delta, None),
                ("delta_initial_pages_999", delta, big_pages),
            ):
                cpu_before = cpu_seconds(server.pid)
                took, link, seen = walk(session, url, headers)
                took["server_cpu_s"] = round(cpu_seconds(server.pid) - cpu_before, 2)
                if len(seen) != args.users:
                    raise SystemExit(f"{name}: saw {len(seen)} users, not {args.users}")
                measured[name] = took
                delta_link = link or delta_link
            peer = measured["peer_list_top999"]["seconds"]
            measured["delta_default_over_peer"] = round(
                measured["delta_initial_default_pages"]["seconds"] / peer, 2
            )
            measured["delta_999_over_peer"] = round(
                measured["delta_initial_pages_999"]["seconds"] / peer, 2
            )
            rounds.append(measured)
            print(json.dumps(measured), file=sys.stderr)
        assert delta_link is not None
        session.close()
        changed = change_users(home, args.changes)
        # a new connection: the server closed the idle one while the users changed
        session = Session(origin, session.token, context)
        cpu_before = cpu_seconds(server.pid)
        took, _, seen = walk(session, delta_link)
        took["server_cpu_s"] = round(cpu_seconds(server.pid) - cpu_before, 2)
        if seen != changed:
            raise SystemExit(f"the incremental round saw {len(seen)} users, not the {len(changed)}")
        session.close()
        results = {
            "users": args.users,
            "seeding_s": seeding,
            "uptime": Path("/proc/loadavg").read_text().strip(),
            "rounds": rounds,
            "incremental_after_changes": {"changes": args.changes, **took},
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if args.home is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
