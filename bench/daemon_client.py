"""Benchmark: the daemon's client — cached token acquisition and ToDo GETs per second.

    .venv/bin/python bench/daemon_client.py [--duration 5] [--rounds 3] [--calls 200000]

A subprocess (pinned to CPU 1) runs the emulated cloud and the ToDo API under uvicorn with TLS on
ephemeral loopback ports and registers a tenant, the API and a daemon with a secret. This process
(pinned to CPU 0) then measures, in the same run:

1. cached token acquisition, µs per call: the daemon's `TokenProvider.token()` (memo hit) and,
   for comparison, MSAL's own `acquire_token_for_client` answered from its cache;
2. sequential `GET /api/todolist` per second through the daemon's client (one httpx client,
   connection reused, token cached) vs a naive loop that builds a new MSAL app per call (OpenID
   discovery + token request + a new HTTPS connection each time), alternating for `--rounds`.

Everything targets loopback and every measurement is bounded by --duration or --calls.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def serve(home: Path) -> None:
    """The server side: cloud + ToDo API, registrations, then wait until stdin closes."""
    from tenantlab.config import PlatformSettings
    from tenantlab.keys import ensure_tls
    from tenantlab.platform import Platform
    from tenantlab.server import create_cloud_app
    from tenantlab.testing import serve_in_thread
    from tenantlab.todo import TodoApiSettings, build_app

    tls = ensure_tls(home)
    holder: dict[str, Platform] = {}

    def cloud_factory(port: int) -> Any:
        settings = PlatformSettings(home=home, port=port, public_url=f"https://localhost:{port}")
        holder["platform"] = Platform.open(settings)
        return create_cloud_app(holder["platform"])

    with serve_in_thread(cloud_factory, certfile=tls.server_cert, keyfile=tls.server_key) as cloud:
        directory = holder["platform"].directory
        tenant = directory.create_tenant(display_name="Bench", domain="bench")
        api = directory.create_application(
            tenant=tenant.id,
            display_name="ToDo API",
            identifier_uris=["api://{appId}"],
            requested_access_token_version=2,
        )
        for role in ("ToDoList.Read.All", "ToDoList.ReadWrite.All"):
            directory.add_app_role(tenant=tenant.id, app=api.app_id, value=role)
        daemon = directory.create_application(tenant=tenant.id, display_name="Daemon")
        secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
        for role in ("ToDoList.Read.All", "ToDoList.ReadWrite.All"):
            directory.grant_app_role(
                tenant=tenant.id, client=daemon.app_id, resource=api.app_id, role=role
            )
        todo_settings = TodoApiSettings(
            instance=cloud.origin,
            tenant_id=tenant.id,
            client_id=api.app_id,
            ca_bundle=tls.ca_bundle,
            database_url=f"sqlite:///{home / 'todo.db'}",
            home=home,
        )
        with serve_in_thread(
            lambda _port: build_app(todo_settings),
            certfile=tls.server_cert,
            keyfile=tls.server_key,
        ) as todo:
            print(
                json.dumps(
                    {
                        "authority": f"{cloud.origin}/{tenant.id}",
                        "client_id": daemon.app_id,
                        "secret": secret,
                        "api_endpoint": f"{todo.origin}/api/todolist",
                        "api_scope": f"api://{api.app_id}/.default",
                        "ca_bundle": str(tls.ca_bundle),
                    }
                ),
                flush=True,
            )
            sys.stdin.read()
    holder["platform"].close()


def per_call_us(function: Any, calls: int) -> float:
    for _ in range(min(1000, calls)):
        function()
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


def rate(function: Any, duration: float) -> float:
    function()  # warm: connection, token
    count = 0
    start = time.perf_counter()
    deadline = start + duration
    while time.perf_counter() < deadline:
        function()
        count += 1
    return count / (time.perf_counter() - start)


def measure(info: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    import httpx
    import msal

    from tenantlab.daemon import DaemonClient, load_settings

    env = {
        "TENANTLAB_DAEMON_AUTHORITY": info["authority"],
        "TENANTLAB_DAEMON_CLIENT_ID": info["client_id"],
        "TENANTLAB_DAEMON_CLIENT_SECRET": info["secret"],
        "TENANTLAB_DAEMON_API_ENDPOINT": info["api_endpoint"],
        "TENANTLAB_DAEMON_API_SCOPE": info["api_scope"],
        "TENANTLAB_DAEMON_CA_BUNDLE": info["ca_bundle"],
    }
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        os.environ[name] = info["ca_bundle"]
    scope = info["api_scope"]
    results: dict[str, Any] = {"daemon_gets_per_s": [], "naive_gets_per_s": []}
    with DaemonClient(load_settings({}, env)) as daemon:
        for description in ("Bake bread", "Butter bread", "Eat bread"):
            daemon.todo.add_todo(description)
        provider = daemon.tokens
        provider.token(scope)
        results["memo_hit_us"] = per_call_us(lambda: provider.token(scope), args.calls)
        app = provider._application()  # the same MSAL app, answering from its cache
        results["msal_cache_hit_us"] = per_call_us(
            lambda: app.acquire_token_for_client(scopes=[scope]), max(1, args.calls // 20)
        )

        trust = ssl.create_default_context(cafile=info["ca_bundle"])  # built once: fair to naive

        def naive() -> None:
            fresh = msal.ConfidentialClientApplication(
                info["client_id"],
                client_credential=info["secret"],
                authority=info["authority"],
                instance_discovery=False,
            )
            token = fresh.acquire_token_for_client(scopes=[scope])["access_token"]
            response = httpx.get(
                info["api_endpoint"],
                headers={"Authorization": f"Bearer {token}"},
                verify=trust,  # a new connection (and TLS handshake) per call
            )
            response.raise_for_status()

        def reused() -> None:
            daemon.todo.list_todos()

        for _ in range(args.rounds):
            results["daemon_gets_per_s"].append(rate(reused, args.duration))
            results["naive_gets_per_s"].append(rate(naive, args.duration))
        results["token_requests_by_daemon"] = provider.identity_provider_requests
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per GET measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200_000, help="cached acquisitions timed")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if not 0.5 <= args.duration <= 60 or not 1 <= args.rounds <= 10:
        parser.error("--duration must be 0.5..60 s and --rounds 1..10 (bounded load)")
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as home:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", home],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            cpus = os.sched_getaffinity(0)
            if len(cpus) >= 2:
                os.sched_setaffinity(server.pid, {sorted(cpus)[1]})
                os.sched_setaffinity(0, {sorted(cpus)[0]})
            assert server.stdout is not None
            info = json.loads(server.stdout.readline())
            results = measure(info, args)
        finally:
            server.terminate()
            server.wait(timeout=30)
    daemon = statistics.median(results["daemon_gets_per_s"])
    naive = statistics.median(results["naive_gets_per_s"])
    print(f"cached token, daemon memo hit:         {results['memo_hit_us']:8.2f} µs/call")
    print(f"cached token, MSAL cache hit:          {results['msal_cache_hit_us']:8.2f} µs/call")
    print(
        f"ToDo GETs/s, daemon client (reuse):    {daemon:8.1f}  "
        f"rounds: {', '.join(f'{r:.1f}' for r in results['daemon_gets_per_s'])}"
    )
    print(
        f"ToDo GETs/s, new MSAL app per call:    {naive:8.1f}  "
        f"rounds: {', '.join(f'{r:.1f}' for r in results['naive_gets_per_s'])}"
    )
    print(
        f"speed-up: {daemon / naive:.1f}x; token requests by the daemon: "
        f"{results['token_requests_by_daemon']}"
    )


if __name__ == "__main__":
    main()
