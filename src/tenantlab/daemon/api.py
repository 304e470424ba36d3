"""Calls to a protected resource (Graph, the ToDo API) with a bearer token and the resilience a
scheduled job needs: timeouts (on the client), bounded retries on 429/503 honouring
`Retry-After`, and on a 401 exactly one fresh token and one retry (a token revoked or signed
with a key rotated since it was cached deserves one more chance, a wrong audience does not).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from tenantlab.daemon.errors import ApiCallError, DaemonError
from tenantlab.daemon.tokens import TokenProvider
from tenantlab.daemon.transport import RetryPolicy, retry_after_seconds, transport_problem
from tenantlab.ids import b64url_decode

logger = logging.getLogger("tenantlab.daemon")


class ApiClient:
    """One resource's calls over a shared httpx client (connection reuse) and token provider."""

    def __init__(
        self,
        *,
        service: str,
        scope: str,
        http: httpx.Client,
        tokens: TokenProvider,
        retry: RetryPolicy,
    ) -> None:
        self.service = service
        self.scope = scope
        self.http = http
        self.tokens = tokens
        self.retry = retry

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The final response after retries; transport failures raise `TransportProblem`."""
        attempt = 0
        stale: str | None = None
        refreshed = False
        while True:
            token = self.tokens.token(self.scope, stale=stale)
            headers = {"Authorization": f"Bearer {token.value}", "Accept": "application/json"}
            try:
                response = self.http.request(
                    method, url, json=json_body, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                raise transport_problem(exc, url) from None
            logger.debug("%s %s -> %s", method, url.split("?")[0], response.status_code)
            if response.status_code == 401 and not refreshed:
                logger.info("%s answered 401: retrying once with a fresh token", self.service)
                refreshed = True
                stale = token.value
                continue
            wait = self.retry.delay(response, attempt)
            if wait is None:
                return response
            logger.info("%s answered %s: retry in %.1fs", self.service, response.status_code, wait)
            self.retry.sleep(wait)
            attempt += 1

    def failure(self, response: httpx.Response, operation: str) -> ApiCallError:
        """Describe an error response (Graph envelope, RFC 6750 header, or problem details)."""
        code, detail = _error_code_and_detail(response)
        return ApiCallError(
            service=self.service,
            operation=operation,
            method=response.request.method,
            url=str(response.request.url).split("?")[0],
            status=response.status_code,
            code=code,
            detail=detail,
            retry_after=retry_after_seconds(response.headers.get("Retry-After"), self.retry.clock),
            token_roles=token_roles(response.request.headers.get("Authorization", "")),
        )

    def json(self, response: httpx.Response, operation: str) -> Any:
        if response.status_code >= 400:
            raise self.failure(response, operation)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise DaemonError(
                f"{self.service} answered {response.status_code} to {operation} with a body that "
                "is not JSON"
            ) from None


def _error_code_and_detail(response: httpx.Response) -> tuple[str | None, str]:
    challenge = response.headers.get("WWW-Authenticate", "")
    code: str | None = None
    detail = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # Graph's envelope
            code = error.get("code")
            detail = str(error.get("message") or "")
        elif isinstance(error, str):
            code = error
            detail = str(body.get("error_description") or body.get("detail") or "")
        else:
            detail = str(body.get("detail") or body.get("title") or body.get("message") or "")
    if code is None and "error=" in challenge:
        code = _challenge_param(challenge, "error")
        detail = detail or (_challenge_param(challenge, "error_description") or "")
    return code, detail[:300]


def _challenge_param(challenge: str, name: str) -> str | None:
    marker = f'{name}="'
    start = challenge.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = challenge.find('"', start)
    return challenge[start:end] if end > start else None


def token_roles(authorization: str) -> list[str] | None:
    """The `roles` claim of the bearer token sent, for "which role is missing" messages.

    Read without verifying: the daemon is not the audience; the claim only shapes the hint.
    """
    token = authorization.removeprefix("Bearer ").strip()
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    roles = claims.get("roles") if isinstance(claims, dict) else None
    return [str(r) for r in roles] if isinstance(roles, list) else []
