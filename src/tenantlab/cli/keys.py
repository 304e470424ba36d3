"""`tenantlab keys list|rotate`: the tenants' token-signing keys (JWKS `kid` = x5t)."""

from __future__ import annotations

from typing import Any

import click

from tenantlab.cli._common import (
    CommandGroup,
    json_option_saying,
    platform_from,
    print_json,
    print_table,
)
from tenantlab.cli.selection import find_tenant
from tenantlab.clock import iso_z
from tenantlab.keys import PublishedKey
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant


@click.group(cls=CommandGroup)
def keys() -> None:
    """Token-signing keys (one active signer per tenant; retired keys stay published a while)."""


def _chosen(platform: Platform, alias: str | None) -> list[Tenant]:
    if alias:
        return [find_tenant(platform, alias)]
    return platform.directory.list_tenants()


def _key_json(tenant: Tenant, key: PublishedKey) -> dict[str, Any]:
    return {
        "tenantId": tenant.id,
        "kid": key.public.kid,
        "active": key.active,
        "retiredDateTime": iso_z(key.retired_at) if key.retired_at is not None else None,
        "removeAfterDateTime": iso_z(key.remove_after) if key.remove_after is not None else None,
        "notAfter": key.public.certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _print(rows: list[dict[str, Any]], as_json: bool, title: str) -> None:
    if as_json:
        print_json({"value": rows})
        return
    print_table(
        title,
        ["tenant id", "kid", "state", "published until"],
        [
            (
                r["tenantId"],
                r["kid"],
                "active" if r["active"] else "retired",
                r["removeAfterDateTime"] or "-",
            )
            for r in rows
        ],
    )


@keys.command("list")
@click.option(
    "--tenant",
    "-t",
    metavar="TENANT",
    help="Only this tenant (as for -t elsewhere); default: every tenant.",
)
@json_option_saying("{value: [{tenantId, kid, active, ...}]}")
@click.pass_context
def list_(ctx: click.Context, tenant: str | None, as_json: bool) -> None:
    """List published signing keys (creates a tenant's first key if it has none)."""
    platform = platform_from(ctx)
    rows = [
        _key_json(t, key)
        for t in _chosen(platform, tenant)
        for key in platform.keys.published(t.id)
    ]
    _print(rows, as_json, "Signing keys")


@keys.command("rotate")
@click.option(
    "--tenant",
    "-t",
    metavar="TENANT",
    help="Only this tenant (as for -t elsewhere); default: every tenant.",
)
@json_option_saying("the new keys ({value: [...]})")
@click.pass_context
def rotate(ctx: click.Context, tenant: str | None, as_json: bool) -> None:
    """Make a new key the signer; the old one stays in the JWKS until its tokens expire."""
    platform = platform_from(ctx)
    rows = []
    for t in _chosen(platform, tenant):
        new_kid = platform.rotate_signing_key(t.id).kid
        rows += [_key_json(t, k) for k in platform.keys.published(t.id) if k.public.kid == new_kid]
    _print(rows, as_json, "New signing keys")
