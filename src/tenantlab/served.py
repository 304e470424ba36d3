"""The running server's record in the data folder: `server.json`, with the public origin it serves.

`serve`, `up` and `quickstart` write it once they listen and remove it when they stop, so every
other command (`tenant show`'s authority, `todo-api`'s `--instance`, the daemon's defaults) uses
the origin that really answers instead of assuming the default port. A server that was killed
cannot remove its record: a record whose process no longer runs is stale, and readers ignore it
(the next server overwrites it).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from tenantlab.config import PlatformSettings, write_private_file

SERVER_FILE = "server.json"


@dataclass(frozen=True)
class ServerRecord:
    origin: str  # the public origin: https://localhost:5443, or --public-url
    pid: int
    todo_origin: str | None = None  # the ToDo API beside it (quickstart, up)

    @property
    def running(self) -> bool:
        return process_running(self.pid)


def server_file(home: Path) -> Path:
    return home / SERVER_FILE


def process_running(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 checks without sending anything)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def record_server(home: Path, origin: str, *, todo_origin: str | None = None) -> ServerRecord:
    """Say where this process serves (called once it listens)."""
    record = ServerRecord(origin=origin.rstrip("/"), pid=os.getpid(), todo_origin=todo_origin)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private_file(server_file(home), json.dumps(asdict(record)).encode("utf-8"))
    return record


def forget_server(home: Path) -> None:
    """Remove this process's record (another server's record is left alone)."""
    found = read_server(home)
    if found is not None and found.pid == os.getpid():
        server_file(home).unlink(missing_ok=True)


def read_server(home: Path) -> ServerRecord | None:
    """The record as written, running or stale; None when there is none or it is unreadable."""
    try:
        data = json.loads(server_file(home).read_text("utf-8"))
        todo = data.get("todo_origin")
        return ServerRecord(
            origin=str(data["origin"]),
            pid=int(data["pid"]),
            todo_origin=str(todo) if todo else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def running_server(home: Path) -> ServerRecord | None:
    """The record of a server that still runs; None when there is none or it is stale."""
    found = read_server(home)
    return found if found is not None and found.running else None


def public_origin(settings: PlatformSettings) -> str:
    """The origin clients should use: the running server's, else the configured default."""
    found = running_server(settings.home)
    return found.origin if found is not None else settings.origin
