"""`tenantlab run -- COMMAND`: a hermetic Microsoft cloud for one command.

enter private namespaces (user + mount + network; only loopback) -> open the data folder ->
provision (`--seed`, `--quickstart`) -> a certificate from the local CA for Microsoft's names ->
a hosts file mapping them to loopback, bind-mounted over /etc/hosts -> the cloud on 127.0.0.1:443
as https://login.microsoftonline.com (and graph.microsoft.com, sts.windows.net, ...), the ToDo
API on its port -> COMMAND with the CA trusted through the environment -> COMMAND's exit code;
then a graceful shutdown.

tenantlab itself prints nothing when all goes well: stdout and stderr are COMMAND's.

Extensions (`RunExtension`) add to what runs inside the namespace beside COMMAND — more
listeners, loopback addresses, environment variables — through `Inside`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from tenantlab.config import DEFAULT_TODO_PORT, MICROSOFT_LOGIN_ORIGIN, PlatformSettings
from tenantlab.dropin import namespaces
from tenantlab.dropin.hosts import microsoft_names, namespace_hosts
from tenantlab.errors import ConfigError, TenantlabError
from tenantlab.keys import TlsFiles, TrustStores, ensure_tls, ensure_trust_stores, env_exports
from tenantlab.listening import bind
from tenantlab.platform import Platform
from tenantlab.quickstart import Endpoints, Provisioned, provision, write_sample_configs
from tenantlab.quickstart.configs import AS_MICROSOFT_FOLDER
from tenantlab.quickstart.runner import todo_api
from tenantlab.quickstart.servers import Servers

HTTPS_PORT = 443
HOSTS_FILE = Path("/etc/hosts")


class CommandNotFound(TenantlabError):
    """COMMAND is not a program on PATH (exit 127, as a shell)."""


class CommandNotExecutable(TenantlabError):
    """COMMAND names a file that cannot be run (exit 126, as a shell)."""


@dataclass(frozen=True)
class RunOptions:
    command: Sequence[str]
    seed_file: Path | None = None
    quickstart: bool = False
    todo_port: int = DEFAULT_TODO_PORT
    quickstart_out: Path | None = None  # default: {home}/{AS_MICROSOFT_FOLDER}
    extensions: Sequence[RunExtension] = ()


@dataclass
class Inside:
    """What runs inside the namespace beside COMMAND. Extensions add to it in `contribute`."""

    platform: Platform
    tls: TlsFiles
    servers: Servers
    env: dict[str, str] = field(default_factory=dict)

    def serve(self, app: Any, host: str, port: int, *, advice: str, tls: bool = True) -> None:
        """Serve `app` on host:port in the namespace; a clash is one error ending `(advice)`."""
        sock = bind(host, port, advice=advice)
        self.servers.add(app, sock, tls=tls)

    def setenv(self, name: str, value: str) -> None:
        """Set a variable in COMMAND's environment."""
        self.env[name] = value

    def add_loopback_address(self, address: str, label: str) -> None:
        """Put an IPv4 address on the namespace's loopback (e.g. 169.254.169.254)."""
        namespaces.add_loopback_address(address, label)


class RunExtension(Protocol):
    def contribute(self, inside: Inside) -> None:
        """Add listeners, loopback addresses or environment variables for COMMAND."""


def resolve_command(command: Sequence[str]) -> list[str]:
    """COMMAND with its program resolved on PATH, or a one-line error that says the fix."""
    if not command:
        raise ConfigError("no command given: tenantlab run -- COMMAND [ARGS...]")
    program = command[0]
    found = shutil.which(program) if os.sep not in program else program
    if found is None or not os.path.exists(found):
        raise CommandNotFound(f"command not found: {program} (not a program on PATH)")
    if os.path.isdir(found) or not os.access(found, os.X_OK):
        raise CommandNotExecutable(f"cannot run {program}: not an executable file")
    return [found, *command[1:]]


def microsoft_settings(settings: PlatformSettings) -> PlatformSettings:
    """The settings of tenantlab as login.microsoftonline.com, on 443."""
    return replace(settings, public_url=MICROSOFT_LOGIN_ORIGIN, port=HTTPS_PORT, host="127.0.0.1")


