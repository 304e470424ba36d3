"""`tenantlab fault add|list|clear`: break the running server's endpoints on purpose.

The faults live in the server (`/_tenantlab/faults`, with the data folder's admin token), so
they last as long as it runs and vanish when it stops. See docs/testing.md for what each option
does to MSAL, azure-identity and Graph clients.
"""

from __future__ import annotations

from typing import Any

import click

from tenantlab.cli._common import (
    CommandGroup,
    json_option_saying,
    load_settings,
    platform_from,
    print_json,
    print_table,
    resolve_tenant,
)
from tenantlab.control.client import ControlClient, for_running_server
from tenantlab.faults.registry import ENDPOINTS


@click.group(cls=CommandGroup)
def fault() -> None:
    """Faults the running server injects: errors with Retry-After, delays, drops, stalls."""


def _client() -> ControlClient:
    return for_running_server(load_settings())


@fault.command("add")
@click.argument("endpoint", metavar="ENDPOINT")
@click.option("--status", type=click.IntRange(400, 599), help="HTTP status (default 503).")
@click.option("--retry-after", type=click.IntRange(0), help="Seconds, sent as Retry-After.")
@click.option("--delay", type=float, default=0.0, help="Seconds to wait before answering.")
@click.option("--count", type=click.IntRange(1), help="Fire this many times, then stop.")
@click.option("--probability", type=float, help="Fire on this share of requests (0-1].")
@click.option("--body", help="Answer this body instead of the service's error JSON.")
@click.option(
    "--tenant", "-t", metavar="TENANT", help="Only this tenant's requests (as -t elsewhere)."
)
@click.option("--client-id", help="Only this client's requests (appId).")
@click.option("--drop", is_flag=True, help="Close the connection without an answer.")
@click.option("--stall", is_flag=True, help="Never answer (until the fault is cleared).")
@json_option_saying("the fault")
@click.pass_context
def add(
    ctx: click.Context,
    endpoint: str,
    tenant: str | None,
    as_json: bool,
    status: int | None,
    retry_after: int | None,
    delay: float,
    count: int | None,
    probability: float | None,
    body: str | None,
    client_id: str | None,
    drop: bool,
    stall: bool,
) -> None:
    """Break ENDPOINT: token, jwks, discovery, instance_discovery, graph, or a path (/v1.0/users).

    Without --status, --drop, --stall or --delay the endpoint answers 503.
    """
    if endpoint not in ENDPOINTS and not endpoint.startswith("/"):
        raise click.BadParameter(
            f"use one of {', '.join(ENDPOINTS)} or a path starting with /", param_hint="ENDPOINT"
        )
    options = {
        "status": status,
        "retry_after": retry_after,
        "delay": delay or None,
        "count": count,
        "probability": probability,
        "body": body,
        "client_id": client_id,
        "drop": drop or None,
        "stall": stall or None,
    }
    chosen: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
    if tenant is not None:
        chosen["tenant"] = resolve_tenant(platform_from(ctx), tenant).id
    added = _client().faults.add(endpoint, **chosen)
    if as_json:
        print_json(added.shown)
    else:
        click.echo(f"fault {added.id}: {describe(added.shown)}")
        click.echo(f"remove it with: tenantlab fault clear {added.id}")


@fault.command("list")
@json_option_saying("{value: [fault, ...]}")
def list_(as_json: bool) -> None:
    """List the running server's faults, with how often each fired."""
    faults = _client().faults.list()
    if as_json:
        print_json({"value": faults})
        return
    print_table(
        "faults",
        ["id", "endpoint", "answer", "for", "fired"],
        [(f["id"], f["endpoint"], _answer(f), _scope(f), str(f["hits"])) for f in faults],
    )


@fault.command("clear")
@click.argument("fault_id", metavar="[ID]", required=False)
@json_option_saying('{removed: ID or "all"}')
def clear(fault_id: str | None, as_json: bool) -> None:
    """Remove one fault (by ID), or all of them."""
    client = _client()
    if fault_id is None:
        client.faults.clear()
    else:
        client.faults.remove(fault_id)
    if as_json:
        print_json({"removed": fault_id or "all"})
    else:
        click.echo("no faults any more" if fault_id is None else f"fault {fault_id} removed")


def describe(shown: dict[str, Any]) -> str:
    """`token -> 429 (Retry-After 5), 3 times` and the like."""
    text = f"{shown['endpoint']} -> {_answer(shown)}"
    scope = _scope(shown)
    return f"{text}, {scope}" if scope != "-" else text


def _answer(shown: dict[str, Any]) -> str:
    parts = []
    if shown.get("delay"):
        parts.append(f"after {shown['delay']:g} s")
    if shown.get("drop"):
        parts.insert(0, "drop the connection")
    elif shown.get("stall"):
        parts.insert(0, "stall")
    elif shown.get("status") is not None:
        status = str(shown["status"])
        if shown.get("retryAfter") is not None:
            status += f" (Retry-After {shown['retryAfter']})"
        parts.insert(0, status)
    else:
        parts.insert(0, "the real answer")
    return " ".join(parts)


def _scope(shown: dict[str, Any]) -> str:
    parts = []
    if shown.get("count") is not None:
        parts.append(f"{shown['count']} more time{'s' if shown['count'] != 1 else ''}")
    if shown.get("probability") is not None:
        parts.append(f"{shown['probability']:.0%} of requests")
    if shown.get("tenant"):
        parts.append(f"tenant {shown['tenant']}")
    if shown.get("clientId"):
        parts.append(f"client {shown['clientId']}")
    return ", ".join(parts) or "-"
