"""`--op syncUsers`: keep a local copy of the directory's users with Graph's delta query.

The first run reads every user (`/users/delta`, all pages) and keeps them, with the
`@odata.deltaLink`, in a state file; each later run follows the stored deltaLink and reports only
what changed since: users added, users changed (the properties Graph sent, merged into the kept
copy), users removed (`@removed`). Graph tells no "added" from "changed", so the kept copy does:
an id not seen before is an addition.

A stored link Graph no longer honours (410 `SyncStateNotFound`: expired, or another tenant's), a
different `--select`, Graph endpoint, authority or client id: the run starts a first round again
(`round: resync`) and reports the difference between the kept copy and the directory as it is.

The state file lives where the daemon keeps its token cache (`<token cache>.users-delta.json`)
unless `--sync-state` names one. It holds user data but no token or secret: owner-only (0600),
replaced atomically; an unreadable one costs a full round, never the run.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenantlab.config import write_private_file
from tenantlab.daemon.errors import ApiCallError, DaemonConfigError
from tenantlab.daemon.graph import GraphClient
from tenantlab.daemon.settings import DaemonSettings

logger = logging.getLogger("tenantlab.daemon")
STATE_VERSION = 1


def state_path(settings: DaemonSettings, explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    if settings.token_cache is not None:
        cache = settings.token_cache
        return cache.with_name(cache.name + ".users-delta.json")
    raise DaemonConfigError(
        "syncUsers keeps its delta link in a file: pass --sync-state FILE, or --token-cache "
        "FILE (the link is then kept beside the token cache)"
    )


@dataclass
class SyncState:
    identity: dict[str, Any]  # whose link it is: endpoint, authority, client id, $select
    delta_link: str | None
    users: dict[str, dict[str, Any]]


def _load(path: Path, identity: dict[str, Any]) -> SyncState:
    empty = SyncState(identity, None, {})
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty
    except (OSError, ValueError):
        logger.warning("the sync state %s is unreadable; starting a full round", path)
        return empty
    if (
        not isinstance(data, dict)
        or data.get("version") != STATE_VERSION
        or not isinstance(data.get("users"), dict)
        or not isinstance(data.get("deltaLink"), str)
    ):
        logger.warning(
            "the sync state %s is not one this daemon wrote; starting a full round", path
        )
        return empty
    users = {str(k): v for k, v in data["users"].items() if isinstance(v, dict)}
    if data.get("identity") != identity:
        logger.info("the sync state %s is for another query or app: resynchronizing", path)
        return SyncState(identity, None, users)
    return SyncState(identity, data["deltaLink"], users)


def _save(path: Path, state: SyncState) -> None:
    document = {
        "version": STATE_VERSION,
        "identity": state.identity,
        "deltaLink": state.delta_link,
        "users": state.users,
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_private_file(temporary, json.dumps(document, separators=(",", ":")).encode("utf-8"))
    os.replace(temporary, path)


def sync_users(
    graph: GraphClient,
    settings: DaemonSettings,
    *,
    path: Path,
    select: list[str] | None,
) -> dict[str, Any]:
    """One run: a first round or the changes since the stored deltaLink; the report."""
    identity = {
        "graphEndpoint": settings.graph_endpoint,
        "authority": settings.authority_url,
        "clientId": settings.client_id,
        "select": select,
    }
    state = _load(path, identity)
    kind = "incremental" if state.delta_link else ("resync" if state.users else "initial")
    try:
        items, link = graph.user_delta(state.delta_link, select=select)
    except ApiCallError as exc:
        if exc.status != 410 or state.delta_link is None:
            raise
        logger.warning(
            "Graph no longer knows the stored delta link (%s): resynchronizing", exc.code
        )
        kind = "resync"
        items, link = graph.user_delta(None, select=select)
    known = state.users
    added: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    if kind != "incremental":  # a full round: whatever it does not list is gone
        listed = {str(i.get("id")) for i in items if isinstance(i, dict) and "@removed" not in i}
        for user_id in [u for u in known if u not in listed]:
            removed.append(_summary(known.pop(user_id)))
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        user_id = item["id"]
        if "@removed" in item:
            if user_id in known:
                removed.append(_summary(known.pop(user_id)))
            continue
        if user_id not in known:
            known[user_id] = item
            added.append(item)
        elif kind == "incremental" or known[user_id] != {**known[user_id], **item}:
            known[user_id] = {**known[user_id], **item}
            changed.append({**item, **_summary(known[user_id])})
    _save(path, SyncState(identity, link, known))
    return {
        "round": kind,
        "added": added,
        "changed": changed,
        "removed": removed,
        "users": len(known),
        "state": str(path),
    }


def _summary(user: dict[str, Any]) -> dict[str, Any]:
    """What names a user in the report: its id and, when kept, its display name and UPN."""
    keys = ("id", "displayName", "userPrincipalName")
    return {k: user[k] for k in keys if k in user}