def trust_environment(tls: TlsFiles, stores: TrustStores, base: dict[str, str]) -> dict[str, str]:
    """`base` plus the variables that make every runtime trust the local CA."""
    env = dict(base)
    env.update(env_exports(tls.ca_bundle))
    env["SSL_CERT_DIR"] = str(stores.cert_dir)  # OpenSSL by hash; .NET and Go read the folder
    java = base.get("JAVA_TOOL_OPTIONS", "").strip()
    env["JAVA_TOOL_OPTIONS"] = f"{java} {stores.java_options()}".strip()
    return env


def run_command(settings: PlatformSettings, options: RunOptions) -> int:
    """Run COMMAND in the private cloud; its exit code (128+N when a signal N ended it).

    Each resource goes on an ExitStack as soon as it is acquired: whatever ends the run (COMMAND,
    a clash on a port, Ctrl+C) releases exactly what was acquired, in reverse.
    """
    command = resolve_command(options.command)
    namespaces.enter_private_namespaces()
    settings = microsoft_settings(settings)
    with ExitStack() as stack:
        platform = Platform.open(settings)
        stack.callback(platform.close)
        provisioned = _provision(platform, options)
        directory = platform.directory
        names = microsoft_names(
            d for t in directory.list_tenants() for d in directory.tenant_domains(t.id)
        )
        tls = ensure_tls(settings.home, names)
        stores = ensure_trust_stores(tls)
        _cover_hosts_file(names)
        servers = Servers(certfile=tls.server_cert, keyfile=tls.server_key)
        stack.callback(servers.stop)  # closes the sockets added so far, started or not
        inside = Inside(platform=platform, tls=tls, servers=servers)
        _serve_cloud(inside)
        if provisioned is not None:
            _serve_todo(inside, provisioned, options, stack)
        for extension in options.extensions:
            extension.contribute(inside)
        servers.start()
        env = trust_environment(tls, stores, dict(os.environ))
        env.update(inside.env)
        code = _run_child(command, env)
    return code


def _provision(platform: Platform, options: RunOptions) -> Provisioned | None:
    if options.seed_file is not None:
        from tenantlab.seed import apply_seed_file

        apply_seed_file(platform, options.seed_file)
    if not options.quickstart:
        return None
    return provision(platform)


def _cover_hosts_file(names: list[str]) -> None:
    """Bind a hosts file mapping `names` to loopback over /etc/hosts (this namespace only).

    The file's directory entry is removed once mounted: the mount keeps it alive, nothing is
    left behind when the namespace ends.
    """
    try:
        system = HOSTS_FILE.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        system = "127.0.0.1 localhost\n::1 localhost\n"
    fd, path = tempfile.mkstemp(prefix="tenantlab-hosts-")
    try:
        os.write(fd, namespace_hosts(system, names).encode("utf-8"))
        os.fchmod(fd, 0o644)
        os.close(fd)
        namespaces.bind_over(Path(path), HOSTS_FILE)
    finally:
        os.unlink(path)


def _serve_cloud(inside: Inside) -> None:
    from tenantlab.server import create_cloud_app

    for tenant in inside.platform.directory.list_tenants():
        inside.platform.keys.active(tenant.id)  # a signing key exists before the first request
    inside.serve(
        create_cloud_app(inside.platform, portal=False),
        "127.0.0.1",
        HTTPS_PORT,
        advice="something else in tenantlab run's namespace holds it",
    )


def _serve_todo(
    inside: Inside, provisioned: Provisioned, options: RunOptions, stack: ExitStack
) -> None:
    """The quickstart's ToDo API on its port, and the samples' configs naming Microsoft's URLs."""
    settings = inside.platform.settings
    endpoints = Endpoints(
        cloud=settings.origin,
        todo=f"https://localhost:{options.todo_port}",
        ca_bundle=inside.tls.ca_bundle,
    )
    folder = options.quickstart_out or settings.home / AS_MICROSOFT_FOLDER
    write_sample_configs(folder, provisioned, endpoints)
    todo = stack.enter_context(todo_api(settings, provisioned, endpoints))
    inside.servers.on_stop(todo.aclose_validator)
    inside.serve(todo.app, "127.0.0.1", options.todo_port, advice="choose another --todo-port")


def _run_child(command: list[str], env: dict[str, str]) -> int:
    """Start COMMAND, pass on the signals meant for it, return its exit status."""
    try:
        child = subprocess.Popen(command, env=env)
    except PermissionError:
        raise CommandNotExecutable(f"cannot run {command[0]}: permission denied") from None
    except OSError as exc:
        raise CommandNotExecutable(f"cannot run {command[0]}: {exc.strerror}") from None

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    # Ctrl+C reaches COMMAND through the terminal already; it decides whether to stop.
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code
