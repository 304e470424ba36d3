"""`GET /auditLogs/directoryAudits` (v1.0 and beta): one tenant's changes, newest first.

`$filter` takes what Graph documents for directoryAudits and tenantlab records, joined by `and`:

    activityDateTime ge|le 2026-12-04T18:00:00Z
    category eq 'ApplicationManagement'
    activityDisplayName eq 'Add application'
    initiatedBy/app/appId eq '{guid}'
    targetResources/any(t: t/id eq '{guid}')
    result eq 'success'|'failure'

Any other property or operator is Graph's 400. Pages are by (activityDateTime, id), as signIns.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tenantlab.directory.audits import FAILURE, SUCCESS, AuditQuery, list_audits
from tenantlab.graph.audit_logs import (
    check_log_options,
    filter_clauses,
    filter_operator,
    filter_timestamp,
    invalid_filter,
    literal,
    log_page,
)
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.odata import parse_select
from tenantlab.graph.routing import AUDIT_LOGS_READ, GraphRequest, Result, route
from tenantlab.graph.shapes.directory_audits import DIRECTORY_AUDIT
from tenantlab.ids import is_guid
from tenantlab.storage.schema import DirectoryAudit

_ORDER = "activityDateTime"
_STRING = r"'((?:[^']|'')*)'"
_TIME = re.compile(r"^activityDateTime\s+(\w+)\s+(\S+)$", re.IGNORECASE)
_EQUALS = re.compile(
    rf"^(category|activityDisplayName|initiatedBy/app/appId|result)\s+(\w+)\s+{_STRING}$",
    re.IGNORECASE,
)
_TARGET = re.compile(
    rf"^targetResources/any\(\s*(\w+)\s*:\s*(\w+)/id\s+(\w+)\s+{_STRING}\s*\)$", re.IGNORECASE
)
_PROPERTY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9/]*)")
_FILTERABLE = (
    "activityDateTime",
    "category",
    "activityDisplayName",
    "initiatedBy/app/appId",
    "targetResources",
    "result",
)


def _guid(value: str) -> str:
    if not is_guid(value):
        raise invalid_filter(f"'{value}' is not a GUID.")
    return value.lower()


def parse_audit_filter(text: str, query: AuditQuery) -> AuditQuery:
    """`query` narrowed by a directoryAudits `$filter`; Graph's 400 for anything it cannot take."""
    for clause in filter_clauses(text):
        if match := _TIME.match(clause):
            operator = filter_operator(clause, match.group(1), ("ge", "le"))
            moment = filter_timestamp(match.group(2))
            if operator == "ge":
                query = replace(query, since=moment)
            else:
                query = replace(query, until=moment)
        elif match := _EQUALS.match(clause):
            name, operator, value = match.group(1).lower(), match.group(2), literal(match.group(3))
            filter_operator(clause, operator, ("eq",))
            if name == "category":
                query = replace(query, category=value)
            elif name == "activitydisplayname":
                query = replace(query, activity=value)
            elif name == "initiatedby/app/appid":
                query = replace(query, initiator_app_id=_guid(value))
            else:
                if value not in (SUCCESS, FAILURE):
                    raise invalid_filter(f"'{value}' is not an operationResult tenantlab records.")
                query = replace(query, result=value)
        elif match := _TARGET.match(clause):
            variable, left, operator, value = match.groups()
            if left != variable:
                raise invalid_filter(f"'{left}' is not the lambda variable in '{clause}'.")
            filter_operator(clause, operator, ("eq",))
            query = replace(query, target_id=literal(value).lower())
        else:
            found = _PROPERTY.match(clause)
            prop = found.group(1) if found else clause
            known = {f.lower() for f in _FILTERABLE}
            if prop.lower() in known or prop.split("/")[0].lower() in known:
                raise invalid_filter(f"the expression '{clause}' is not supported.")
            raise InvalidRequest(
                f"Could not find a property named '{prop}' on type "
                "'microsoft.graph.directoryAudit'.",
                code="BadRequest",
            )
    return query


def list_directory_audits(request: GraphRequest) -> Result:
    selection = DIRECTORY_AUDIT.choose(parse_select(request.params.get("$select")))
    top, after = check_log_options(request, _ORDER)
    query = AuditQuery(tenant_id=request.tenant, top=top, after=after)
    if "$filter" in request.params:
        query = parse_audit_filter(request.params["$filter"], query)
    rows = list_audits(request.platform.database, query)
    return log_page(
        request,
        "/auditLogs/directoryAudits",
        _ORDER,
        rows,
        top,
        lambda r: DIRECTORY_AUDIT.render(r, selection),
        lambda r: (r.activity_at, r.id),
    )


def get_directory_audit(request: GraphRequest) -> Result:
    key = request.match["key"]
    with request.platform.database.session() as session:
        row = session.get(DirectoryAudit, key.lower()) if is_guid(key) else None
    if row is None or row.tenant_id != request.tenant:
        raise InvalidRequest(f"Resource '{key}' does not exist.", code="Request_ResourceNotFound")
    body = {"@odata.context": request.context("auditLogs/directoryAudits/$entity")}
    body.update(DIRECTORY_AUDIT.render(row))
    return Result(body=body)


ROUTES = [
    route("GET", "/auditLogs/directoryAudits", list_directory_audits, AUDIT_LOGS_READ, "auditLogs"),
    route(
        "GET", "/auditLogs/directoryAudits/{key}", get_directory_audit, AUDIT_LOGS_READ, "auditLogs"
    ),
]
