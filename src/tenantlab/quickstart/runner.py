"""`tenantlab quickstart` / `tenantlab up`: one process, the whole quickstart.

bind both ports -> open the platform (SQLite in the data folder) -> local CA + TLS certificate ->
provision (idempotent) -> signing keys -> write the samples' configs -> serve the cloud origin and
the ToDo API -> run the daemon steps (quickstart only) -> `--once`: stop; otherwise the status
panel until Ctrl+C (or SIGTERM), then a graceful shutdown.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from tenantlab.config import DEFAULT_TODO_PORT, PlatformSettings
from tenantlab.dropin.hosts import microsoft_names
from tenantlab.keys import ensure_tls
from tenantlab.listening import bound_port, forwarded_headers
from tenantlab.platform import Platform
from tenantlab.quickstart.configs import (
    Endpoints,
    SampleConfigs,
    configs_folder,
    write_sample_configs,
)
from tenantlab.quickstart.panel import panel_lines
from tenantlab.quickstart.provision import Provisioned, provision
from tenantlab.quickstart.servers import Servers, bind
from tenantlab.quickstart.steps import Console, run_steps, summary
from tenantlab.served import forget_server, record_server
from tenantlab.server import create_cloud_app
from tenantlab.todo import TodoApi, TodoApiSettings


@dataclass(frozen=True)
class QuickstartOptions:
    todo_port: int = DEFAULT_TODO_PORT
    out: Path | None = None  # default: {home}/quickstart
    run_daemon: bool = True  # False: `tenantlab up`
    once: bool = False
    forwarded_allow_ips: str | None = None  # proxies whose X-Forwarded-* are trusted; None: none
    verbose: bool = False  # getApp prints the whole application object too


def _display(path: Path) -> str:
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def _provision_lines(p: Provisioned) -> list[str]:
    if not p.changes:
        return [
            f"reused {p.workforce.display_name} ({p.workforce.id}) and "
            f"{p.external.display_name} ({p.external.id}): nothing to change"
        ]
    return ["provisioned:", *(f"  + {change}" for change in p.changes)]


def run(settings: PlatformSettings, options: QuickstartOptions, stream: TextIO) -> int:
    """Run it; the exit code is 0 when every daemon step succeeded (or none was asked for).

    Each resource is pushed on an ExitStack as soon as it is acquired, so whatever interrupts
    start-up (a busy port, Ctrl+C, a failed step) releases exactly what was acquired, in reverse.
    """
    started = time.perf_counter()
    console = Console(stream)
    forwarded_headers(options.forwarded_allow_ips)  # a bad value is refused before anything runs
    served = False
    try:
        with ExitStack() as stack:
            cloud_sock = bind(settings.host, settings.port, "--port")
            stack.callback(cloud_sock.close)
            todo_sock = bind(settings.host, options.todo_port, "--todo-port")
            stack.callback(todo_sock.close)
            settings = replace(settings, port=bound_port(cloud_sock))
            todo_origin = f"https://localhost:{bound_port(todo_sock)}"
            command = "quickstart" if options.run_daemon else "up"
            console.line(f"tenantlab {command}: data folder {_display(settings.home)}")
            platform = Platform.open(settings)
            stack.callback(platform.close)
            provisioned = provision(platform)
            tls = ensure_tls(settings.home, _tls_names(platform))
            for tenant in (provisioned.workforce, provisioned.external):
                platform.keys.active(tenant.id)  # a signing key exists before the first request
            for line in _provision_lines(provisioned):
                console.line(line)
            endpoints = Endpoints(cloud=settings.origin, todo=todo_origin, ca_bundle=tls.ca_bundle)
            configs = write_sample_configs(
                options.out or settings.home / configs_folder(settings), provisioned, endpoints
            )
            console.line(f"sample configs written to {_display(configs.folder)}")
            todo = stack.enter_context(todo_api(settings, provisioned, endpoints))
            servers = Servers(
                certfile=tls.server_cert,
                keyfile=tls.server_key,
                forwarded_allow_ips=options.forwarded_allow_ips,
            )
            servers.on_stop(todo.aclose_validator)
            servers.add(create_cloud_app(platform), cloud_sock)
            servers.add(todo.app, todo_sock)
            stack.callback(servers.stop)  # before start(): a start that fails half-way stops too
            served = True
            servers.start()
            record_server(settings.home, endpoints.cloud, todo_origin=todo_origin)
            stack.callback(forget_server, settings.home)
            console.line(
                f"serving {endpoints.cloud} (token service, Graph, admin center) and "
                f"{endpoints.todo_list} (ToDo API)"
            )
            ok = True
            if options.run_daemon:
                results = run_steps(
                    configs, provisioned, endpoints, stream, verbose=options.verbose
                )
                ok, text = summary(results)
                console.line()
                console.line(f"quickstart: {text} ({time.perf_counter() - started:.1f} s)")
            if not options.once:
                _panel_until_stopped(console, provisioned, endpoints, configs, servers)
            return 0 if ok else 1
    finally:
        if served:
            console.line("stopped")


def _tls_names(platform: Platform) -> list[str]:
    """The public host; as Microsoft, every name clients will call (hosts install maps them)."""
    settings = platform.settings
    if settings.as_microsoft:
        directory = platform.directory
        return microsoft_names(
            d for t in directory.list_tenants() for d in directory.tenant_domains(t.id)
        )
    public_host = urlsplit(settings.origin).hostname
    return [public_host] if public_host else []


def todo_api(settings: PlatformSettings, p: Provisioned, e: Endpoints) -> TodoApi:
    """The ToDo API of the external tenant, trusting tokens of the cloud origin served beside it."""
    return TodoApi(
        TodoApiSettings(
            instance=e.cloud,
            tenant_id=p.external.id,
            client_id=p.todo_api.app_id,
            ca_bundle=e.ca_bundle,
            home=settings.home,
            host=settings.host,
        )
    )


def _panel_until_stopped(
    console: Console, p: Provisioned, e: Endpoints, configs: SampleConfigs, servers: Servers
) -> None:
    """Show the panel, then wait for Ctrl+C or SIGTERM (or the servers ending on their own)."""
    console.line()
    for line in panel_lines(p, e, configs, stop_hint=True):
        console.line(line)
    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Ctrl+C (SIGINT) and SIGTERM both mean "stop cleanly", even where a shell started us
        # with SIGINT ignored (a background job).
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.is_set() and servers.running:
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass  # Ctrl+C is how one stops it: not an error
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    console.line("stopping (graceful shutdown)...")
