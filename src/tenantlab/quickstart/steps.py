"""The daemon's runs, each from a sample configuration file the quickstart wrote.

The daemon is `tenantlab.daemon` unchanged: MSAL + httpx over HTTPS to the servers, its settings
read from the very files handed to Microsoft's samples. Before each step's output (printed as
the sample prints it) a short header says where the token came from, which roles it carries and
which endpoint is called. Nothing secret is printed: not the secret, not the token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tenantlab.daemon import (
    Certificate,
    ClientSecret,
    DaemonClient,
    DaemonSettings,
    load_settings,
)
from tenantlab.daemon.api import token_roles
from tenantlab.daemon.explain import explain
from tenantlab.daemon.scenario import run_scenario
from tenantlab.daemon.sources import Layer, put
from tenantlab.errors import TenantlabError
from tenantlab.quickstart.configs import Endpoints, SampleConfigs
from tenantlab.quickstart.provision import Provisioned


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool


class Console:
    """Lines to a text stream, flushed at once (a pipe sees progress as it happens)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def field(self, key: str, value: str) -> None:
        self.line(f"   {key:<7}  {value}")


def _display_path(path: Path) -> str:
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def daemon_settings(config: Path, ca_bundle: Path) -> DaemonSettings:
    """The daemon's settings from one sample file alone (the caller's environment is ignored)."""
    flags: Layer = {}
    put(flags, "ca_bundle", str(ca_bundle), "the quickstart's CA bundle")
    return load_settings(flags, {}, config_file=config)


def _token_header(console: Console, client: DaemonClient, scope: str) -> None:
    """Acquire the step's token first, so the header can say where it came from."""
    started = time.perf_counter()
    token = client.tokens.token(scope)
    elapsed = (time.perf_counter() - started) * 1000
    authority = _token_authority(client.settings)
    if token.source == "cache":
        console.field("token", f"from the cache ({scope}; no request to the identity provider)")
    else:
        console.field(
            "token",
            f"acquired from the identity provider in {elapsed:.0f} ms: "
            f"POST {authority}/oauth2/v2.0/token ({scope})",
        )
    roles = token_roles(f"Bearer {token.value}") or []
    console.field("roles", ", ".join(sorted(roles)) if roles else "(none: no roles claim)")


def _token_authority(settings: DaemonSettings) -> str:
    """Where the token endpoint hangs: an `oidc_authority` names the v2.0 metadata's base."""
    if settings.oidc_authority:
        return settings.oidc_authority.rstrip("/").removesuffix("/v2.0")
    return settings.authority_url.rstrip("/")


def _auth_line(settings: DaemonSettings) -> str:
    credential = settings.credential
    if isinstance(credential, Certificate):
        what = "certificate"
        if credential.thumbprint:
            what += f" (thumbprint {credential.thumbprint})"
    elif isinstance(credential, ClientSecret):
        what = "client secret"
    else:
        what = type(credential).__name__
    if settings.oidc_authority:
        return f"{what}, oidc_authority {settings.oidc_authority}"
    return f"{what}, authority {settings.authority_url}"


@dataclass
class Step:
    number: int
    total: int
    name: str
    title: str
    config: Path
    sample: str
    run: Callable[[Console, DaemonClient], None]


