"""Benchmark: Graph's `GET /v1.0/users?$top=100` on tenants of 1,000 and 100,000 users.

    .venv/bin/python bench/graph_users.py [--users 100000] [--small 1000] [--duration 10]
        [--conns 8] [--rounds 3] [--home DIR] [--out FILE]

What it does, all on 127.0.0.1 and bounded in time:

1. seeds two tenants in a fresh data folder, `small` (1,000 users) and `large` (100,000 users),
   with one bulk insert each (SQLAlchemy Core executemany; seeding is not what is measured);
2. starts the cloud app the way `tenantlab serve` does (uvicorn, uvloop, httptools, TLS with the
   local CA) in a child process pinned to CPU 0 when the machine has two or more;
3. gets a Graph token for each tenant's management app from the token service (a real
   client-credentials request), then runs `wrk -t1 -c{conns} -d{duration}s --latency`, pinned to
   CPU 1, against: page 1 of `small`; page 1 of `large`; a page deep inside `large` (a
   `$skiptoken` cursor near the end); and page 1 of `large` ordered by displayName;
4. pages through every user of `large` end to end with `$top=999` (one client, following
   `@odata.nextLink` verbatim), and reports the seconds taken and the users seen;
5. serves the floor (`bench/graph_floor.py`: a bare FastAPI endpoint, one Core keyset select of
   the same rows from the same SQLite file) on the same core, checks that its first and deep
   pages are byte-identical to Graph's, and runs the same wrk rounds against it, alternating
   with Graph's, so both see the same machine; reports Graph/floor ratios per round.

Output: one JSON document (stdout, and `--out`) with requests/s, p50 and p99 for each target, and
the server's CPU time per request (from /proc: what other load on a shared machine cannot skew).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

SMALL_TENANT = "5a11c0de-0000-4000-8000-000000001000"
LARGE_TENANT = "1a26e0de-0000-4000-8000-000000100000"
FIRST = ("Adele", "Bianca", "Cecil", "Diego", "Emily", "Grady", "Henrietta", "Isaiah", "Joni")
LAST = ("Vance", "Pizzaro", "Folk", "Siciliani", "Braun", "Archie", "Mueller", "Langer", "Sherman")


def seed(home: Path, tenant_id: str, domain: str, count: int) -> None:
    from sqlalchemy import insert

    from tenantlab.config import PlatformSettings
    from tenantlab.ids import new_guid
    from tenantlab.platform import Platform
    from tenantlab.storage.database import bump_revision
    from tenantlab.storage.schema import User

    platform = Platform.open(PlatformSettings(home=home))
    try:
        platform.directory.create_tenant(display_name=domain, domain=domain, tenant_id=tenant_id)
        full_domain = f"{domain}.onmicrosoft.com"
        now = time.time()
        rows = []
        for i in range(count):
            first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
            alias = f"{first.lower()}.{last.lower()}.{i}"
            rows.append(
                {
                    "id": new_guid(),
                    "tenant_id": tenant_id,
                    "user_principal_name": f"{alias}@{full_domain}",
                    "upn_key": f"{alias}@{full_domain}",
                    "display_name": f"{first} {last} {i}",
                    "mail_nickname": alias,
                    "given_name": first,
                    "surname": last,
                    "mail": f"{alias}@{full_domain}",
                    "job_title": "Engineer",
                    "business_phones": [],
                    "account_enabled": True,
                    "user_type": "Member",
                    "created_at": now,
                }
            )
        with platform.database.session() as session:
            for start in range(0, len(rows), 10_000):
                session.execute(insert(User), rows[start : start + 10_000])
            bump_revision(session)
        platform.keys.active(tenant_id)
    finally:
        platform.close()


def serve(home: Path, port: int) -> None:
    import uvicorn

    from tenantlab.config import PlatformSettings
    from tenantlab.keys import ensure_tls
    from tenantlab.platform import Platform
    from tenantlab.server import create_cloud_app

    files = ensure_tls(home)
    settings = PlatformSettings(home=home, port=port, public_url=f"https://localhost:{port}")
    platform = Platform.open(settings)
    config = uvicorn.Config(
        create_cloud_app(platform),
        host="127.0.0.1",
        port=port,
        ssl_certfile=str(files.server_cert),
        ssl_keyfile=str(files.server_key),
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="off",
    )
    import gc

    gc.collect()
    gc.freeze()  # as `tenantlab serve` does after start-up
    uvicorn.Server(config).run()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(origin: str, context: ssl.SSLContext, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{origin}/v1.0/users", context=context, timeout=5)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer (here a 401) means it is serving
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def graph_token(origin: str, home: Path, tenant_id: str, context: ssl.SSLContext) -> str:
    credentials = json.loads((home / "tenants" / tenant_id / "management-app.json").read_text())
    form = urllib.parse.urlencode(
        {
            "client_id": credentials["clientId"],
            "client_secret": credentials["clientSecret"],
            "grant_type": "client_credentials",
            "scope": "https://graph.microsoft.com/.default",
        }
    ).encode()
    url = f"{origin}/{tenant_id}/oauth2/v2.0/token"
    with urllib.request.urlopen(url, data=form, context=context, timeout=30) as response:
        return str(json.loads(response.read())["access_token"])


def get_bytes(url: str, token: str, context: ssl.SSLContext) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, context=context, timeout=60) as response:
        return bytes(response.read())


def get_json(url: str, token: str, context: ssl.SSLContext) -> dict[str, Any]:
    return json.loads(get_bytes(url, token, context))  # type: ignore[no-any-return]


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (robust to other load on the machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(
    url: str, token: str, conns: int, duration: int, cpu: str | None, server: int
) -> dict[str, Any]:
    command = [
        "wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--timeout", "5s", "--latency",
        "-H", f"Authorization: Bearer {token}", url,
    ]  # fmt: skip
    if cpu is not None:
        command = ["taskset", "-c", cpu, *command]
    cpu_before = cpu_seconds(server)
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 30, check=True
    ).stdout
    cpu_used = cpu_seconds(server) - cpu_before
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    percentiles = {}
    for name, text in latency.items():
        number, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
        percentiles[f"p{name}_ms"] = round(_ms(number, unit), 2)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "requests_per_s": round(rate, 1),
        **percentiles,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "server_cpu_ms_per_request": round(1000 * cpu_used / max(total, 1), 2),
    }


def page_everything(origin: str, token: str, context: ssl.SSLContext) -> dict[str, Any]:
    url = f"{origin}/v1.0/users?$top=999&$select=id,displayName"
    seen: set[str] = set()
    pages = 0
    started = time.perf_counter()
    while url:
        body = get_json(url, token, context)
        seen.update(user["id"] for user in body["value"])
        pages += 1
        url = body.get("@odata.nextLink", "")
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "users": len(seen),
        "pages": pages,
    }


def deep_url(origin: str, token: str, context: ssl.SSLContext, users: int) -> str:
    """A cursor 99 % of the way into the large tenant (for 100,000 users: page 990 of 1,000)."""
    url = f"{origin}/v1.0/users?$top=999&$select=id"
    for _ in range(int(users * 0.99) // 999):
        url = get_json(url, token, context)["@odata.nextLink"]
    skiptoken = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["$skiptoken"][0]
    return f"{origin}/v1.0/users?$top=100&$skiptoken={urllib.parse.quote(skiptoken)}"


def ratios(measured: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Graph against the floor in one round: requests/s and p99 ratios, deep page vs first."""
    graph, floor = measured["graph_first_page_large"], measured["floor_first_page_large"]
    deep = measured["graph_deep_page_large"]
    return {
        "first_page_rps_vs_floor": round(graph["requests_per_s"] / floor["requests_per_s"], 3),
        "first_page_p99_vs_floor": round(graph["p99_ms"] / floor["p99_ms"], 2),
        "first_page_cpu_vs_floor": round(
            graph["server_cpu_ms_per_request"] / floor["server_cpu_ms_per_request"], 2
        ),
        "deep_page_rps_vs_floor": round(
            deep["requests_per_s"] / measured["floor_deep_page_large"]["requests_per_s"], 3
        ),
        "deep_vs_first_page_rps": round(deep["requests_per_s"] / graph["requests_per_s"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # child: serve on this port
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="graph-bench-"))
    if args.serve:
        serve(home, args.serve)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    started = time.perf_counter()
    seed(home, SMALL_TENANT, "small", args.small)
    seed(home, LARGE_TENANT, "large", args.users)
    seeding = round(time.perf_counter() - started, 1)
    from tenantlab.keys import ensure_tls

    ca_cert = ensure_tls(home).ca_cert  # before the server starts, which reuses it
    pin = (os.cpu_count() or 1) >= 2
    port = free_port()
    origin = f"https://localhost:{port}"
    server_command = [sys.executable, __file__, "--home", str(home), "--serve", str(port)]
    if pin:
        server_command = ["taskset", "-c", "0", *server_command]
    server = subprocess.Popen(server_command)
    floor_port = free_port()
    floor_origin = f"https://localhost:{floor_port}"
    floor_command = [
        sys.executable, str(Path(__file__).with_name("graph_floor.py")), "--home", str(home),
        "--port", str(floor_port), "--tenant", LARGE_TENANT, "--origin", origin,
    ]  # fmt: skip
    if pin:
        floor_command = ["taskset", "-c", "0", *floor_command]
    floor = subprocess.Popen(floor_command)
    try:
        context = ssl.create_default_context(cafile=str(ca_cert))
        wait_until_up(origin, context, time.monotonic() + 60)
        wait_until_up(floor_origin, context, time.monotonic() + 60)
        small = graph_token(origin, home, SMALL_TENANT, context)
        large = graph_token(origin, home, LARGE_TENANT, context)
        cpu = "1" if pin else None
        first_page = f"{origin}/v1.0/users?$top=100"
        deep_page = deep_url(origin, large, context, args.users)
        floor_first = first_page.replace(origin, floor_origin)
        floor_deep = deep_page.replace(origin, floor_origin)
        for graph_url, floor_url in ((first_page, floor_first), (deep_page, floor_deep)):
            if get_bytes(graph_url, large, context) != get_bytes(floor_url, large, context):
                raise SystemExit(f"the floor's answer differs from Graph's for {graph_url}")

        def run(url: str, token: str, pid: int) -> dict[str, Any]:
            return wrk(url, token, args.conns, args.duration, cpu, pid)

        wrk(first_page, large, args.conns, 3, cpu, server.pid)  # warm-up
        wrk(floor_first, large, args.conns, 3, cpu, floor.pid)
        rounds = []
        for _ in range(args.rounds):
            measured = {
                "graph_first_page_large": run(first_page, large, server.pid),
                "floor_first_page_large": run(floor_first, large, floor.pid),
                "graph_deep_page_large": run(deep_page, large, server.pid),
                "floor_deep_page_large": run(floor_deep, large, floor.pid),
            }
            measured["ratios"] = ratios(measured)
            rounds.append(measured)
        results: dict[str, Any] = {
            "users": {"small": args.small, "large": args.users},
            "seeding_s": seeding,
            "conns": args.conns,
            "duration_s": args.duration,
            "uptime": Path("/proc/loadavg").read_text().strip(),
            "rounds": rounds,
            "first_page_small": run(first_page, small, server.pid),
            "ordered_page_large": run(first_page + "&$orderby=displayName", large, server.pid),
            "page_all_large_top999": page_everything(origin, large, context),
        }
    finally:
        for process in (server, floor):
            process.terminate()
            process.wait(timeout=30)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if args.home is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
