"""Every failure as one line that says what to fix, not a traceback.

The table follows what people actually get wrong with the daemon samples: the secret's ID
pasted instead of its Value, the wrong client id or tenant, a missing admin consent, a missing
API role, and (against a local identity platform) a CA bundle that is not trusted.
"""

from __future__ import annotations

from tenantlab.aadsts import token_error_fix
from tenantlab.daemon.errors import ApiCallError, TokenAcquisitionError, TransportProblem
from tenantlab.daemon.settings import DaemonSettings
from tenantlab.daemon.todo import required_roles
from tenantlab.errors import TenantlabError

_GRAPH_PERMISSION = {"getUsers": "User.Read.All", "getApp": "Application.Read.All"}


def explain(error: TenantlabError, settings: DaemonSettings | None = None) -> str:
    """One line, no secrets: the cause and the fix."""
    if isinstance(error, TokenAcquisitionError):
        return _token_error(error, settings)
    if isinstance(error, ApiCallError):
        return _api_error(error, settings)
    if isinstance(error, TransportProblem):
        return _transport(error)
    return error.message


def _token_error(error: TokenAcquisitionError, settings: DaemonSettings | None) -> str:
    tenant = settings.tenant if settings else "the authority's tenant"
    client_id = settings.client_id if settings else "this client id"
    code = error.aadsts
    suffix = f" (AADSTS{code})" if code else ""
    fix = token_error_fix(code, tenant=tenant, client_id=client_id)
    if fix is not None:
        return f"{fix}{suffix}"
    if error.error == "authority_unavailable":
        return (
            "the authority did not answer its OpenID configuration: check the authority URL and "
            f"its tenant ({error.description.splitlines()[0][:200]})"
        )
    if error.error == "msal_error" and "HTTP Error: 5" in error.description:
        return f"the identity platform failed ({error.description}): try again later"
    if error.error in ("temporarily_unavailable", "throttled") or code in (50196, 90055):
        return f"the identity platform is throttling or unavailable: try again later{suffix}"
    first = error.description.splitlines()[0] if error.description else ""
    return f"token request failed: {error.error}{': ' + first[:300] if first else ''}"


def _api_error(error: ApiCallError, settings: DaemonSettings | None) -> str:
    where = f"{error.method} {error.url}"
    if error.status == 503 and "could not load" in error.detail:
        return f"{error.service} answered 503 to {where}: {error.detail}"
    if error.status in (429, 503):
        after = f" (Retry-After: {error.retry_after:.0f}s)" if error.retry_after else ""
        return f"{error.service} kept answering {error.status} to {where}{after}: try again later"
    if error.service == "Microsoft Graph":
        return _graph_error(error, where)
    roles = ", ".join(error.token_roles or []) or "none"
    if error.status == 403:
        needed = required_roles(error.operation)
        wanted = " or ".join(needed)
        return (
            f"the ToDo API refused {error.operation}: the app needs the application permission "
            f"{wanted} with admin consent (the token's roles: {roles})"
        )
    if error.status == 401:
        scope = settings.api_scope if settings else None
        return (
            f"the ToDo API rejected a fresh token too ({error.detail or error.code or '401'}): "
            f"check the API scope {scope or 'api://<API application id>/.default'} and that the "
            "API trusts this tenant"
        )
    if error.status == 404:
        return f"not found: {where} (no such to-do)"
    detail = f": {error.detail}" if error.detail else ""
    return f"the ToDo API answered {error.status} to {where}{detail}"


def _graph_error(error: ApiCallError, where: str) -> str:
    permission = _GRAPH_PERMISSION.get(error.operation, "the needed permission")
    if error.status == 403 or error.code == "Authorization_RequestDenied":
        return f"Graph denied {error.operation}: grant {permission} (application) and admin consent"
    if error.status == 401:
        return (
            f"Graph rejected the token ({error.code or '401'}): request the scope "
            "https://graph.microsoft.com/.default for Graph"
        )
    if error.status == 404 and error.operation == "getApp":
        return (
            f"application not found at {where}: use the app's Object ID (--app-object-id), "
            "not its Application (client) ID, or leave it out to look the app up by client id"
        )
    detail = f": {error.detail}" if error.detail else ""
    return f"Graph answered {error.status} {error.code or ''} to {where}{detail}".replace("  ", " ")


def _transport(error: TransportProblem) -> str:
    if error.kind == "tls":
        return (
            f"TLS: {error.url} presented a certificate this machine does not trust: point "
            "--ca-bundle (or TENANTLAB_DAEMON_CA_BUNDLE) at tenantlab's CA bundle "
            "(~/.tenantlab/ca-bundle.pem; `tenantlab env` prints it)"
        )
    if error.kind == "timeout":
        return f"timed out talking to {error.url}: is it overloaded? raise --timeout if needed"
    return (
        f"cannot connect to {error.url} ({error.cause}): is the server running (tenantlab serve) "
        "and the URL right? If it is up, check --ca-bundle for TLS"
    )
