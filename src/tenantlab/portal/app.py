"""The admin center as an ASGI app, served under /portal of the cloud origin.

`create_app(platform)` makes the local administrator on first run: with TENANTLAB_PORTAL_PASSWORD
when it is set (which also resets the password later), otherwise with a generated password that is
written to the terminal once (stderr, never a log).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tenantlab.platform import Platform
from tenantlab.portal import urls
from tenantlab.portal.admin import (
    DEFAULT_USERNAME,
    LocalAdministrator,
    PortalSettings,
    session_secret,
)
from tenantlab.portal.security import SESSION_COOKIE, SecurityHeadersMiddleware, SignInThrottle
from tenantlab.portal.views import (
    api,
    applications,
    auth,
    credentials,
    decoder,
    groups,
    logs,
    managed_identities,
    permissions,
)
from tenantlab.portal.views import tenants as tenant_views
from tenantlab.portal.web import Portal, create_templates, error_page

STATIC_DIR = Path(__file__).parent / "static"
TENANT = "/tenants/{tenant_id}"
APP = TENANT + "/applications/{object_id}"


def _announce_to_terminal(username: str, password: str) -> None:
    sys.stderr.write(
        "tenantlab admin center: created the local administrator\n"
        f"  user name: {username}\n  password:  {password}\n"
        "  (shown once; set TENANTLAB_PORTAL_PASSWORD to choose another)\n"
    )


def _post(path: str, endpoint: Callable[..., object]) -> Route:
    return Route(path, endpoint, methods=["POST"])


def _start(request: Request) -> Response:
    return RedirectResponse(urls.home(), 303)


def portal_routes() -> list[BaseRoute]:
    t, a, mi = tenant_views, applications, managed_identities
    return [
        Route("/", _start, methods=["GET"]),
        Route("/signin", auth.signin_page, methods=["GET"]),
        _post("/signin", auth.signin),
        _post("/signout", auth.signout),
        Route("/tenants", t.tenants_page, methods=["GET"]),
        _post("/tenants", t.create_tenant),
        Route(TENANT, t.tenant_overview, methods=["GET"]),
        Route(TENANT + "/users", t.users_page, methods=["GET"]),
        Route(TENANT + "/sign-in-logs", logs.sign_in_logs_page, methods=["GET"]),
        Route(TENANT + "/audit-logs", logs.audit_logs_page, methods=["GET"]),
        _post(TENANT + "/users", t.create_user),
        _post(TENANT + "/users/{user_id}/delete", t.delete_user),
        Route(TENANT + "/groups", groups.groups_page, methods=["GET"]),
        _post(TENANT + "/groups", groups.create_group),
        Route(TENANT + "/groups/{group_id}", groups.members_page, methods=["GET"]),
        _post(TENANT + "/groups/{group_id}/delete", groups.delete_group),
        _post(TENANT + "/groups/{group_id}/members", groups.add_member),
        _post(TENANT + "/groups/{group_id}/members/{member_id}/delete", groups.remove_member),
        Route(TENANT + "/managed-identities", mi.managed_identities_page, methods=["GET"]),
        _post(TENANT + "/managed-identities", mi.create_managed_identity),
        _post(TENANT + "/managed-identities/{principal_id}/delete", mi.delete_managed_identity),
        Route(TENANT + "/signing-keys", t.signing_keys_page, methods=["GET"]),
        _post(TENANT + "/signing-keys/rotate", t.rotate_signing_key),
        Route(TENANT + "/applications", a.applications_page, methods=["GET"]),
        _post(TENANT + "/applications", a.register),
        Route(TENANT + "/applications/new", a.register_page, methods=["GET"]),
        Route(APP, a.overview_page, methods=["GET"]),
        _post(APP + "/delete", a.delete_application),
        _post(APP + "/service-principal/enabled", a.set_service_principal_enabled),
        Route(APP + "/credentials", credentials.credentials_page, methods=["GET"]),
        _post(APP + "/credentials/secrets", credentials.add_secret),
        _post(APP + "/credentials/secrets/{key_id}/delete", credentials.remove_secret),
        _post(APP + "/credentials/certificates", credentials.upload_certificate),
        _post(APP + "/credentials/certificates/generate", credentials.generate),
        _post(APP + "/credentials/certificates/{key_id}/delete", credentials.remove_certificate),
        Route(APP + "/federated-credentials", credentials.federated_page, methods=["GET"]),
        _post(APP + "/federated-credentials", credentials.add_federated),
        _post(APP + "/federated-credentials/{credential_id}/delete", credentials.remove_federated),
        Route(APP + "/app-roles", api.roles_page, methods=["GET"]),
        _post(APP + "/app-roles", api.add_role),
        _post(APP + "/app-roles/{role_id}/toggle", api.toggle_role),
        _post(APP + "/app-roles/{role_id}/delete", api.delete_role),
        Route(APP + "/expose-an-api", api.expose_page, methods=["GET"]),
        _post(APP + "/expose-an-api/uri", api.set_identifier_uri),
        _post(APP + "/expose-an-api/scopes", api.add_scope),
        _post(APP + "/expose-an-api/scopes/{scope_id}/toggle", api.toggle_scope),
        _post(APP + "/expose-an-api/scopes/{scope_id}/delete", api.delete_scope),
        Route(APP + "/api-permissions", permissions.permissions_page, methods=["GET"]),
        _post(APP + "/api-permissions", permissions.add_permissions),
        _post(APP + "/api-permissions/remove", permissions.remove_permission),
        _post(APP + "/api-permissions/consent", permissions.grant_admin_consent),
        _post(APP + "/api-permissions/revoke", permissions.revoke_consent),
        Route(APP + "/token-configuration", api.token_configuration_page, methods=["GET"]),
        _post(APP + "/token-configuration/claims", api.add_optional_claims),
        _post(APP + "/token-configuration/claims/remove", api.remove_optional_claim),
        _post(APP + "/token-configuration/version", api.set_token_version),
        Route("/decoder", decoder.decoder_page, methods=["GET"]),
        _post("/decoder", decoder.decode),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        return error_page(request, 405, "Not allowed", "This address does not take that method.")
    return error_page(request, status, "Not found", "There is no admin center page here.")


async def _server_error(request: Request, exc: Exception) -> Response:
    return Response(
        "The admin center hit an internal error; the server log has the details.",
        status_code=500,
        media_type="text/plain",
    )


def ensure_administrator(
    platform: Platform,
    settings: PortalSettings | None = None,
    *,
    announce: Callable[[str, str], None] = _announce_to_terminal,
    administrator: LocalAdministrator | None = None,
) -> LocalAdministrator:
    """Create the local administrator on first run (or apply TENANTLAB_PORTAL_PASSWORD).

    `serve --workers N` calls this before it starts the workers, so a generated password is
    shown once, by the command itself; each worker's `create_app` then finds the account.
    """
    settings = settings or PortalSettings()
    admin = administrator or LocalAdministrator(platform.settings.home, database=platform.database)
    initial = settings.password.get_secret_value() if settings.password else None
    generated = admin.ensure(initial)
    if generated is not None:
        announce(DEFAULT_USERNAME, generated)
    return admin


def create_app(
    platform: Platform,
    *,
    settings: PortalSettings | None = None,
    announce: Callable[[str, str], None] = _announce_to_terminal,
    administrator: LocalAdministrator | None = None,
) -> Starlette:
    """The admin center for `platform`; `announce` receives a generated first-run password."""
    settings = settings or PortalSettings()
    admin = ensure_administrator(platform, settings, announce=announce, administrator=administrator)
    app = Starlette(
        routes=[Mount(urls.PREFIX, routes=portal_routes())],
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(
                SessionMiddleware,
                secret_key=session_secret(platform.secrets, platform.settings.home),
                session_cookie=SESSION_COOKIE,
                max_age=int(settings.session_hours * 3600),
                path=urls.PREFIX,
                same_site="strict",
                https_only=True,
            ),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.portal = Portal(
        platform=platform,
        admin=admin,
        settings=settings,
        templates=create_templates(platform),
        throttle=SignInThrottle(platform.clock, counters=platform.counters),
    )
    return app
