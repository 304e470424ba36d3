"""The token endpoints: `POST /{tenant}/oauth2/v2.0/token` and `POST /{tenant}/oauth2/token`.

The hot path: one revision probe, dictionary look-ups in the tenant snapshot, one HMAC per
registered secret, one RSA signature. Failures become Entra's error JSON with the correlation id
the client sent (`client-request-id` header, then query, then body), echoed back in a
`client-request-id` header; successes carry `Cache-Control: no-store`.
"""

from __future__ import annotations

import json
import logging
import uuid

from starlette.types import Receive, Scope, Send

from tenantlab.clock import Clock
from tenantlab.directory import Directory
from tenantlab.directory.sign_ins import SignInFacts, SignInLog
from tenantlab.ids import is_guid
from tenantlab.keys import KeyStore
from tenantlab.sts import errors, tenancy
from tenantlab.sts.clientauth import AssertionVerifier, ClientAuthentication
from tenantlab.sts.errors import StsError
from tenantlab.sts.http import (
    NO_STORE_HEADERS,
    is_form,
    parse_form,
    parse_query_leniently,
    read_body,
    send_bytes,
)
from tenantlab.sts.issuing import GrantHandler, IssuedToken, TokenIssuer, TokenRequest
from tenantlab.sts.snapshot import DirectoryCache
from tenantlab.sts.urls import Endpoints

log = logging.getLogger("tenantlab.sts")
# One line per token request (tenantlab/logs.py formats it): named fields only, never the form.
requests_log = logging.getLogger("tenantlab.sts.requests")

CORRELATION_PARAMETER = "client-request-id"


class TokenService:
    """The token endpoints: grant dispatch, error and response rendering.

    Grants and client-authentication methods live in registries owned by this instance, filled
    once when the STS is built (`StsApp.__init__`), as authlib's `register_grant` and
    `register_client_auth_method` do: nothing module-level, so two platforms in one process
    never share a grant or an assertion verifier.
    """

    def __init__(
        self,
        *,
        cache: DirectoryCache,
        keys: KeyStore,
        endpoints: Endpoints,
        clock: Clock,
        directory: Directory,
        sign_ins: SignInLog | None = None,
    ) -> None:
        self.cache = cache
        self.endpoints = endpoints
        self.clock = clock
        self.sign_ins = sign_ins
        self.issuer = TokenIssuer(cache=cache, keys=keys, endpoints=endpoints)
        self.clients = ClientAuthentication(cache=cache, endpoints=endpoints, directory=directory)
        self._grants: dict[str, GrantHandler] = {}

    def register_grant(self, grant_type: str, handler: GrantHandler) -> None:
        """Serve `grant_type=grant_type` with `handler`."""
        self._grants[grant_type] = handler

    def register_client_auth_method(self, assertion_type: str, verifier: AssertionVerifier) -> None:
        """Accept client assertions of `assertion_type`, checked by `verifier`."""
        self.clients.register_client_auth_method(assertion_type, verifier)

    async def handle(
        self, scope: Scope, receive: Receive, send: Send, tenant_segment: str, endpoint: str
    ) -> None:
        """Serve one token request; `endpoint` is "v2" or "v1"."""
        form: dict[str, str] = {}
        now = self.clock.now()
        facts = SignInFacts(ip_address=_client_address(scope))
        try:
            if scope["method"] != "POST":
                raise errors.post_only(scope["method"])
            snapshot = None
            if not tenancy.is_special(tenant_segment):
                revision = self.cache.revision()
                snapshot = tenancy.resolve_tenant(self.cache, tenant_segment, revision)
                facts.tenant_id = snapshot.tenant_id
            body = await read_body(receive)
            # Another content type leaves the form empty: Entra then misses grant_type (900144).
            if is_form(scope):
                form = parse_form(body)
            grant_type = form.get("grant_type")
            if not grant_type:
                raise errors.missing_parameter("grant_type")
            handler = self._grants.get(grant_type)
            if handler is None:
                raise errors.unsupported_grant_type(_printable(grant_type))
            facts.grant_type = grant_type
            issued = await handler(
                TokenRequest(
                    form=form,
                    endpoint=endpoint,
                    tenant_segment=tenant_segment,
                    snapshot=snapshot,
                    authorization=_authorization(scope),
                    now=now,
                    facts=facts,
                ),
            )
        except StsError as exc:
            await self.send_error(scope, send, exc, form, tenant_segment, facts)
            return
        except Exception:
            log.exception(
                "token request failed unexpectedly (tenant %s)", _printable(tenant_segment)
            )
            error = errors.internal_error()
            await self.send_error(scope, send, error, form, tenant_segment, facts)
            return
        correlation = correlation_id(scope, form)
        log_token_request(tenant_segment, form, self._grant_name(form), correlation)
        self._record(facts, correlation)
        await send_bytes(send, 200, render(issued, endpoint), self._headers(correlation))

    def _grant_name(self, form: dict[str, str]) -> str | None:
        """The grant, for the log: only a grant type we serve (anything else may be a secret
        pasted in the wrong field)."""
        grant_type = form.get("grant_type")
        if grant_type is None:
            return None
        return grant_type if grant_type in self._grants else "(unsupported)"

    def _record(self, facts: SignInFacts, correlation: str, error: StsError | None = None) -> None:
        """The request's outcome to the sign-in log (queued; written later, off this path)."""
        if self.sign_ins is None:
            return
        if error is None:
            self.sign_ins.record(facts, correlation_id=correlation)
        else:
            self.sign_ins.record(
                facts,
                correlation_id=correlation,
                error_code=error.code,
                failure_reason=error.text,
            )

    def _headers(self, correlation: str) -> list[tuple[bytes, bytes]]:
        return [
            *NO_STORE_HEADERS,
            (b"client-request-id", correlation.encode()),
            (b"x-ms-request-id", str(uuid.uuid4()).encode()),
        ]

    async def send_error(
        self,
        scope: Scope,
        send: Send,
        error: StsError,
        form: dict[str, str],
        tenant_segment: str,
        facts: SignInFacts | None = None,
    ) -> None:
        correlation = correlation_id(scope, form)
        if facts is not None:
            self._record(facts, correlation, error)
        trace_id = str(uuid.uuid4())
        log_token_request(tenant_segment, form, self._grant_name(form), correlation, error)
        body = error.render(trace_id=trace_id, correlation_id=correlation, now=self.clock.now())
        headers = [
            *NO_STORE_HEADERS,
            (b"client-request-id", correlation.encode()),
            (b"x-ms-request-id", trace_id.encode()),
            *((k.encode(), v.encode()) for k, v in error.headers.items()),
        ]
        await send_bytes(send, error.status, body, headers)


