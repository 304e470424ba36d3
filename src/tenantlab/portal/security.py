"""Browser-facing defences of the admin center: session state, CSRF tokens, headers, sign-in limits.

The session is Starlette's signed cookie (Secure, HttpOnly, SameSite=Strict, path /portal). It holds
only who signed in, when, the account's password generation and the CSRF token — never a secret
that the pages show once.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantlab.clock import Clock
from tenantlab.storage.counters import Counters, InProcessCounters

SESSION_COOKIE = "tenantlab_portal"
CSRF_FIELD = "csrf_token"

# Scripts and styles come only from /portal/static; nothing may frame the portal.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware:
    """Adds the clickjacking and content-type headers to every response, error pages included.

    Pages may show a secret once, so nothing is cached except the static files.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/portal/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (the sign-in form needs one too)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_valid(request: Request, submitted: object) -> bool:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not isinstance(submitted, str):
        return False
    return secrets.compare_digest(expected.encode(), submitted.encode("utf-8", "surrogatepass"))


def start_session(request: Request, *, username: str, generation: int, now: float) -> None:
    """A fresh session on sign-in (a new CSRF token too), so nothing planted before survives."""
    request.session.clear()
    request.session.update(
        {"admin": username, "gen": generation, "at": now, "csrf": secrets.token_urlsafe(32)}
    )


def session_admin(
    request: Request, *, generation: int | None, now: float, max_hours: float
) -> str | None:
    """Who is signed in, or None when the session is absent, expired or predates a new password."""
    session = request.session
    admin = session.get("admin")
    signed_in_at = session.get("at")
    if not isinstance(admin, str) or not isinstance(signed_in_at, int | float):
        return None
    if generation is None or session.get("gen") != generation:
        return None
    if not (signed_in_at <= now < signed_in_at + max_hours * 3600):
        return None
    return admin


class SignInThrottle:
    """At most `limit` failed sign-ins per client within a `window` of seconds that starts with
    the first failure.

    Each attempt costs an argon2 verification; the limit keeps password guessing (and the CPU it
    burns) bounded. The failures are counted in the platform's `Counters`, so with several nodes
    behind a load balancer the limit is the cloud's, not each node's.
    """

    def __init__(
        self,
        clock: Clock,
        limit: int = 10,
        window: float = 300.0,
        counters: Counters | None = None,
    ) -> None:
        self._clock = clock
        self.limit = limit
        self.window = window
        self._counters: Counters = counters if counters is not None else InProcessCounters()

    @staticmethod
    def _key(client: str) -> str:
        return f"portal-sign-in:{client}"

    def retry_after(self, client: str) -> float:
        """Seconds until this client may try again (0 when it may try now)."""
        use = self._counters.charge(
            self._key(client), 0, limit=None, window=self.window, now=self._clock.now()
        )
        if use.used < self.limit:
            return 0.0
        return max(1.0, use.retry_after)

    def failed(self, client: str) -> None:
        self._counters.charge(
            self._key(client), 1, limit=None, window=self.window, now=self._clock.now()
        )

    def succeeded(self, client: str) -> None:
        self._counters.reset(self._key(client))
