"""The faults a running cloud injects: what to break, where, for whom, and how often.

One `FaultRegistry` per cloud (`Platform.faults`), never module-level: several clouds may run
in one process (pytest sessions do), and each breaks only what it was told to. The registry is
plain data behind a lock; `injector.FaultInjector` asks it, per request, whether a fault fires.

A fault names an endpoint (`token`, `jwks`, `discovery`, `instance_discovery`, `graph`, or a
path such as `/v1.0/users`) and what happens there: an error status in the service's own
envelope (with `Retry-After` if asked), a delay before the real answer or the error, a dropped
connection, or a stall (no answer until the client gives up or the fault goes). `count` fires
it N times; `probability` fires it on a share of requests; neither: until removed. `tenant`
and `client_id` narrow it to one tenant's or one client's requests.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from tenantlab.errors import ConfigError
from tenantlab.ids import new_guid

ENDPOINTS = ("token", "jwks", "discovery", "instance_discovery", "graph")
DEFAULT_STATUS = 503
CONTROL_PREFIX = "/_tenantlab"  # the control routes: never broken, or nobody could mend them
MAX_DELAY = 600.0  # seconds; also how long a stall holds a request at most


class InvalidFault(ConfigError):
    """A fault that cannot be injected as described; the message says what to change."""


@dataclass(eq=False)
class Fault:
    """One injected fault. Use it as a context manager to remove it when the block ends."""

    endpoint: str
    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    count: int | None = None  # fires left; None: no limit
    probability: float | None = None
    body: str | dict[str, Any] | None = None
    tenant: str | None = None
    client_id: str | None = None
    drop: bool = False
    stall: bool = False
    id: str = field(default_factory=lambda: new_guid()[:8])
    hits: int = 0  # how often it fired
    tenant_aliases: frozenset[str] = frozenset()  # the tenant's id and domains, lower-case
    _registry: FaultRegistry | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        """Still in its registry (not removed, cleared, or used up)."""
        return self._registry is not None and self in self._registry

    def remove(self) -> None:
        if self._registry is not None:
            self._registry.remove(self.id)

    def __enter__(self) -> Fault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def matches_path(self, kind: str | None, path: str) -> bool:
        if self.endpoint.startswith("/"):
            prefix = self.endpoint.rstrip("/")
            return path == self.endpoint or path == prefix or path.startswith(prefix + "/")
        return self.endpoint == kind

    def to_json(self) -> dict[str, Any]:
        """The fault as `/_tenantlab/faults` and `tenantlab fault list --json` show it."""
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "status": self.status,
            "retryAfter": self.retry_after,
            "delay": self.delay,
            "count": self.count,
            "probability": self.probability,
            "body": self.body,
            "tenant": self.tenant,
            "clientId": self.client_id,
            "drop": self.drop,
            "stall": self.stall,
            "hits": self.hits,
        }


# JSON field -> keyword of `FaultRegistry.add` (the HTTP API speaks Graph's camelCase).
JSON_FIELDS = {
    "endpoint": "endpoint",
    "status": "status",
    "retryAfter": "retry_after",
    "delay": "delay",
    "count": "count",
    "probability": "probability",
    "body": "body",
    "tenant": "tenant",
    "clientId": "client_id",
    "drop": "drop",
    "stall": "stall",
}


class FaultRegistry:
    """The faults of one cloud. Thread-safe: tests add faults from their own thread while the
    server's event loop fires them."""

    def __init__(
        self,
        *,
        resolve_tenant: Callable[[str], frozenset[str]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """`resolve_tenant` turns a tenant name into its id and domains (`tenant=` faults then
        match any of them in a path); `rng` decides `probability` faults (seed it to replay)."""
        self._resolve_tenant = resolve_tenant
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}

    def add(
        self,
        endpoint: str = "token",
        *,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        count: int | None = None,
        probability: float | None = None,
        body: str | dict[str, Any] | None = None,
        tenant: str | None = None,
        client_id: str | None = None,
        drop: bool = False,
        stall: bool = False,
    ) -> Fault:
        """Inject a fault; it stays until removed, cleared, or its `count` is used up.

        Without `status`, `drop`, `stall` or `delay` the fault answers 503. `delay` alone slows
        the real answer down; with `status` it delays the error."""
        if status is None and not (drop or stall or delay):
            status = DEFAULT_STATUS
        fault = Fault(
            endpoint=endpoint,
            status=status,
            retry_after=retry_after,
            delay=float(delay),
            count=count,
            probability=probability,
            body=body,
            tenant=tenant,
            client_id=client_id,
            drop=drop,
            stall=stall,
        )
        _check(fault)
        if tenant is not None:
            fault.tenant_aliases = (
                self._resolve_tenant(tenant)
                if self._resolve_tenant is not None
                else frozenset({tenant.strip().lower()})
            )
        fault._registry = self
        with self._lock:
            self._faults[fault.id] = fault
        return fault

    def add_json(self, data: Mapping[str, Any]) -> Fault:
        """`add` from the HTTP API's JSON object (camelCase names, see `Fault.to_json`)."""
        unknown = sorted(set(data) - set(JSON_FIELDS))
        if unknown:
            raise InvalidFault(
                f"unknown fault field {unknown[0]!r}; known: {', '.join(JSON_FIELDS)}"
            )
        kwargs = {JSON_FIELDS[name]: value for name, value in data.items() if value is not None}
        try:
            return self.add(**kwargs)
        except TypeError as exc:  # a JSON value of the wrong type where arithmetic meets it
            raise InvalidFault(f"invalid fault: {exc}") from None

    def remove(self, fault_id: str) -> bool:
        """Remove one fault; False when there was none with that id."""
        with self._lock:
            return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def __contains__(self, fault: object) -> bool:
        return isinstance(fault, Fault) and self._faults.get(fault.id) is fault

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults.values()))

    def __len__(self) -> int:
        return len(self._faults)

    def __bool__(self) -> bool:
        return True  # a registry is a registry even when empty (`if cloud.faults:` is a trap)

    @property
    def armed(self) -> bool:
        """Any fault at all: the injector's one check on the hot path when nothing is broken."""
        return bool(self._faults)

    def candidates(self, kind: str | None, path: str, tenant: str | None) -> list[Fault]:
        """Faults whose endpoint and tenant match; `fire` makes the final choice."""
        segment = tenant.lower() if tenant else None
        with self._lock:
            return [
                f
                for f in self._faults.values()
                if f.matches_path(kind, path)
                and (f.tenant is None or (segment is not None and segment in f.tenant_aliases))
            ]

    def fire(self, candidates: list[Fault], client_id: str | None) -> Fault | None:
        """The first candidate that fires for this request (its count and hits move), or None."""
        with self._lock:
            for fault in candidates:
                if self._faults.get(fault.id) is not fault:
                    continue  # removed meanwhile
                if fault.client_id is not None and (
                    client_id is None or client_id.lower() != fault.client_id.lower()
                ):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                fault.hits += 1
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        del self._faults[fault.id]
                return fault
        return None


