"""HTTP plumbing shared by the token requests and the API calls: TLS trust, timeouts, retries.

One `httpx.Client` per run, so every call to a host reuses its connection. The same client
backs MSAL when the authority is not Microsoft's: MSAL's own `verify=` is silently overridden by
`REQUESTS_CA_BUNDLE` (a requests quirk, and these machines preset that variable), whereas an
httpx client built here trusts exactly the bundle it was given.
"""

from __future__ import annotations

import email.utils
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.daemon.errors import TransportProblem

logger = logging.getLogger("tenantlab.daemon")

RETRYABLE_STATUSES = frozenset({429, 503})
USER_AGENT = "tenantlab-daemon"


def create_http_client(
    *, ca_bundle: Path | None, timeout: float, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A client with a timeout on every phase and the given trust (system trust without one)."""
    verify: ssl.SSLContext | bool = True
    if ca_bundle is not None:
        verify = ssl.create_default_context(cafile=str(ca_bundle))
    return httpx.Client(
        verify=verify,
        timeout=httpx.Timeout(timeout),
        transport=transport,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        trust_env=False,
    )


def transport_problem(exc: Exception, url: str) -> TransportProblem:
    """Name the failure the way a person debugs it: TLS trust, reachability or slowness."""
    text = str(exc) or type(exc).__name__
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    names = " ".join(type(e).__name__ for e in chain) + " " + " ".join(str(e) for e in chain)
    if isinstance(exc, httpx.TimeoutException) or "Timeout" in names:
        kind = "timeout"
    elif (
        any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in names or "CERTIFICATE" in names
    ):
        kind = "tls"
    else:
        kind = "connect"
    return TransportProblem(kind=kind, url=_origin(url), cause=text.splitlines()[0][:300])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


@dataclass
class RetryPolicy:
    """Bounded retries on 429/503: `Retry-After` when the server gives one, else backoff.

    A `Retry-After` longer than `max_wait` is not waited out: the run fails and says when to
    come back, rather than hanging a scheduled job.
    """

    max_retries: int = 3
    base_delay: float = 0.5
    max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Clock = field(default=SYSTEM_CLOCK)

    def delay(self, response: httpx.Response | Any, attempt: int) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to stop here."""
        if response.status_code not in RETRYABLE_STATUSES or attempt >= self.max_retries:
            return None
        after = retry_after_seconds(response.headers.get("Retry-After"), self.clock)
        wait = after if after is not None else self.base_delay * (2**attempt)
        return None if wait > self.max_wait else wait


def retry_after_seconds(value: str | None, clock: Clock = SYSTEM_CLOCK) -> float | None:
    """RFC 9110 `Retry-After`: delay-seconds or an HTTP-date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - clock.now())


def _form(data: dict[str, Any]) -> dict[str, Any]:
    """Form fields the way requests encodes them, which MSAL relies on: None-valued fields are
    dropped (e.g. `claims`) and bytes are text (a certificate's `client_assertion` is bytes);
    httpx would send "" and "b'...'" instead."""
    return {
        k: v.decode("ascii") if isinstance(v, bytes) else v
        for k, v in data.items()
        if v is not None
    }


def _headers(headers: dict[str, Any] | None) -> dict[str, str] | None:
    if headers is None:
        return None
    return {k: str(v) for k, v in headers.items() if v is not None}


class MsalHttpClient:
    """MSAL's `http_client` interface (get/post returning status_code, text, headers) over httpx.

    MSAL leaves retries to a custom http client, so throttled token requests are retried here
    with the same policy as API calls.
    """

    def __init__(self, client: httpx.Client, retry: RetryPolicy) -> None:
        self.client = client
        self.retry = retry
        self.token_requests = 0

    def post(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        self.token_requests += 1
        content = data.encode() if isinstance(data, str) else None
        form = _form(data) if isinstance(data, dict) else None
        return self._send(
            "POST", url, params=params, data=form, content=content, headers=_headers(headers)
        )

    def get(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        return self._send("GET", url, params=params, headers=_headers(headers))

    def close(self) -> None:
        """The client belongs to the caller, who closes it after the API calls too."""

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                raise transport_problem(exc, url) from None
            wait = self.retry.delay(response, attempt)
            if wait is None:
                return response
            logger.info(
                "%s %s -> %s, retrying in %.1fs", method, _origin(url), response.status_code, wait
            )
            self.retry.sleep(wait)
            attempt += 1
