"""JSON batching (`POST /v1.0/$batch`): up to 20 Graph requests in one, as Graph runs them.

    {"requests": [{"id": "1", "method": "GET", "url": "/users?$top=1"},
                  {"id": "2", "method": "PATCH", "url": "/users/{id}", "dependsOn": ["1"],
                   "headers": {"Content-Type": "application/json"}, "body": {...}}]}
    -> 200 {"responses": [{"id": "1", "status": 200, "headers": {...}, "body": {...}}, ...]}

The batch itself is checked first, and a malformed one is one 400 `BadRequest` for the whole
(not JSON, no `requests` list, more than 20 requests, an id missing or used twice, a write
without a body or `Content-Type`, a `dependsOn` naming no request of the batch or going round in
a circle). Then each request runs through the same Graph pipeline as a request of its own, in
process (`GraphApp` hands in `execute`): its own permission check, its own throttling charge
(a 429 for that request alone, with its `Retry-After`), its own errors in Graph's envelope. The
order is the requests' own, except that a request runs after those it depends on; one whose
dependency failed (status 400 or more) is not run and answers 424 Failed Dependency.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tenantlab.graph.errors import InvalidRequest

MAX_REQUESTS = 20
WRITES = frozenset({"POST", "PATCH", "PUT"})
METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class BatchItem:
    id: str
    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    depends_on: tuple[str, ...]


# One request of the batch run through Graph's pipeline: (status, headers, body).
Execute = Callable[[BatchItem], tuple[int, dict[str, str], Any]]
# Graph's error envelope for (code, message), with the request ids.
Envelope = Callable[[str, str], dict[str, Any]]


def _invalid(message: str = "Invalid batch payload format.") -> InvalidRequest:
    return InvalidRequest(message, code="BadRequest")


def parse(document: Mapping[str, Any]) -> list[BatchItem]:
    """The batch's requests, checked, in the order they will run."""
    requests = document.get("requests")
    if not isinstance(requests, list) or not requests:
        raise _invalid()
    if len(requests) > MAX_REQUESTS:
        raise _invalid(
            f"The batch holds {len(requests)} requests: Graph takes at most {MAX_REQUESTS} in one "
            "batch."
        )
    items: list[BatchItem] = []
    seen: set[str] = set()
    for entry in requests:
        item = _item(entry)
        if item.id.lower() in seen:
            raise _invalid(f"Request Id {item.id} has to be unique in a batch.")
        seen.add(item.id.lower())
        items.append(item)
    return _ordered(items)


def _item(entry: Any) -> BatchItem:
    if not isinstance(entry, dict):
        raise _invalid()
    request_id, method, url = entry.get("id"), entry.get("method"), entry.get("url")
    if not isinstance(request_id, str) or not request_id.strip():
        raise _invalid()
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise _invalid(f"Request Id {request_id}: the method must be one of {sorted(METHODS)}.")
    if not isinstance(url, str) or not url.strip() or "://" in url:
        raise _invalid(f"Request Id {request_id}: the url must be relative, as '/users'.")
    raw_headers = entry.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise _invalid()
    headers = {
        str(name).lower(): ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        for name, value in raw_headers.items()
    }
    body = _body(request_id, entry.get("body"))
    if method.upper() in WRITES and (not body or "content-type" not in headers):
        raise _invalid(
            f"Write request id : {request_id} does not contain Content-Type header or body."
        )
    depends = entry.get("dependsOn") or []
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise _invalid()
    return BatchItem(request_id, method.upper(), url.strip(), headers, body, tuple(depends))


def _body(request_id: str, value: Any) -> bytes:
    """A JSON body as given, or a base64 string (how the SDKs send bodies that are no object)."""
    if value is None:
        return b""
    if isinstance(value, dict | list):
        return json.dumps(value).encode()
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(
                f"Request Id {request_id}: the body is neither JSON nor base64."
            ) from None
    raise _invalid()


def _ordered(items: list[BatchItem]) -> list[BatchItem]:
    """The requests in their own order, each after what it depends on; a cycle is a 400."""
    by_id = {item.id.lower(): item for item in items}
    for item in items:
        for dependency in item.depends_on:
            if dependency.lower() not in by_id:
                raise _invalid(
                    f"Request Id {item.id} depends on request {dependency}, which is not in "
                    "the batch."
                )
    done: dict[str, bool] = {}  # id -> finished (False: on the current path)
    ordered: list[BatchItem] = []

    def visit(item: BatchItem, path: list[str]) -> None:
        key = item.id.lower()
        if done.get(key) is True:
            return
        if done.get(key) is False:
            cycle = " -> ".join([*path[path.index(item.id) :], item.id])
            raise _invalid(f"The batch's dependsOn references form a cycle: {cycle}.")
        done[key] = False
        for dependency in item.depends_on:
            visit(by_id[dependency.lower()], [*path, item.id])
        done[key] = True
        ordered.append(item)

    for item in items:
        visit(item, [])
    return ordered


def run(items: list[BatchItem], execute: Execute, envelope: Envelope) -> dict[str, Any]:
    """Run the requests in order; `responses` in the order they ran."""
    statuses: dict[str, int] = {}
    responses: list[dict[str, Any]] = []
    for item in items:
        failed = [d for d in item.depends_on if statuses.get(d.lower(), 0) >= 400]
        if failed:
            message = f"The request depends on request {', '.join(failed)}, which failed."
            body = envelope("FailedDependency", message)
            status, headers = 424, {"Content-Type": "application/json"}
        else:
            status, headers, body = execute(item)
        statuses[item.id.lower()] = status
        response: dict[str, Any] = {"id": item.id, "status": status, "headers": headers}
        if body is not None:
            response["body"] = body
        responses.append(response)
    return {"responses": responses}
