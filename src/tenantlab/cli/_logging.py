"""`--log-level` and `--log-format`: the same two options on every serving command."""

from __future__ import annotations

import click

from tenantlab.logs import DEFAULT_LEVEL, FORMATS, LEVELS, configure


def log_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option(
        "--log-format",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        envvar="TENANTLAB_LOG_FORMAT",
        help="Server logs (stderr) as text lines or one JSON object per line.",
    )(func)
    func = click.option(
        "--log-level",
        type=click.Choice(LEVELS),
        default=DEFAULT_LEVEL,
        show_default=True,
        envvar="TENANTLAB_LOG_LEVEL",
        help="info: one access-log line per request and one per token request; "
        "warning: problems only.",
    )(func)
    return func


def start_logging(level: str, fmt: str) -> None:
    configure(level, fmt)
