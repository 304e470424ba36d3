"""A fault's answer in the real service's envelope: Entra's token-error JSON or Graph's error.

The texts and codes come from the services' own catalogues (`sts/errors.py`, `graph/errors.py`),
so an injected 429 is rendered exactly as the token service or Graph renders its own: a client
cannot tell the fault from the real thing, which is the point. A fault's `body` replaces the
rendered body (a recorded AADSTS answer, or Entra's plain `Too Many Requests`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from starlette.types import Scope

from tenantlab.faults.registry import Fault
from tenantlab.graph.errors import CODES_BY_STATUS, MESSAGES_BY_STATUS, error_body
from tenantlab.graph.throttling import Decision
from tenantlab.ids import new_guid
from tenantlab.sts import errors
from tenantlab.sts.errors import StsError
from tenantlab.sts.http import JSON_HEADERS, NO_STORE_HEADERS, header
from tenantlab.sts.token import correlation_id

Headers = list[tuple[bytes, bytes]]


def sts_error(status: int, retry_after: int | None) -> StsError:
    """The AADSTS error Entra answers with this status when it is throttling or failing."""
    if status == 429:
        return errors.too_many_requests(retry_after)
    if status == 503:
        return errors.request_budget_exceeded(retry_after)
    # Other statuses borrow the nearest code: a transient failure for 5xx, "malformed" for 4xx.
    base = errors.internal_error() if status >= 500 else errors.malformed_request("")
    extra = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return replace(base, status=status, text=base.text.strip(), headers=extra)


def sts_response(
    fault: Fault, scope: Scope, form: dict[str, str], now: float
) -> tuple[bytes, Headers]:
    """Body and headers as the token service sends its errors (`TokenService.send_error`)."""
    assert fault.status is not None
    correlation = correlation_id(scope, form)
    trace_id = str(uuid.uuid4())
    error = sts_error(fault.status, fault.retry_after)
    body = error.render(trace_id=trace_id, correlation_id=correlation, now=now)
    headers: Headers = [
        *NO_STORE_HEADERS,
        (b"client-request-id", correlation.encode()),
        (b"x-ms-request-id", trace_id.encode()),
        *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
    ]
    return _custom(fault, body, headers)


def graph_response(
    fault: Fault, scope: Scope, now: float, claims: Mapping[str, Any]
) -> tuple[bytes, Headers]:
    """Body and headers as Graph sends its errors (`graph.app._error_response`); a 429 for a
    caller known by its token has Graph's throttling headers too (`x-ms-throttle-scope`, ...)."""
    assert fault.status is not None
    sent = header(scope, b"client-request-id")
    ids = {
        "request-id": new_guid(),
        "client-request-id": sent.decode("latin-1") if sent else new_guid(),
    }
    code = CODES_BY_STATUS.get(fault.status, "UnknownError")
    message = MESSAGES_BY_STATUS.get(fault.status, "An error occurred; please retry.")
    body = error_body(code, message, ids, now)
    headers: Headers = [
        *JSON_HEADERS,
        (b"request-id", ids["request-id"].encode()),
        (b"client-request-id", ids["client-request-id"].encode()),
    ]
    if fault.retry_after is not None:
        headers.append((b"retry-after", str(fault.retry_after).encode()))
    tenant_id, app_id = claims.get("tid"), claims.get("appid") or claims.get("azp")
    if fault.status == 429 and isinstance(tenant_id, str) and isinstance(app_id, str):
        refused = Decision(False, cost=1, limit=1, used=1, retry_after=fault.retry_after or 0)
        headers += [
            (name.lower().encode(), value.encode())
            for name, value in refused.headers(tenant_id, app_id).items()
            if name != "Retry-After"  # the fault's own, above, or none
        ]
    return _custom(fault, body, headers)


def _custom(fault: Fault, body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    """The fault's own `body` in place of the rendered one; the service's headers stay."""
    if fault.body is None:
        return body, headers
    kept = [(k, v) for k, v in headers if k != b"content-type"]
    if isinstance(fault.body, dict):
        return json.dumps(fault.body, separators=(",", ":")).encode(), [*JSON_HEADERS, *kept]
    text = fault.body.encode()
    try:
        json.loads(text)
    except ValueError:
        return text, [(b"content-type", b"text/plain; charset=utf-8"), *kept]
    return text, [*JSON_HEADERS, *kept]
