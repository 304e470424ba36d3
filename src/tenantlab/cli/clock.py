"""`tenantlab clock show|advance|set|freeze|resume|reset`: the running server's clock.

Moving it moves what the cloud dates: tokens' iat/nbf/exp, secret and certificate expiry,
signing-key retirement, throttling windows. Clients' clocks do not move (docs/testing.md).
"""

from __future__ import annotations

import re
from typing import Any

import click

from tenantlab.cli._common import CommandGroup, json_option_saying, load_settings, print_json
from tenantlab.control.client import RemoteClock, for_running_server

DURATION = re.compile(r"^([+-]?\d+(?:\.\d+)?)([smhd]?)$")
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}


@click.group(cls=CommandGroup)
def clock() -> None:
    """The running server's clock: show it, move it, freeze it."""


def _clock() -> RemoteClock:
    return for_running_server(load_settings()).clock


def _show(state: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(state)
        return
    offset = state["offsetSeconds"]
    moved = "real time" if offset == 0 else f"{offset:+g} s from real time"
    frozen = ", frozen" if state["frozen"] else ""
    click.echo(f"{state['now']} ({moved}{frozen})")


def parse_duration(text: str) -> float:
    """`3600`, `90m`, `1h`, `-2d` -> seconds."""
    found = DURATION.match(text.strip())
    if found is None:
        raise click.BadParameter(
            f"{text!r} is not a duration: give seconds or a number with s, m, h or d (90m, -1h)",
            param_hint="DURATION",
        )
    return float(found.group(1)) * UNITS[found.group(2)]


json_state = json_option_saying("{now, epoch, offsetSeconds, frozen}")


@clock.command("show")
@json_state
def show(as_json: bool) -> None:
    """Print the server's time and how far it is from real time."""
    _show(_clock().state(), as_json)


@clock.command("advance", context_settings={"ignore_unknown_options": True})
@click.argument("duration", metavar="DURATION")
@json_state
def advance(duration: str, as_json: bool) -> None:
    """Move the clock by DURATION: seconds, or 90m, 1h, 2d (negative goes back)."""
    _show(_clock().advance(parse_duration(duration)), as_json)


@clock.command("set")
@click.argument("when", metavar="TIME")
@json_state
def set_(when: str, as_json: bool) -> None:
    """Jump to TIME, an ISO 8601 time with a zone (2027-01-01T00:00:00Z)."""
    _show(_clock().set(when), as_json)


@clock.command("freeze")
@json_state
def freeze(as_json: bool) -> None:
    """Stop the clock where it stands (advance and set still move it)."""
    _show(_clock().freeze(), as_json)


@clock.command("resume")
@json_state
def resume(as_json: bool) -> None:
    """Let a frozen clock run again from where it stands."""
    _show(_clock().resume(), as_json)


@clock.command("reset")
@json_state
def reset(as_json: bool) -> None:
    """Back to real time."""
    _show(_clock().reset(), as_json)