def log_token_request(
    tenant_segment: str,
    form: dict[str, str],
    grant: str | None,
    correlation: str,
    error: StsError | None = None,
) -> None:
    """The token request log's line: who asked for what, and how it ended."""
    if not requests_log.isEnabledFor(logging.INFO):
        return
    fields = {
        "tenant": _printable(tenant_segment),
        "client_id": _printable(form["client_id"]) if "client_id" in form else None,
        "grant": grant,
        "result": "issued" if error is None else "refused",
        "aadsts": None if error is None else f"AADSTS{error.code}",
        "error": None if error is None else error.error,
        "correlation": correlation,
    }
    if error is None:
        requests_log.info(
            "token request issued", extra={"fields": fields, "in_message": ("result",)}
        )
    else:
        requests_log.info(
            "token request refused: AADSTS%s %s",
            error.code,
            error.error,
            extra={"fields": fields, "in_message": ("result", "aadsts", "error")},
        )


def render(issued: IssuedToken, endpoint: str) -> bytes:
    """v2: numbers as JSON numbers, four fields; v1: numbers as strings, plus expiry, resource."""
    if endpoint == "v2":
        # A compact JWS is base64url and dots, nothing to escape: no JSON encoder on the hot path.
        return (
            f'{{"token_type":"Bearer","expires_in":{issued.expires_in:d},'
            f'"ext_expires_in":{issued.ext_expires_in:d},"access_token":"{issued.access_token}"}}'
        ).encode()
    payload: dict[str, object] = {
        "token_type": "Bearer",
        "expires_in": str(issued.expires_in),
        "ext_expires_in": str(issued.ext_expires_in),
        "expires_on": str(issued.expires_on),
        "not_before": str(issued.not_before),
        "resource": issued.resource,
        "access_token": issued.access_token,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def correlation_id(scope: Scope, form: dict[str, str]) -> str:
    """The client's correlation id (header, then query, then body) if it is a GUID; else new."""
    for name, value in scope["headers"]:
        if name == b"client-request-id":
            candidate = bytes(value).decode("latin-1").strip()
            if is_guid(candidate):
                return candidate
            break
    query = scope.get("query_string", b"")
    if query:
        candidate = parse_query_leniently(query).get(CORRELATION_PARAMETER, "")
        if is_guid(candidate):
            return candidate
    candidate = form.get(CORRELATION_PARAMETER, "")
    if is_guid(candidate):
        return candidate
    return str(uuid.uuid4())


def _client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0])[:64] if client else None


def _authorization(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return bytes(value)
    return None


def _printable(value: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in value)[:128]
