"""What every command shares: opening the platform, choosing the tenant, printing results.

Output has two forms. `--json` prints Graph's JSON shape (from `graph.shapes`) so scripts
can parse it; without it, a short readable summary. Errors a user can fix are one `error:` line on
stderr with no traceback (see `TenantlabGroup`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from tenantlab.errors import ConfigError, TenantlabError

if TYPE_CHECKING:  # imported when a command runs, so `--help` stays fast (no SQLAlchemy)
    from rich.console import Console

    from tenantlab.config import PlatformSettings
    from tenantlab.platform import Platform
    from tenantlab.storage.schema import Tenant

F = TypeVar("F", bound=Callable[..., Any])


class CommandFailed(click.ClickException):
    """A TenantlabError surfaced to the user: `error: <message>` on stderr, exit 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class SettingsFailed(CommandFailed):
    """A bad setting, flag value or file: exit 2, as click's own usage errors."""

    exit_code = 2


class TenantlabGroup(click.Group):
    """A click group that turns tenantlab's own errors into one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise SettingsFailed(exc.message) from None
        except TenantlabError as exc:
            raise CommandFailed(_where(ctx, exc)) from None


def _where(ctx: click.Context, exc: TenantlabError) -> str:
    """A look-up that failed in the current tenant says so: the object may be in another one."""
    from tenantlab.cli.selection import Chosen

    chosen = ctx.meta.get(CHOSEN_KEY)
    if (
        isinstance(chosen, Chosen)
        and chosen.source == "current"
        and getattr(exc, "status", None) == 404
    ):
        return f"{exc.message} [tenant: {chosen.describe()}]"
    return exc.message


CHOSEN_KEY = "tenantlab.tenant"


def load_settings(**overrides: Any) -> PlatformSettings:
    """Settings from TENANTLAB_* plus command-line overrides; bad values are a ConfigError."""
    from tenantlab.config import PlatformSettings

    return PlatformSettings(**{k: v for k, v in overrides.items() if v is not None})


def platform_from(ctx: click.Context, **overrides: Any) -> Platform:
    """The platform for this command, opened once and closed when the command ends."""
    from tenantlab.directory.audits import CLI, acting_as
    from tenantlab.platform import Platform

    root = ctx.find_root()
    cached = root.meta.get("tenantlab.platform")
    if isinstance(cached, Platform):
        return cached
    platform = Platform.open(load_settings(**overrides))
    root.meta["tenantlab.platform"] = platform
    root.call_on_close(platform.close)
    # The directory's audit log names the CLI as the initiator of this command's changes, all
    # under one correlation id (the servers a command starts say who acts per request).
    root.with_resource(acting_as(CLI))
    return platform


def resolve_tenant(platform: Platform, name: str | None) -> Tenant:
    """`-t NAME` (id, domain, short domain or display name), else the current or only tenant."""
    from tenantlab.cli.selection import choose_tenant

    chosen = choose_tenant(platform, name)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[CHOSEN_KEY] = chosen
    return chosen.tenant


GRAPH_JSON_HELP = "Print Graph's JSON shape (for scripts)."


def json_option(func: F) -> F:
    """`--json`: Graph's JSON shape of what the command shows."""
    return click.option("--json", "as_json", is_flag=True, help=GRAPH_JSON_HELP)(func)


def json_option_saying(what: str) -> Callable[[F], F]:
    """`--json` for a command whose JSON is not a Graph object: `what` says what it prints."""

    def decorate(func: F) -> F:
        return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")(func)

    return decorate


class CommandGroup(click.Group):
    """A command group whose list shows each command's whole first sentence, never cut at '...'."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, summary_of(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def summary_of(command: click.Command) -> str:
    """`short_help`, else the help text's first paragraph (its first sentence when long)."""
    if command.short_help:
        return command.short_help
    text = (command.help or "").strip().split("\n\n")[0]
    text = " ".join(text.split())
    if len(text) > 100 and ". " in text:
        text = text.split(". ")[0] + "."
    return text


def tenant_option(func: F) -> F:
    return click.option(
        "--tenant",
        "-t",
        metavar="TENANT",
        help="Tenant: id, domain, short domain (contoso) or display name "
        "(default: the current tenant, see `tenant use`).",
    )(func)


def forwarded_allow_ips_option(func: F) -> F:
    return click.option(
        "--forwarded-allow-ips",
        metavar="IPS",
        default=None,
        help="Trust X-Forwarded-For/-Proto only from these proxies: comma-separated addresses or "
        "networks, or * (default: none; the client address is the connection's).",
    )(func)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def console() -> Console:
    """A console on stdout; in a pipe, wide enough that GUIDs are never folded."""
    from rich.console import Console

    width = None if sys.stdout.isatty() else 240
    return Console(file=sys.stdout, highlight=False, soft_wrap=True, width=width)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain-text table: the title, a header, a rule and one line per row (never folded, so
    `grep` and `awk` see whole GUIDs; rich is not imported, which keeps start-up short)."""
    widths = [len(c) for c in columns]
    for row in rows:
        widths = [max(w, len(str(cell))) for w, cell in zip(widths, row, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()

    click.echo(click.style(title, bold=True))
    click.echo(line(columns))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo(line(row))
    if not rows:
        click.echo("(none)")


def print_fields(title: str, fields: Sequence[tuple[str, str]]) -> None:
    click.echo(click.style(title, bold=True))
    width = max((len(k) for k, _ in fields), default=0)
    for key, value in fields:
        click.echo(f"  {key.ljust(width)}  {value}")


def fail(message: str) -> NoReturn:
    raise CommandFailed(message)