def run_steps(
    configs: SampleConfigs,
    provisioned: Provisioned,
    endpoints: Endpoints,
    stream: TextIO,
    *,
    verbose: bool = False,
) -> list[StepResult]:
    """getUsers, getApp, the ToDo scenario, then getUsers with the certificate credential.

    getApp shows the fields Microsoft's quickstart has people record from the app's Overview
    page; the whole application object goes to a file (and to the console with `verbose`).
    """
    console = Console(stream)
    p = provisioned
    graph_users = f"{endpoints.cloud}/v1.0/users"

    def get_users(out: Console, client: DaemonClient) -> None:
        _token_header(out, client, client.settings.graph_scope)
        out.field("call", f"GET {graph_users}")
        out.line()
        users = client.graph.list_users()
        out.line("Graph API call result: ")
        out.line(json.dumps(users, indent=2))

    def get_app(out: Console, client: DaemonClient) -> None:
        _token_header(out, client, client.settings.graph_scope)
        out.field("call", f"GET {endpoints.cloud}/v1.0/applications/{p.workforce_daemon.object_id}")
        out.line()
        app = client.graph.get_application(
            object_id=p.workforce_daemon.object_id, app_id=client.settings.client_id
        )
        full = configs.folder / "getApp.json"
        full.write_text(json.dumps(app, indent=2) + "\n", encoding="utf-8")
        for label, value in overview_fields(app, p.workforce.id):
            out.line(f"   {label:<24} {value}")
        out.line(f"   the whole application object: {_display_path(full)}")
        if verbose:
            out.line(json.dumps(app, indent=2))

    def scenario(out: Console, client: DaemonClient) -> None:
        _token_header(out, client, client.settings.api_scope or "")
        out.field("call", f"POST, GET, PUT, DELETE {client.settings.api_endpoint}")
        out.line()
        run_scenario(client.todo, out.line)

    workforce = f"{p.workforce.display_name} (workforce)"
    external = f"{p.external.display_name} (external)"
    steps = [
        Step(1, 4, "getUsers", f"{workforce}, {p.workforce_daemon.display_name}", configs.python,
             "ms-identity-python-daemon", get_users),
        Step(2, 4, "getApp", f"{workforce}, {p.workforce_daemon.display_name}", configs.python,
             "the .NET console-daemon's call, with step 1's client", get_app),
        Step(3, 4, "ToDo scenario", f"{external}, {p.ciam_daemon.display_name}",
             configs.dotnet_client, "ms-identity-ciam-dotnet-tutorial ToDoListClient", scenario),
        Step(4, 4, "getUsers", f"{external}, {p.ciam_daemon.display_name}",
             configs.python_certificate, "ms-identity-python-daemon, certificate", get_users),
    ]  # fmt: skip
    results: list[StepResult] = []
    clients: dict[Path, DaemonClient] = {}
    try:
        for step in steps:
            results.append(_run_step(console, step, endpoints, clients))
    finally:
        for client in clients.values():
            client.close()
    return results


def overview_fields(app: dict[str, object], tenant_id: str) -> list[tuple[str, str]]:
    """What the quickstart records from the app registration's Overview page, from Graph's
    `application` (the tenant id is not one of its properties: the caller knows it)."""
    secrets = app.get("passwordCredentials") or []
    certificates = app.get("keyCredentials") or []
    counts = (
        f"{len(secrets) if isinstance(secrets, list) else 0} secret(s), "
        f"{len(certificates) if isinstance(certificates, list) else 0} certificate(s)"
    )
    return [
        ("Display name", str(app.get("displayName", ""))),
        ("Application (client) ID", str(app.get("appId", ""))),
        ("Object ID", str(app.get("id", ""))),
        ("Directory (tenant) ID", tenant_id),
        ("Supported account types", str(app.get("signInAudience", ""))),
        ("Client credentials", counts),
    ]


def _run_step(
    console: Console, step: Step, endpoints: Endpoints, clients: dict[Path, DaemonClient]
) -> StepResult:
    settings: DaemonSettings | None = None
    console.line()
    console.line(f"== [{step.number}/{step.total}] {step.name}: {step.title}")
    try:
        client = clients.get(step.config)
        if client is None:
            settings = daemon_settings(step.config, endpoints.ca_bundle)
            client = clients[step.config] = DaemonClient(settings)
        settings = client.settings
        console.field("config", f"{_display_path(step.config)} ({step.sample})")
        console.field("auth", _auth_line(settings))
        step.run(console, client)
    except TenantlabError as exc:
        console.line(f"error: {explain(exc, settings)}")
        return StepResult(step.name, False)
    except Exception as exc:  # a step's failure is reported; the next steps still run
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        console.line(f"error: unexpected {type(exc).__name__}: {first}")
        return StepResult(step.name, False)
    return StepResult(step.name, True)


def summary(results: list[StepResult]) -> tuple[bool, str]:
    failed = [r.name for r in results if not r.ok]
    if not failed:
        return True, f"all {len(results)} steps succeeded"
    return False, f"{len(failed)} of {len(results)} steps failed: {', '.join(failed)}"
