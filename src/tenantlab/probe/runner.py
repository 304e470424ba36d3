"""Fire the catalogue at an API: the baseline first, then each attack, each answer judged.

    baseline   a valid token must be accepted (2xx); otherwise nothing is probed and
               `BaselineFailed` says why (no answer, refused, not an endpoint): a dead or
               misconfigured API is never reported as secure
    attacks    one request each, in catalogue order, the same method and URL
    verdict    refused (the answer owed) · refused otherwise (another 4xx) · ACCEPTED (2xx) ·
               ERROR (5xx or no answer) · FETCHED (the API fetched the attacker's jku/x5u URL)

The jku/x5u attacks point at a listener on loopback that serves the foreign key: an API that
fetches keys from a token's header is caught even when the fetch fails to convince it.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx

from tenantlab.errors import TenantlabError
from tenantlab.probe.catalogue import ATTACKS, Attack, ProbeContext
from tenantlab.testing.forge import decode_segments, foreign_key

_ERROR_PARAM = re.compile(r'error="([^"]*)"')


class BaselineFailed(TenantlabError):
    """The valid token was not accepted, so no attack result would mean anything."""


class Verdict(Enum):
    REFUSED = "refused"
    REFUSED_OTHERWISE = "refused otherwise"
    ACCEPTED = "ACCEPTED"
    ERROR = "ERROR"
    FETCHED = "FETCHED attacker URL"

    @property
    def is_finding(self) -> bool:
        return self in (Verdict.ACCEPTED, Verdict.ERROR, Verdict.FETCHED)


@dataclass(frozen=True)
class Answer:
    """What the API said: a status and RFC 6750's `error`, or why there was no answer."""

    status: int | None
    error: str | None = None

    @property
    def text(self) -> str:
        if self.status is None:
            return f"no answer ({self.error})"
        return f"{self.status} {self.error}" if self.error else str(self.status)

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class AttackResult:
    attack: Attack
    answer: Answer
    verdict: Verdict

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.attack.id,
            "name": self.attack.name,
            "catalogueRow": self.attack.row,
            "expected": self.attack.expected.value,
            "status": self.answer.status,
            "error": self.answer.error,
            "verdict": self.verdict.value,
        }


@dataclass
class ProbeReport:
    url: str
    method: str
    baseline: Answer
    results: list[AttackResult] = field(default_factory=list)

    @property
    def findings(self) -> list[AttackResult]:
        return [r for r in self.results if r.verdict.is_finding]

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "method": self.method,
            "baseline": {"status": self.baseline.status, "accepted": self.baseline.accepted},
            "attacks": [r.as_json() for r in self.results],
            "findings": [r.attack.id for r in self.findings],
            "secure": self.baseline.accepted and not self.findings,
        }


def judge(attack: Attack, answer: Answer, *, fetched: bool) -> Verdict:
    if fetched:
        return Verdict.FETCHED
    if answer.status is None or answer.status >= 500:
        return Verdict.ERROR
    if answer.accepted:
        return Verdict.ACCEPTED
    if attack.expected.satisfied_by(answer.status):
        return Verdict.REFUSED
    return Verdict.REFUSED_OTHERWISE


@dataclass(frozen=True)
class ProbeRequest:
    """The request every token is sent with (a write endpoint needs its body)."""

    method: str
    url: str
    body: bytes | None = None
    content_type: str = "application/json"


def send(http: httpx.Client, request: ProbeRequest, authorization: str | None) -> Answer:
    headers = {"Authorization": authorization} if authorization is not None else {}
    if request.body is not None:
        headers["Content-Type"] = request.content_type
    try:
        response = http.request(request.method, request.url, headers=headers, content=request.body)
    except httpx.HTTPError as exc:
        return Answer(None, type(exc).__name__)
    found = _ERROR_PARAM.search(response.headers.get("www-authenticate", ""))
    return Answer(response.status_code, found.group(1) if found else None)


def check_baseline(answer: Answer, url: str, *, tenant: str, audience: str) -> None:
    """Raise BaselineFailed with what to check, unless the valid token was accepted."""
    if answer.accepted:
        return
    if answer.status is None:
        raise BaselineFailed(
            f"baseline: no answer from {url} ({answer.error}): is the API running there? "
            "Nothing was probed"
        )
    if answer.status in (401, 403):
        raise BaselineFailed(
            f"baseline: the API refused a valid token ({answer.text}): does it trust tenant "
            f"{tenant} and audience {audience}, and does the client hold the role the endpoint "
            "needs? Nothing was probed"
        )
    raise BaselineFailed(
        f"baseline: the API answered {answer.text} to a valid token: is {url} an endpoint "
        "that answers 2xx to an authorized request? Nothing was probed"
    )


def roles_of(token: str) -> tuple[str, ...]:
    """The `roles` of the baseline token (ours or the token service's: read, not verified)."""
    roles = decode_segments(token)[1].get("roles", [])
    return tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else ()


def run_probe(
    http: httpx.Client,
    request: ProbeRequest,
    *,
    baseline_token: str,
    context: ProbeContext,
    listener: AttackerListener,
    attacks: tuple[Attack, ...] = ATTACKS,
) -> ProbeReport:
    """The baseline (raises BaselineFailed unless accepted), then every attack, judged."""
    baseline = send(http, request, f"Bearer {baseline_token}")
    check_baseline(baseline, request.url, tenant=context.forge.tenant_id, audience=context.audience)
    report = ProbeReport(request.url, request.method, baseline)
    for attack in attacks:
        fetches = listener.fetch_count
        answer = send(http, request, attack.build(context))
        fetched = attack.uses_listener and listener.fetch_count > fetches
        report.results.append(AttackResult(attack, answer, judge(attack, answer, fetched=fetched)))
    return report


class AttackerListener:
    """A loopback HTTP server playing the attacker's key host: `/jwks.json`, `/cert.pem`."""

    def __init__(self, server: http.server.ThreadingHTTPServer) -> None:
        self._server = server
        self._fetches = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def fetch_count(self) -> int:
        with self._lock:
            return self._fetches

    def _fetched(self) -> None:
        with self._lock:
            self._fetches += 1

    @classmethod
    @contextmanager
    def running(cls, host: str = "127.0.0.1") -> Iterator[AttackerListener]:
        key = foreign_key()
        bodies = {
            "/jwks.json": json.dumps({"keys": [key.jwk("https://attacker.invalid")]}).encode(),
            "/cert.pem": key.cert_pem.encode(),
        }
        holder: list[AttackerListener] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                holder[0]._fetched()
                body = bodies.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                return  # the probe's output is its report

        server = http.server.ThreadingHTTPServer((host, 0), Handler)
        listener = cls(server)
        holder.append(listener)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield listener
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def token_from_sts(
    http: httpx.Client, token_endpoint: str, *, client_id: str, secret: str, audience: str
) -> str:
    """The baseline from the token service itself (client credentials, `{audience}/.default`)."""
    try:
        response = http.post(
            token_endpoint,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "scope": f"{audience.rstrip('/')}/.default",
            },
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise BaselineFailed(
            f"baseline: no token from {token_endpoint} ({type(exc).__name__}): is tenantlab "
            "serving there (`tenantlab serve`)? Without --client-secret the token is minted here"
        ) from None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str):
        described = str(body.get("error_description", "")).split(" Trace ID")[0]
        raise BaselineFailed(
            f"baseline: the token service refused the client ({described or response.status_code}):"
            " check --client-id, --client-secret and that it may call the API"
        )
    return token
