"""Sign-in and sign-out of the local administrator."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response

from tenantlab.portal import urls
from tenantlab.portal.security import CSRF_FIELD, csrf_valid, start_session
from tenantlab.portal.web import portal_of, render, see_other, text_field

MAX_CREDENTIAL_CHARS = 1024  # argon2 pre-hashes anyway; this bounds the work per attempt


def _next(request: Request, value: str | None) -> str:
    return value if value and urls.safe_next(value) else urls.home()


def signin_page(request: Request) -> Response:
    portal = portal_of(request)
    target = _next(request, request.query_params.get("next"))
    if portal.signed_in_admin(request) is not None:
        return see_other(target)
    return render(request, "signin.html", next=target, username=portal.admin.username)


async def signin(request: Request) -> Response:
    portal = portal_of(request)
    try:
        form = await request.form(max_files=0, max_fields=10)
    except (MultiPartException, HTTPException):
        return render(request, "signin.html", 400, next=urls.home(), error="Bad sign-in form.")
    username = text_field(form, "username")[:MAX_CREDENTIAL_CHARS]
    password_value = form.get("password")
    password = password_value if isinstance(password_value, str) else ""
    target = _next(request, text_field(form, "next"))

    def again(status: int, error: str) -> Response:
        return render(request, "signin.html", status, next=target, username=username, error=error)

    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return again(403, "The sign-in form expired. Try again.")
    client = request.client.host if request.client else "unknown"
    wait = portal.throttle.retry_after(client)
    if wait > 0:
        return again(429, f"Too many failed sign-ins. Try again in {int(wait) + 1} seconds.")
    if len(password) > MAX_CREDENTIAL_CHARS or not await run_in_threadpool(
        portal.admin.verify, username, password
    ):
        portal.throttle.failed(client)
        return again(401, "Wrong user name or password.")
    portal.throttle.succeeded(client)
    generation = portal.admin.generation()
    assert generation is not None  # verify() succeeded, so the account exists
    start_session(
        request,
        username=portal.admin.username,
        generation=generation,
        now=portal.platform.clock.now(),
    )
    return see_other(target)


async def signout(request: Request) -> Response:
    try:
        form = await request.form(max_files=0, max_fields=10)
    except (MultiPartException, HTTPException):
        return see_other(urls.signin())
    portal = portal_of(request)
    if csrf_valid(request, form.get(CSRF_FIELD)) and portal.signed_in_admin(request):
        # The session is a signed cookie: a copy would outlive clearing it, so end them all.
        await run_in_threadpool(portal.admin.end_sessions)
        request.session.clear()
    return see_other(urls.signin())