def _check(fault: Fault) -> None:
    if fault.endpoint not in ENDPOINTS and not fault.endpoint.startswith("/"):
        raise InvalidFault(
            f"unknown endpoint {fault.endpoint!r}: use {', '.join(ENDPOINTS)} or a path "
            "starting with / (e.g. /v1.0/users)"
        )
    if fault.endpoint.startswith(CONTROL_PREFIX):
        raise InvalidFault("the control routes (/_tenantlab/...) cannot be broken")
    if fault.status is not None and not (
        isinstance(fault.status, int) and 400 <= fault.status <= 599
    ):
        raise InvalidFault(f"status must be an HTTP error status (400-599), not {fault.status}")
    if fault.drop and fault.stall:
        raise InvalidFault("choose one of drop and stall")
    if (fault.drop or fault.stall) and (fault.status is not None or fault.body is not None):
        raise InvalidFault("a dropped or stalled request gets no answer: leave out status and body")
    if fault.body is not None and fault.status is None:
        raise InvalidFault("a body needs a status")
    if fault.count is not None and fault.probability is not None:
        raise InvalidFault("choose one of count and probability")
    if fault.count is not None and (not isinstance(fault.count, int) or fault.count < 1):
        raise InvalidFault(f"count must be a whole number of at least 1, not {fault.count}")
    if fault.probability is not None and not 0 < fault.probability <= 1:
        raise InvalidFault(f"probability must be above 0 and at most 1, not {fault.probability}")
    if fault.retry_after is not None and (
        not isinstance(fault.retry_after, int) or fault.retry_after < 0
    ):
        raise InvalidFault(
            f"retry_after must be whole seconds (0 or more), not {fault.retry_after}"
        )
    if fault.retry_after is not None and fault.status is None:
        raise InvalidFault("retry_after goes with a status")
    if not 0 <= fault.delay <= MAX_DELAY:
        raise InvalidFault(f"delay must be between 0 and {MAX_DELAY:g} seconds")
