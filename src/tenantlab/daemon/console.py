"""`tenantlab daemon` / `python -m tenantlab.daemon`: run one operation and print its result.

stdout carries only the result (JSON by default or with `--json`, rich tables with `--output
table`); logs and the one-line error go to stderr. Exit code 0 on success, 1 when the run failed,
2 when the configuration or the command line is wrong. The command is click's, like the rest of
`tenantlab`, so `tenantlab daemon` and `python -m tenantlab.daemon` take the same options.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO

import click

from tenantlab.daemon.client import DaemonClient
from tenantlab.daemon.errors import DaemonError
from tenantlab.daemon.explain import explain
from tenantlab.daemon.formats import FORMATS
from tenantlab.daemon.output import write_json, write_table
from tenantlab.daemon.scenario import run_scenario
from tenantlab.daemon.settings import DaemonSettings, load_settings
from tenantlab.daemon.sources import Layer, put, put_endpoint
from tenantlab.daemon.sync import state_path, sync_users
from tenantlab.errors import ConfigError, TenantlabError

OPERATIONS = ("getUsers", "syncUsers", "getApp", "getToDos", "scenario", "todo")
TODO_ACTIONS = {"list": 0, "show": 1, "add": 1, "edit": 2, "delete": 1}
# flag destination -> canonical setting (the flag's own spelling is the origin in messages)
_FLAG_FIELDS = {
    "authority": "authority",
    "oidc_authority": "oidc_authority",
    "client_id": "client_id",
    "client_secret": "client_secret",
    "certificate": "certificate_file",
    "private_key": "private_key_file",
    "thumbprint": "thumbprint",
    "pfx": "pfx_file",
    "federated_token_file": "federated_token_file",
    "graph_scope": "graph_scope",
    "api_endpoint": "api_endpoint",
    "api_scope": "api_scope",
    "app_object_id": "app_object_id",
    "ca_bundle": "ca_bundle",
    "token_cache": "token_cache",
    "timeout": "timeout",
    "max_retries": "max_retries",
}

ClientFactory = Callable[[DaemonSettings], DaemonClient]


_FLAG_HELP = {
    "authority": "https://login.microsoftonline.com/<tenant> (tenantlab: https://localhost:5443/<tenant>)",
    "oidc_authority": "External ID custom-domain authority (instead of --authority)",
    "client_id": "the app registration's Application (client) ID",
    "client_secret": "a client secret's Value",
    "certificate": "certificate file (PEM) for private_key_jwt",
    "private_key": "private key file (PEM) of --certificate",
    "thumbprint": "the certificate's SHA-1 thumbprint",
    "pfx": "a .pfx/.p12 file with key and certificate",
    "federated_token_file": "a file holding an external token (workload identity)",
    "graph_scope": "Graph's scope (default: https://graph.microsoft.com/.default)",
    "api_endpoint": "the ToDo API's URL, e.g. https://localhost:44351/api/todolist",
    "api_scope": "the ToDo API's scope: api://<API appId>/.default",
    "app_object_id": "getApp: the application's object id (default: by client id)",
    "ca_bundle": "CA bundle to trust (default: REQUESTS_CA_BUNDLE / SSL_CERT_FILE)",
    "token_cache": "a file to keep MSAL's token cache in (owner-only)",
    "timeout": "seconds per HTTP request (default 30)",
    "max_retries": "retries on 429/503 (default 3)",
}


def _settings_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for flag in reversed(list(_FLAG_FIELDS)):
        func = click.option(
            "--" + flag.replace("_", "-"), flag, metavar="VALUE", help=_FLAG_HELP[flag]
        )(func)
    return click.option(
        "--graph-endpoint",
        "graph_endpoint",
        metavar="URL",
        help="Graph's origin (default: https://graph.microsoft.com for Microsoft's "
        "authorities, else the authority's own origin)",
    )(func)


@dataclass
class Runtime:
    """Where the daemon writes and what it reads; tests give their own."""

    stdout: TextIO | None = None
    stderr: TextIO | None = None
    environ: Mapping[str, str] | None = None
    client_factory: ClientFactory = DaemonClient


@click.command(
    "daemon",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Precedence: flags > TENANTLAB_DAEMON_* environment > config file. See docs/daemon.md.",
)
@click.option(
    "--op",
    "--operation",
    "op",
    type=click.Choice(OPERATIONS),
    help="What to do; `todo ACTION ...` also works without --op.",
)
@click.argument("words", nargs=-1, metavar="[todo ACTION ...]")
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    help="A sample's config file: parameters.json, .env, application.properties, appsettings.json.",
)
@click.option("--config-format", type=click.Choice(FORMATS), help="The config file's format.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the default).")
@click.option(
    "--output",
    type=click.Choice(["json", "table"]),
    help="json, or table for rich tables (also TENANTLAB_DAEMON_OUTPUT).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log token_source and retries to stderr.")
@click.option("--top", type=int, help="getUsers: page size (1-999).")
@click.option("--select", help="getUsers, syncUsers: comma-separated Graph properties.")
@click.option("--max-pages", type=int, help="getUsers: stop after this many pages.")
@click.option(
    "--sync-state",
    type=click.Path(path_type=Path, dir_okay=False),
    help="syncUsers: the file keeping the delta link and the users seen "
    "(default: beside --token-cache).",
)
@click.option("--owner", help="todo add: the owner GUID.")
@_settings_options
@click.pass_context
def daemon(ctx: click.Context, /, **params: Any) -> None:
    """Acquire an app-only token with MSAL and call Graph or the ToDo API.

    --op getUsers | syncUsers | getApp | getToDos | scenario, or todo list | show ID | add TEXT |
    edit ID TEXT | delete ID. The result goes to stdout (JSON, or tables with --output table);
    logs and the one-line error to stderr. Exit 0 on success, 1 when the run failed, 2 for a
    wrong command line or configuration.
    """
    runtime = ctx.find_object(Runtime) or Runtime()
    ctx.exit(_run(ctx, SimpleNamespace(**params), runtime))


def flag_layer(args: Any) -> Layer:
    layer: Layer = {}
    for dest, field in _FLAG_FIELDS.items():
        put(layer, field, getattr(args, dest), "--" + dest.replace("_", "-"))
    if args.graph_endpoint:
        put_endpoint(layer, args.graph_endpoint.rstrip("/") + "/v1.0", "--graph-endpoint")
    return layer


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    client_factory: ClientFactory = DaemonClient,
    prog: str = "tenantlab daemon",
) -> int:
    """The daemon's command line (also `python -m tenantlab.daemon`); returns the exit code.

    A wrong command line raises SystemExit(2) after click's usage message, as a console script.
    """
    runtime = Runtime(stdout, stderr, environ, client_factory)
    try:
        code = daemon.main(
            args=list(sys.argv[1:] if argv is None else argv),
            prog_name=prog,
            standalone_mode=False,
            obj=runtime,
        )
    except click.exceptions.Exit as done:  # --help
        return int(done.exit_code)
    except click.ClickException as exc:
        exc.show(file=stderr or sys.stderr)
        raise SystemExit(exc.exit_code) from None
    except click.Abort:
        (stderr or sys.stderr).write("error: interrupted\n")
        return 130
    return code if isinstance(code, int) else 0  # ctx.exit(code) comes back as the result


def _run(ctx: click.Context, args: Any, runtime: Runtime) -> int:
    out = runtime.stdout or sys.stdout
    err = runtime.stderr or sys.stderr
    env = os.environ if runtime.environ is None else runtime.environ
    operation, words = _operation(args)
    output = (
        "json" if args.as_json else (args.output or env.get("TENANTLAB_DAEMON_OUTPUT") or "json")
    )
    if output not in ("json", "table"):
        raise click.UsageError(
            f"TENANTLAB_DAEMON_OUTPUT must be json or table, not {output!r}", ctx
        )
    handler = _log_to(err, args.verbose)
    settings: DaemonSettings | None = None
    try:
        settings = load_settings(
            flag_layer(args), env, config_file=args.config, config_format=args.config_format
        )
        with runtime.client_factory(settings) as client:
            kind, data = _perform(client, operation, words, args, out, output)
        if kind == "scenario" and output == "table":
            return 0
        if output == "json":
            write_json(data, out)
        else:
            write_table(kind, data, out)
        return 0
    except ConfigError as exc:
        err.write(f"error: {exc.message}\n")
        return 2
    except TenantlabError as exc:
        err.write(f"error: {explain(exc, settings)}\n")
        return 1
    except KeyboardInterrupt:
        err.write("error: interrupted\n")
        return 130
    except Exception as exc:
        logging.getLogger("tenantlab.daemon").debug("unexpected failure", exc_info=True)
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        err.write(f"error: unexpected {type(exc).__name__}: {first}\n")
        return 1
    finally:
        logger = logging.getLogger("tenantlab.daemon")
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def _operation(args: Any) -> tuple[str, list[str]]:
    words = list(args.words)
    operation = args.op
    if operation is None and words[:1] == ["todo"]:
        operation, words = "todo", words[1:]
    if operation is None:
        raise click.UsageError("missing --op: one of " + ", ".join(OPERATIONS))
    if operation != "todo":
        if words:
            raise click.UsageError(f"unexpected arguments for --op {operation}: {' '.join(words)}")
        return operation, words
    if not words or words[0] not in TODO_ACTIONS:
        raise click.UsageError(
            "todo needs an action: list | show ID | add TEXT | edit ID TEXT | delete ID"
        )
    needed = TODO_ACTIONS[words[0]]
    if len(words) - 1 != needed:
        raise click.UsageError(f"todo {words[0]} takes {needed} argument(s), got {len(words) - 1}")
    return operation, words


def _perform(
    daemon: DaemonClient,
    operation: str,
    words: list[str],
    args: Any,
    out: TextIO,
    output: str,
) -> tuple[str, Any]:
    settings = daemon.settings
    if operation == "getUsers":
        select = [s.strip() for s in (args.select or "").split(",") if s.strip()] or None
        if args.top is not None and not 1 <= args.top <= 999:
            raise DaemonError("--top must be between 1 and 999 (Graph's page-size limit)")
        if args.max_pages is not None and args.max_pages < 1:
            raise DaemonError("--max-pages must be at least 1")
        users = daemon.graph.list_users(top=args.top, select=select, max_pages=args.max_pages)
        return "users", users
    if operation == "syncUsers":
        select = [s.strip() for s in (args.select or "").split(",") if s.strip()] or None
        path = state_path(settings, args.sync_state)
        return "sync", sync_users(daemon.graph, settings, path=path, select=select)
    if operation == "getApp":
        app = daemon.graph.get_application(
            object_id=settings.app_object_id, app_id=settings.client_id
        )
        return "application", app
    if operation == "getToDos":
        return "todos", daemon.todo.list_todos()
    if operation == "scenario":

        def say(line: str) -> None:
            if output == "table":
                out.write(line + "\n")
                out.flush()

        return "scenario", run_scenario(daemon.todo, say)
    action, rest = words[0], words[1:]
    todo = daemon.todo
    if action == "list":
        return "todos", todo.list_todos()
    if action == "show":
        return "todo", todo.get_todo(rest[0])
    if action == "add":
        return "todo", todo.add_todo(rest[0], owner=args.owner)
    if action == "edit":
        return "todo", todo.edit_todo(rest[0], rest[1])
    todo.delete_todo(rest[0])
    return "deleted", {"deleted": rest[0]}


def _log_to(stream: TextIO, verbose: bool) -> logging.Handler:
    logger = logging.getLogger("tenantlab.daemon")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
    return handler
