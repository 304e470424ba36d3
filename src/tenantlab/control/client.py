"""The control routes from the outside: `tenantlab fault`, `tenantlab clock`, and the test kit's
cloud when it runs against a server elsewhere (`--tenantlab-url`).

`RemoteFaults` and `RemoteClock` have the names of `FaultRegistry` and `ControlledClock`
(`add`, `clear`, `advance`, `set`, `freeze`, `resume`, `reset`), so a test reads the same
whether its cloud runs in the test process or behind `tenantlab serve`.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tenantlab.config import PlatformSettings
from tenantlab.control.admin_token import read_admin_token
from tenantlab.errors import TenantlabError
from tenantlab.faults.registry import JSON_FIELDS

TIMEOUT = 10.0


class ControlFailed(TenantlabError):
    """The server refused a control request or could not be reached; the message says why."""


class ControlClient:
    """Authenticated JSON calls to one server's `/_tenantlab` routes."""

    def __init__(
        self, origin: str, admin_token: str, *, verify: ssl.SSLContext | str | bool = True
    ) -> None:
        self.origin = origin.rstrip("/")
        self._http = httpx.Client(
            base_url=f"{self.origin}/_tenantlab",
            headers={"Authorization": f"Bearer {admin_token}"},
            verify=verify,
            timeout=TIMEOUT,
        )

    @classmethod
    def for_data_folder(cls, origin: str, home: Path, ca_bundle: Path) -> ControlClient:
        """The server at `origin` that serves the data folder `home` (its admin token is there)."""
        context = ssl.create_default_context(cafile=str(ca_bundle))
        return cls(origin, read_admin_token(home), verify=context)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            answer = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ControlFailed(
                f"{self.origin} did not answer ({exc.__class__.__name__}): is the server running?"
            ) from None
        if answer.status_code == 204:
            return None
        try:
            payload = answer.json()
        except ValueError:
            payload = {}
        if answer.is_error:
            text = payload.get("error_description") if isinstance(payload, dict) else None
            raise ControlFailed(text or f"{self.origin} answered HTTP {answer.status_code}")
        return payload

    @property
    def faults(self) -> RemoteFaults:
        return RemoteFaults(self)

    @property
    def clock(self) -> RemoteClock:
        return RemoteClock(self)

    def close(self) -> None:
        self._http.close()


class RemoteFault:
    """A fault on a remote server; as a context manager, removed when the block ends."""

    def __init__(self, client: ControlClient, shown: dict[str, Any]) -> None:
        self._client = client
        self.shown = shown
        self.id: str = shown["id"]

    def remove(self) -> None:
        with contextlib.suppress(ControlFailed):  # used up or cleared already: gone either way
            self._client.call("DELETE", f"/faults/{self.id}")

    def __enter__(self) -> RemoteFault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


class RemoteFaults:
    def __init__(self, client: ControlClient) -> None:
        self._client = client

    def add(self, endpoint: str = "token", **options: Any) -> RemoteFault:
        """As `FaultRegistry.add`: the same keywords (`status`, `retry_after`, `count`, ...)."""
        names = {python: wire for wire, python in JSON_FIELDS.items()}
        unknown = sorted(set(options) - set(names))
        if unknown:
            raise TypeError(f"unknown fault option {unknown[0]!r}")
        body = {"endpoint": endpoint, **{names[k]: v for k, v in options.items()}}
        return RemoteFault(self._client, self._client.call("POST", "/faults", body))

    def list(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = self._client.call("GET", "/faults")["value"]
        return value

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.list())

    def remove(self, fault_id: str) -> None:
        self._client.call("DELETE", f"/faults/{fault_id}")

    def clear(self) -> None:
        self._client.call("DELETE", "/faults")


class RemoteClock:
    def __init__(self, client: ControlClient) -> None:
        self._client = client

    def state(self) -> dict[str, Any]:
        """`{"now", "epoch", "offsetSeconds", "frozen"}`."""
        value: dict[str, Any] = self._client.call("GET", "/clock")
        return value

    def now(self) -> float:
        return float(self.state()["epoch"])

    def advance(self, seconds: float) -> dict[str, Any]:
        return self._action("advance", {"seconds": seconds})

    def set(self, when: datetime | str) -> dict[str, Any]:
        text = when.isoformat() if isinstance(when, datetime) else when
        return self._action("set", {"time": text})

    def freeze(self) -> dict[str, Any]:
        return self._action("freeze")

    def resume(self) -> dict[str, Any]:
        return self._action("resume")

    def reset(self) -> dict[str, Any]:
        return self._action("reset")

    def _action(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        value: dict[str, Any] = self._client.call("POST", f"/clock/{name}", body or {})
        return value


def for_running_server(settings: PlatformSettings) -> ControlClient:
    """The server that runs from this data folder (`server.json`), with the folder's token."""
    from tenantlab.served import running_server

    found = running_server(settings.home)
    if found is None:
        raise ControlFailed(
            f"no tenantlab server is running from {settings.home}: start one with `tenantlab "
            "serve` (faults and the clock belong to a running server)"
        )
    return ControlClient.for_data_folder(found.origin, settings.home, settings.ca_bundle_path)
