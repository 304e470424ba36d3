"""What a successful run prints on stdout: indented JSON (the Python sample's form, and easy to
pipe into jq) or, with `--output table`, rich tables for people. Nothing else goes to stdout."""

from __future__ import annotations

import json
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

_USER_COLUMNS = ("id", "displayName", "userPrincipalName", "mail")
_TODO_COLUMNS = ("id", "owner", "description")


def write_json(data: Any, stream: TextIO) -> None:
    stream.write(json.dumps(data, indent=2) + "\n")


def write_table(kind: str, data: Any, stream: TextIO) -> None:
    console = Console(file=stream, width=160, soft_wrap=False, highlight=False)
    if kind == "users":
        users = data.get("value", []) if isinstance(data, dict) else []
        console.print(_rows_table(users, _columns(users, _USER_COLUMNS), "Users"))
        if isinstance(data, dict) and data.get("@odata.nextLink"):
            console.print("more users: stopped at --max-pages")
    elif kind == "sync":
        _sync_lines(console, data)
    elif kind == "todos":
        console.print(_rows_table(data, _TODO_COLUMNS, "To-dos"))
    elif kind == "deleted":
        console.print(f"Deleted to-do {data['deleted']}")
    else:
        console.print(_fields_table(data))


def _sync_lines(console: Console, report: dict[str, Any]) -> None:
    """`+` added, `~` changed, `-` removed, one user a line, then the totals."""
    for mark, key in (("+", "added"), ("~", "changed"), ("-", "removed")):
        for user in report.get(key, []):
            name = user.get("userPrincipalName") or user.get("displayName") or ""
            console.print(f"{mark} {user.get('id')} {name}".rstrip())
    console.print(
        f"{report.get('round')} round: {len(report.get('added', []))} added, "
        f"{len(report.get('changed', []))} changed, {len(report.get('removed', []))} removed; "
        f"{report.get('users')} users kept in {report.get('state')}"
    )


def _columns(rows: list[Any], preferred: tuple[str, ...]) -> tuple[str, ...]:
    """The usual columns, or exactly the fields a `--select` asked for."""
    present = [k for row in rows[:50] if isinstance(row, dict) for k in row if k != "@odata.type"]
    if not present:
        return preferred
    keys = list(dict.fromkeys(present))
    chosen = [c for c in preferred if c in keys]
    return tuple(chosen) if len(chosen) >= 2 or len(keys) > 6 else tuple(keys)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _rows_table(rows: Any, columns: tuple[str, ...], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict):
            table.add_row(*(_cell(row.get(c)) for c in columns))
    return table


def _fields_table(data: Any) -> Table:
    table = Table(show_header=True)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    if isinstance(data, dict):
        for key, value in data.items():
            if key.startswith("@odata.") or value in (None, [], {}):
                continue
            table.add_row(key, _cell(value))
    return table
