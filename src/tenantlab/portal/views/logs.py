"""The tenant's Sign-in logs and Audit logs pages: filters, pages by keyset, a detail pane.

Both read the tables Graph's auditLogs serve (`directory/sign_ins.py`, `directory/audits.py`);
the sign-in detail explains an AADSTS code with the text the daemon prints (`tenantlab.aadsts`).
Filters and the page position are plain query parameters, so a filtered view is a link.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from tenantlab.aadsts import token_error_fix
from tenantlab.directory.audits import (
    ACTIVITIES,
    CATEGORIES,
    FAILURE,
    SUCCESS,
    AuditQuery,
    list_audits,
)
from tenantlab.directory.sign_ins import SignInQuery, list_sign_ins
from tenantlab.ids import is_guid
from tenantlab.portal import urls
from tenantlab.portal.views.tenants import tenant_context
from tenantlab.portal.web import Portal, admin_page, path_param, render
from tenantlab.storage.schema import DirectoryAudit, SignIn

PAGE = 50
# The "Date" filter of the admin center: how far back a page reaches.
PERIODS = (
    ("1h", "Last hour", 3_600),
    ("24h", "Last 24 hours", 86_400),
    ("7d", "Last 7 days", 604_800),
    ("30d", "Last 30 days", 2_592_000),
)
RESULTS = (("", "All"), (SUCCESS, "Success"), (FAILURE, "Failure"))


def _param(request: Request, name: str) -> str:
    return request.query_params.get(name, "").strip()


def _since(request: Request, now: float) -> tuple[str, float]:
    chosen = _param(request, "period") or "24h"
    for key, _, seconds in PERIODS:
        if key == chosen:
            return key, now - seconds
    return "24h", now - 86_400


def _after(request: Request) -> tuple[float, str] | None:
    """The page position `after=<epoch>_<id>` (from the Older link); ignored when malformed."""
    at, _, last_id = _param(request, "after").partition("_")
    try:
        return (float(at), last_id) if is_guid(last_id) else None
    except ValueError:
        return None


def _link(base: str, filters: dict[str, str], **extra: str) -> str:
    query = {k: v for k, v in {**filters, **extra}.items() if v}
    return f"{base}?{urlencode(query)}" if query else base


def _page(rows: list[Any], when: str) -> tuple[list[Any], str]:
    """The rows of this page and the `after` value of the next one ('' when this is the last)."""
    page = rows[:PAGE]
    if len(rows) <= PAGE:
        return page, ""
    last = page[-1]
    return page, f"{getattr(last, when)!r}_{last.id}"


def _selected_sign_in(portal: Portal, tenant_id: str, key: str) -> SignIn | None:
    if not is_guid(key):
        return None
    with portal.platform.database.session() as session:
        row = session.get(SignIn, key.lower())
    return row if row is not None and row.tenant_id == tenant_id else None


def _selected_audit(portal: Portal, tenant_id: str, key: str) -> DirectoryAudit | None:
    if not is_guid(key):
        return None
    with portal.platform.database.session() as session:
        row = session.get(DirectoryAudit, key.lower())
    return row if row is not None and row.tenant_id == tenant_id else None


@admin_page
def sign_in_logs_page(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    tenant = context["tenant"]
    period, since = _since(request, portal.platform.clock.now())
    result = _param(request, "result")
    app = _param(request, "app").lower()
    filters = {"period": period, "result": result, "app": app}
    query = SignInQuery(
        tenant_id=tenant.id,
        top=PAGE,
        since=since,
        app_id=app if is_guid(app) else None,
        error_code=0 if result == SUCCESS else None,
        error_code_not=0 if result == FAILURE else None,
    )
    after = _after(request)
    rows, older = _page(
        list_sign_ins(portal.platform.database, replace(query, after=after)), "created_at"
    )
    base = urls.tenant(tenant.id, "sign-in-logs")
    selected = _selected_sign_in(portal, tenant.id, _param(request, "id"))
    fix = None
    if selected is not None and selected.error_code:
        fix = token_error_fix(
            selected.error_code, tenant=tenant.id, client_id=selected.app_id or ""
        )
    here = {**filters, "after": _param(request, "after")}
    return render(
        request,
        "sign_in_logs.html",
        nav="sign-in-logs",
        rows=rows,
        filters=filters,
        periods=PERIODS,
        results=RESULTS,
        app_filter_invalid=bool(app) and not is_guid(app),
        selected=selected,
        fix=fix,
        detail_link=lambda row: _link(base, here, id=row.id),
        older_link=_link(base, filters, after=older) if older else "",
        newest_link=_link(base, filters) if after else "",
        **context,
    )


@admin_page
def audit_logs_page(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    tenant = context["tenant"]
    period, since = _since(request, portal.platform.clock.now())
    result = _param(request, "result")
    category = _param(request, "category")
    activity = _param(request, "activity")
    filters = {"period": period, "result": result, "category": category, "activity": activity}
    query = AuditQuery(
        tenant_id=tenant.id,
        top=PAGE,
        since=since,
        result=result if result in (SUCCESS, FAILURE) else None,
        category=category if category in CATEGORIES else None,
        activity=activity or None,
    )
    after = _after(request)
    rows, older = _page(
        list_audits(portal.platform.database, replace(query, after=after)), "activity_at"
    )
    base = urls.tenant(tenant.id, "audit-logs")
    here = {**filters, "after": _param(request, "after")}
    return render(
        request,
        "audit_logs.html",
        nav="audit-logs",
        rows=rows,
        filters=filters,
        periods=PERIODS,
        results=RESULTS,
        categories=CATEGORIES,
        activities=sorted({a.display_name for a in ACTIVITIES}),
        selected=_selected_audit(portal, tenant.id, _param(request, "id")),
        detail_link=lambda row: _link(base, here, id=row.id),
        older_link=_link(base, filters, after=older) if older else "",
        newest_link=_link(base, filters) if after else "",
        **context,
    )
