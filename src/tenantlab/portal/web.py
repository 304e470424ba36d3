"""What every page and form of the admin center shares: rendering, sign-in checks, CSRF, flashes.

Pages are plain functions (Starlette runs them in its thread pool, so directory calls never block
the event loop the token service shares). Form posts go through `form_action`, which checks the
session and the CSRF token before the handler runs and turns a directory refusal into a message on
the page the form came from.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from tenantlab.directory import DirectoryError, NotFound
from tenantlab.directory.audits import Initiator, acting_as
from tenantlab.platform import Platform
from tenantlab.portal import urls
from tenantlab.portal.admin import LocalAdministrator, PortalSettings
from tenantlab.portal.formatting import day_html, relative_time, utc
from tenantlab.portal.security import (
    CSRF_FIELD,
    SignInThrottle,
    csrf_token,
    csrf_valid,
    session_admin,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
MAX_FLASHES = 4
MAX_FLASH_CHARS = 400  # the session is a cookie: keep it well under 4 KB
MAX_UPLOAD_BYTES = 64 * 1024


@dataclass
class Portal:
    platform: Platform
    admin: LocalAdministrator
    settings: PortalSettings
    templates: Jinja2Templates
    throttle: SignInThrottle

    def signed_in_admin(self, request: Request) -> str | None:
        return session_admin(
            request,
            generation=self.admin.generation(),
            now=self.platform.clock.now(),
            max_hours=self.settings.session_hours,
        )


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def create_templates(platform: Platform) -> Jinja2Templates:
    """Jinja2 with autoescaping on for every template, whatever its file name."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    clock = platform.clock
    env.filters["utc"] = utc
    env.filters["day"] = day_html
    env.globals["relative"] = lambda epoch: relative_time(epoch, clock.now())
    env.globals["urls"] = urls
    env.globals["origin"] = platform.settings.origin
    return Jinja2Templates(env=env)


def flash(request: Request, kind: str, text: str) -> None:
    messages = list(request.session.get("flash") or [])[-(MAX_FLASHES - 1) :]
    if len(text) > MAX_FLASH_CHARS:
        text = text[: MAX_FLASH_CHARS - 1] + "…"
    messages.append([kind, text])
    request.session["flash"] = messages


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    portal = portal_of(request)
    flashes = request.session.pop("flash", None) or []
    base: dict[str, Any] = {
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "admin": portal.signed_in_admin(request),
        "flashes": flashes,
        "tenant": None,
        "nav": "",
    }
    base.update(context)
    return portal.templates.TemplateResponse(request, template, base, status_code=status_code)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    return render(request, "error.html", status_code, title=title, message=message)


def _signin_redirect(request: Request) -> RedirectResponse:
    return see_other(urls.signin(next_path=request.url.path))


PageHandler = Callable[[Request, Portal], Response]


def admin_page(handler: PageHandler) -> Callable[[Request], Response]:
    """A page only a signed-in administrator sees; unknown objects give a 404 page, not a 500."""

    @functools.wraps(handler)
    def endpoint(request: Request) -> Response:
        portal = portal_of(request)
        if portal.signed_in_admin(request) is None:
            return _signin_redirect(request)
        try:
            return handler(request, portal)
        except NotFound as exc:
            return error_page(request, 404, "Not found", exc.message)

    return endpoint


ActionHandler = Callable[[Request, Portal, FormData], Response]


def form_action(
    back: Callable[[Request], str],
) -> Callable[[ActionHandler], Callable[[Request], Awaitable[Response]]]:
    """A POST handler: signed-in admin, a valid CSRF token, and directory errors shown on `back`."""

    def decorate(handler: ActionHandler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            portal = portal_of(request)
            admin = portal.signed_in_admin(request)
            if admin is None:
                return _signin_redirect(request)
            try:
                form = await request.form(
                    max_files=2, max_fields=100, max_part_size=MAX_UPLOAD_BYTES
                )
            except (MultiPartException, HTTPException):
                flash(request, "error", "The form could not be read (is the file too large?).")
                return see_other(back(request))
            try:
                if not csrf_valid(request, form.get(CSRF_FIELD)):
                    return error_page(
                        request,
                        403,
                        "Form expired",
                        "This form was not issued by this session. Reload the page and try again.",
                    )
                # The administrator is the initiator of every directory change this form makes.
                client = request.client.host if request.client else None
                with acting_as(Initiator.administrator(admin, client)):
                    return await run_in_threadpool(handler, request, portal, form)
            except DirectoryError as exc:
                flash(request, "error", exc.message)
                return see_other(back(request))
            finally:
                await form.close()

        return endpoint

    return decorate


def text_field(form: FormData, name: str, default: str = "") -> str:
    """A text field's value, stripped; files and missing fields give `default`."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def file_field(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def path_param(request: Request, name: str) -> str:
    return str(request.path_params[name])
