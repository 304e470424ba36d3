"""`tenantlab daemon` / `python -m tenantlab.daemon`: run one operation and print its result.

stdout carries only the result (JSON by default, rich tables with `--output table`); logs and
the one-line error go to stderr. Exit code 0 on success, 1 when the run failed, 2 when the
configuration or the command line is wrong.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from tenantlab.daemon.client import DaemonClient
from tenantlab.daemon.errors import DaemonError
from tenantlab.daemon.explain import explain
from tenantlab.daemon.formats import FORMATS
from tenantlab.daemon.output import write_json, write_table
from tenantlab.daemon.scenario import run_scenario
from tenantlab.daemon.settings import DaemonSettings, load_settings
from tenantlab.daemon.sources import Layer, put, put_endpoint
from tenantlab.errors import ConfigError, TenantlabError

OPERATIONS = ("getUsers", "getApp", "getToDos", "scenario", "todo")
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


def build_parser(prog: str = "tenantlab daemon") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Acquire an app-only token with MSAL and call Graph or the ToDo API.",
        epilog="Precedence: flags > TENANTLAB_DAEMON_* environment > config file.",
    )
    parser.add_argument("--op", "--operation", dest="op", choices=OPERATIONS)
    parser.add_argument(
        "words", nargs="*", help="todo list | show ID | add TEXT | edit ID TEXT | delete ID"
    )
    parser.add_argument("--config", type=Path, help="a sample's config file")
    parser.add_argument("--config-format", choices=FORMATS)
    parser.add_argument("--output", choices=("json", "table"), default=None)
    parser.add_argument("-v", "--verbose", action="store_true", help="log token_source to stderr")
    parser.add_argument("--top", type=int)
    parser.add_argument("--select", help="comma-separated Graph properties")
    parser.add_argument("--max-pages", type=int)
    parser.add_argument("--owner", help="owner GUID for todo add")
    group = parser.add_argument_group("settings")
    for flag in _FLAG_FIELDS:
        group.add_argument("--" + flag.replace("_", "-"), dest=flag)
    group.add_argument("--graph-endpoint", dest="graph_endpoint")
    return parser


def flag_layer(args: argparse.Namespace) -> Layer:
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
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    env = os.environ if environ is None else environ
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    operation, words = _operation(parser, args)
    output = args.output or env.get("TENANTLAB_DAEMON_OUTPUT") or "json"
    if output not in ("json", "table"):
        parser.error(f"TENANTLAB_DAEMON_OUTPUT must be json or table, not {output!r}")
    handler = _log_to(err, args.verbose)
    settings: DaemonSettings | None = None
    try:
        settings = load_settings(
            flag_layer(args), env, config_file=args.config, config_format=args.config_format
        )
        with client_factory(settings) as daemon:
            kind, data = _perform(daemon, operation, words, args, out, output)
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


def _operation(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[str, list[str]]:
    words = list(args.words)
    operation = args.op
    if operation is None and words[:1] == ["todo"]:
        operation, words = "todo", words[1:]
    if operation is None:
        parser.error(
            "the following arguments are required: --op (one of " + ", ".join(OPERATIONS) + ")"
        )
    if operation != "todo":
        if words:
            parser.error(f"unexpected arguments for --op {operation}: {' '.join(words)}")
        return operation, words
    if not words or words[0] not in TODO_ACTIONS:
        parser.error("todo needs an action: list | show ID | add TEXT | edit ID TEXT | delete ID")
    needed = TODO_ACTIONS[words[0]]
    if len(words) - 1 != needed:
        parser.error(f"todo {words[0]} takes {needed} argument(s), got {len(words) - 1}")
    return operation, words


def _perform(
    daemon: DaemonClient,
    operation: str,
    words: list[str],
    args: argparse.Namespace,
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
