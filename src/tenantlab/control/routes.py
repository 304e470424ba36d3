"""`/_tenantlab/faults` and `/_tenantlab/clock`: fault injection and clock control over HTTP.

For test suites in other languages and for `tenantlab fault` / `tenantlab clock`. Every route
asks for the installation's admin token (`Authorization: Bearer ...`, see `admin_token.py`) and
answers 401 without it. Routes:

    GET    /_tenantlab/faults                 {"value": [fault, ...]}
    POST   /_tenantlab/faults                 add one (JSON as `Fault.to_json`, without id/hits)
    GET    /_tenantlab/faults/{id}            one fault
    DELETE /_tenantlab/faults[/{id}]          remove all faults, or one
    GET    /_tenantlab/clock                  {"now", "epoch", "offsetSeconds", "frozen"}
    POST   /_tenantlab/clock/advance          {"seconds": 3600}
    POST   /_tenantlab/clock/set              {"time": "2027-01-01T00:00:00Z"}
    POST   /_tenantlab/clock/freeze | resume | reset

Errors are `{"error": ..., "error_description": ...}`, as the token service's other non-AADSTS
answers.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from starlette.types import Receive, Scope, Send

from tenantlab.clock import ControlledClock, utc_datetime
from tenantlab.control.admin_token import authorized
from tenantlab.errors import TenantlabError
from tenantlab.faults.registry import CONTROL_PREFIX as PREFIX
from tenantlab.faults.registry import FaultRegistry
from tenantlab.sts.errors import StsError
from tenantlab.sts.http import header, read_body, send_bytes, send_json

MAX_CONTROL_BODY = 64 * 1024
UNAUTHORIZED = (
    "The control routes need the admin token: Authorization: Bearer <contents of the data "
    "folder's admin-token file>."
)

SEVERAL_WORKERS = (
    "Faults and the clock belong to one server process, and this cloud runs several workers "
    "(each would get a different share of them): serve it without --workers for these tests."
)


class ControlError(TenantlabError):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


class ControlApp:
    """The control routes of one cloud: its fault registry and its clock."""

    def __init__(
        self,
        faults: FaultRegistry,
        clock: ControlledClock,
        admin_token: str,
        *,
        workers: int = 1,
    ) -> None:
        """`workers`: how many processes serve this cloud. Each has its own faults and clock, and
        a request reaches any one of them, so with more than one the routes refuse to act."""
        self.faults = faults
        self.clock = clock
        self._admin_token = admin_token
        self._workers = workers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if not authorized(self._admin_token, header(scope, b"authorization")):
            await send_json(
                send,
                401,
                {"error": "unauthorized", "error_description": UNAUTHORIZED},
                [(b"www-authenticate", b'Bearer realm="tenantlab"')],
            )
            return
        if self._workers > 1:
            await send_json(send, 409, {"error": "conflict", "error_description": SEVERAL_WORKERS})
            return
        try:
            status, payload = await self._route(scope, receive)
        except ControlError as exc:
            await send_json(
                send, exc.status, {"error": exc.error, "error_description": exc.message}
            )
            return
        except TenantlabError as exc:  # InvalidFault, a bad time: the caller's mistake
            await send_json(
                send, 400, {"error": "invalid_request", "error_description": exc.message}
            )
            return
        if payload is None:
            await send_bytes(send, status, b"", [])
        else:
            await send_json(send, status, payload)

    async def _route(self, scope: Scope, receive: Receive) -> tuple[int, Any]:
        method: str = scope["method"]
        parts = [p for p in scope["path"][len(PREFIX) :].split("/") if p]
        if parts[:1] == ["faults"]:
            return await self._faults(method, parts[1:], receive)
        if parts[:1] == ["clock"]:
            return await self._clock(method, parts[1:], receive)
        raise ControlError(404, "not_found", "No such control route: see docs/testing.md.")

    async def _faults(self, method: str, rest: list[str], receive: Receive) -> tuple[int, Any]:
        if not rest:
            if method == "GET":
                return 200, {"value": [f.to_json() for f in self.faults]}
            if method == "POST":
                fault = self.faults.add_json(await _json_object(receive))
                return 201, fault.to_json()
            if method == "DELETE":
                self.faults.clear()
                return 204, None
            raise _not_allowed(method)
        if len(rest) == 1:
            found = next((f for f in self.faults if f.id == rest[0]), None)
            if found is None:
                raise ControlError(404, "not_found", f"No fault {rest[0]!r} (it may be used up).")
            if method == "GET":
                return 200, found.to_json()
            if method == "DELETE":
                self.faults.remove(found.id)
                return 204, None
            raise _not_allowed(method)
        raise ControlError(404, "not_found", "No such control route: see docs/testing.md.")

    async def _clock(self, method: str, rest: list[str], receive: Receive) -> tuple[int, Any]:
        if not rest:
            if method != "GET":
                raise _not_allowed(method)
            return 200, clock_json(self.clock)
        if len(rest) != 1 or method != "POST":
            raise ControlError(404, "not_found", "Clock routes: POST /_tenantlab/clock/ACTION.")
        action = rest[0]
        if action == "advance":
            seconds = (await _json_object(receive)).get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                raise ControlError(400, "invalid_request", 'Give {"seconds": N}.')
            if not math.isfinite(seconds):
                raise ControlError(400, "invalid_request", "seconds must be a finite number.")
            self.clock.advance(seconds)
        elif action == "set":
            self.clock.set(parse_time((await _json_object(receive)).get("time")))
        elif action == "freeze":
            self.clock.freeze()
        elif action == "resume":
            self.clock.resume()
        elif action == "reset":
            self.clock.reset()
        else:
            raise ControlError(
                404, "not_found", "Clock actions: advance, set, freeze, resume, reset."
            )
        return 200, clock_json(self.clock)


def clock_json(clock: ControlledClock) -> dict[str, Any]:
    now = clock.now()
    return {
        "now": utc_datetime(now).isoformat().replace("+00:00", "Z"),
        "epoch": now,
        "offsetSeconds": round(clock.offset, 3) + 0.0,  # never -0.0
        "frozen": clock.frozen,
    }


def parse_time(value: object) -> datetime:
    """An ISO 8601 time with a zone (`Z` or an offset), as the clock routes take it."""
    if not isinstance(value, str):
        raise ControlError(400, "invalid_request", 'Give {"time": "2027-01-01T00:00:00Z"}.')
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ControlError(400, "invalid_request", f"Not an ISO 8601 time: {value!r}.") from None
    if moment.tzinfo is None:
        raise ControlError(400, "invalid_request", "Give the time with a zone (Z or +01:00).")
    return moment


async def _json_object(receive: Receive) -> dict[str, Any]:
    try:
        raw = await read_body(receive, MAX_CONTROL_BODY)
    except StsError:
        raise ControlError(413, "invalid_request", "The request body is too large.") from None
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ControlError(400, "invalid_request", "The body must be a JSON object.") from None
    if not isinstance(value, dict):
        raise ControlError(400, "invalid_request", "The body must be a JSON object.")
    return value


def _not_allowed(method: str) -> ControlError:
    return ControlError(405, "method_not_allowed", f"{method} is not allowed here.")
