"""Raw ASGI plumbing for the token service: bounded body reads, strict form parsing, JSON replies.

The token endpoint is the hottest path of the platform, so it skips framework request objects.
The form parser is strict where OAuth demands it (RFC 6749 §3.2: parameters MUST NOT be
repeated) and bounded everywhere, so bad input turns into an AADSTS error, never a 500.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import Receive, Scope, Send

from tenantlab.sts import errors
from tenantlab.sts.errors import StsError

MAX_BODY_BYTES = 256 * 1024  # a certificate chain in x5c plus a claims challenge fits easily
MAX_PARAMETERS = 64
MAX_VALUE_BYTES = 64 * 1024
MAX_NAME_BYTES = 256

FORM_CONTENT_TYPE = b"application/x-www-form-urlencoded"

JSON_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-type", b"application/json; charset=utf-8"),
]
# Entra's token responses: never cached by intermediaries or clients' HTTP layers.
NO_STORE_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-type", b"application/json; charset=utf-8"),
    (b"cache-control", b"no-store, no-cache"),
    (b"pragma", b"no-cache"),
]


def header(scope: Scope, name: bytes) -> bytes | None:
    """A request header's value (first occurrence); `name` lower-case."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def is_form(scope: Scope) -> bool:
    """True for `application/x-www-form-urlencoded`, with or without parameters (charset)."""
    value = header(scope, b"content-type")
    if value is None:
        return False
    return value.split(b";", 1)[0].strip().lower() == FORM_CONTENT_TYPE


async def read_body(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole request body, or a 400 as soon as it grows past `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise errors.malformed_request(f"The request body exceeds {limit} bytes.")
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _unquote(raw: bytes, what: str) -> str:
    try:
        if b"%" not in raw and b"+" not in raw:
            return raw.decode("utf-8")  # most names and values: nothing to unquote (hot path)
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise errors.malformed_request(f"The {what} is not valid UTF-8.") from None


def parse_form(body: bytes, *, what: str = "request body") -> dict[str, str]:
    """application/x-www-form-urlencoded, strictly: unique names, UTF-8, bounded sizes."""
    result: dict[str, str] = {}
    if not body:
        return result
    pieces = body.split(b"&")
    if len(pieces) > MAX_PARAMETERS:
        raise errors.malformed_request(f"The {what} has more than {MAX_PARAMETERS} parameters.")
    for piece in pieces:
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition(b"=")
        if len(raw_name) > MAX_NAME_BYTES or len(raw_value) > MAX_VALUE_BYTES:
            raise errors.malformed_request(f"A parameter in the {what} is too long.")
        name = _unquote(raw_name, what)
        if name in result:
            raise errors.malformed_request(
                f"The parameter '{_printable(name)}' appears more than once in the {what}."
            )
        result[name] = _unquote(raw_value, what)
    return result


def parse_query_leniently(query_string: bytes) -> dict[str, str]:
    """Query parameters for optional hints (client-request-id); bad input just yields nothing."""
    try:
        return parse_form(query_string, what="query string")
    except StsError:
        return {}


def _printable(name: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in name)[:64]


async def send_bytes(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_json(
    send: Send,
    status: int,
    payload: Any,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    await send_bytes(send, status, body, [*JSON_HEADERS, *(extra_headers or [])])
