"""`tenantlab logs sign-ins`: the tenant's sign-in log, as the admin center's Sign-in logs show it.

Read from the database the servers write to, so it works while `tenantlab serve` runs (records
reach the database within a fraction of a second of the token request).
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import datetime

import click

from tenantlab.cli._common import (
    CommandGroup,
    json_option,
    platform_from,
    print_json,
    resolve_tenant,
    tenant_option,
)
from tenantlab.clock import iso_z
from tenantlab.directory.sign_ins import SignInQuery, list_sign_ins
from tenantlab.errors import TenantlabError
from tenantlab.ids import is_guid
from tenantlab.storage.schema import SignIn

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class LogsUsageError(TenantlabError):
    """A mistaken option of `tenantlab logs`."""


def parse_since(value: str, now: float) -> float:
    """`30m`, `2h`, `7d` (ago) or an ISO 8601 time with an offset (2026-12-04T18:00:00Z)."""
    match = _DURATION.match(value.strip())
    if match:
        return now - int(match.group(1)) * _UNITS[match.group(2)]
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise LogsUsageError(
            f"--since {value!r} is neither a duration (30m, 2h, 7d) nor a time with an offset "
            "(2026-12-04T18:00:00Z)"
        )
    return moment.timestamp()


def describe(row: SignIn) -> str:
    """One line: when, result, which app with which credential, for what, from where."""
    result = "success" if row.error_code == 0 else f"failure AADSTS{row.error_code}"
    who = f"{row.app_display_name or '?'} ({row.app_id or 'unknown app'})"
    if row.user_principal_name:
        who = f"{row.user_principal_name} via {who}"
    target = row.resource_display_name or row.resource_id or "-"
    line = (
        f"{iso_z(row.created_at)}  {result}  {who}  {row.client_credential_type} -> {target}  "
        f"ip {row.ip_address or '-'}  correlation {row.correlation_id}"
    )
    if row.error_code and row.failure_reason:
        line += f"\n    {row.failure_reason}"
    return line


@click.group(cls=CommandGroup)
def logs() -> None:
    """Sign-in logs of a tenant (what Graph serves at /auditLogs/signIns)."""


@logs.command("sign-ins")
@click.option("--app", "app_id", help="Only this application (its appId).")
@click.option("--failed", is_flag=True, help="Only failed sign-ins (an AADSTS error).")
@click.option("--since", help="Only newer records: 30m, 2h, 7d, or 2026-12-04T18:00:00Z.")
@click.option("--top", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--follow", "-f", is_flag=True, help="Keep printing new sign-ins (Ctrl+C stops).")
@tenant_option
@json_option
@click.pass_context
def sign_ins(
    ctx: click.Context,
    app_id: str | None,
    failed: bool,
    since: str | None,
    top: int,
    follow: bool,
    tenant: str | None,
    as_json: bool,
) -> None:
    """List sign-ins, newest first: result and AADSTS code, app, credential, resource, IP."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    if app_id is not None and not is_guid(app_id):
        raise LogsUsageError(
            f"--app takes an appId (a GUID; `tenantlab app list` shows it), not {app_id!r}"
        )
    query = SignInQuery(
        tenant_id=t.id,
        top=top,
        app_id=app_id.lower() if app_id else None,
        error_code_not=0 if failed else None,
        since=parse_since(since, platform.clock.now()) if since else None,
    )
    rows = list_sign_ins(platform.database, query)[:top]
    if as_json and not follow:
        from tenantlab.graph.shapes.sign_ins import SIGN_IN

        print_json([SIGN_IN.render(row) for row in rows])
        return
    if not follow:
        if not rows:
            click.echo(f"No sign-ins recorded for {t.display_name} with these filters.")
        for row in rows:
            click.echo(describe(row))
        return
    seen = {row.id for row in rows}
    for row in reversed(rows):
        click.echo(describe(row))
    newest = rows[0].created_at if rows else platform.clock.now()
    try:
        while True:
            time.sleep(1)
            fresh = list_sign_ins(platform.database, replace(query, since=newest, top=1000))
            for row in reversed(fresh):
                if row.id not in seen:
                    seen.add(row.id)
                    click.echo(describe(row))
                newest = max(newest, row.created_at)
    except KeyboardInterrupt:
        return
