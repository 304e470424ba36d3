"""`tenantlab logs sign-ins|audits`: the tenant's sign-in and audit logs, as the admin center's
Sign-in logs and Audit logs show them.

Read from the database the servers write to, so it works while `tenantlab serve` runs (sign-ins
reach the database within a fraction of a second of the token request; audit records commit
with the change they describe).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

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
from tenantlab.directory.audits import FAILURE, AuditQuery, list_audits
from tenantlab.directory.sign_ins import SignInQuery, list_sign_ins
from tenantlab.errors import TenantlabError
from tenantlab.ids import is_guid
from tenantlab.storage.schema import DirectoryAudit, SignIn

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


def describe_audit(row: DirectoryAudit) -> str:
    """One line: when, result, what, on which objects, by whom."""
    by = row.initiated_by.get("user") or row.initiated_by.get("app") or {}
    who = by.get("userPrincipalName") or by.get("displayName") or "?"
    if by.get("appId"):
        who += f" ({by['appId']})"
    targets = ", ".join(
        f"{t.get('displayName') or '?'} ({t.get('id') or '-'})" for t in row.target_resources
    )
    line = (
        f"{iso_z(row.activity_at)}  {row.result}  {row.activity_display_name.strip()}  "
        f"[{row.category}]  {targets or '-'}  by {who}  correlation {row.correlation_id}"
    )
    if row.result == FAILURE and row.result_reason:
        line += f"\n    {row.result_reason}"
    return line


Row = TypeVar("Row", SignIn, DirectoryAudit)


def follow_log(
    rows: list[Row],
    newer: Callable[[float], list[Row]],
    when: Callable[[Row], float],
    line: Callable[[Row], str],
    now: float,
) -> None:
    """Print `rows` oldest first, then every second the records `newer` than the newest seen,
    until Ctrl+C."""
    seen = {row.id for row in rows}
    for row in reversed(rows):
        click.echo(line(row))
    newest = when(rows[0]) if rows else now
    try:
        while True:
            time.sleep(1)
            for row in reversed(newer(newest)):
                if row.id not in seen:
                    seen.add(row.id)
                    click.echo(line(row))
                newest = max(newest, when(row))
    except KeyboardInterrupt:
        return


@click.group(cls=CommandGroup)
def logs() -> None:
    """Sign-in and audit logs of a tenant (Graph's /auditLogs/signIns and directoryAudits)."""


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
    _check_app_id(app_id)
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
    follow_log(
        rows,
        lambda since: list_sign_ins(platform.database, replace(query, since=since, top=1000)),
        lambda row: row.created_at,
        describe,
        platform.clock.now(),
    )


def _check_app_id(app_id: str | None) -> None:
    if app_id is not None and not is_guid(app_id):
        raise LogsUsageError(
            f"--app takes an appId (a GUID; `tenantlab app list` shows it), not {app_id!r}"
        )


@logs.command("audits")
@click.option("--app", "app_id", help="Only changes made by this application (its appId).")
@click.option("--failed", is_flag=True, help="Only refused changes.")
@click.option("--since", help="Only newer records: 30m, 2h, 7d, or 2026-12-04T18:00:00Z.")
@click.option("--top", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--follow", "-f", is_flag=True, help="Keep printing new records (Ctrl+C stops).")
@tenant_option
@json_option
@click.pass_context
def audits(
    ctx: click.Context,
    app_id: str | None,
    failed: bool,
    since: str | None,
    top: int,
    follow: bool,
    tenant: str | None,
    as_json: bool,
) -> None:
    """List directory changes, newest first: what, on which objects, by whom, the result."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    _check_app_id(app_id)
    query = AuditQuery(
        tenant_id=t.id,
        top=top,
        initiator_app_id=app_id.lower() if app_id else None,
        result=FAILURE if failed else None,
        since=parse_since(since, platform.clock.now()) if since else None,
    )
    rows = list_audits(platform.database, query)[:top]
    if as_json and not follow:
        from tenantlab.graph.shapes.directory_audits import DIRECTORY_AUDIT

        print_json([DIRECTORY_AUDIT.render(row) for row in rows])
        return
    if not follow:
        if not rows:
            click.echo(f"No audit records for {t.display_name} with these filters.")
        for row in rows:
            click.echo(describe_audit(row))
        return
    follow_log(
        rows,
        lambda since: list_audits(platform.database, replace(query, since=since, top=1000)),
        lambda row: row.activity_at,
        describe_audit,
        platform.clock.now(),
    )
