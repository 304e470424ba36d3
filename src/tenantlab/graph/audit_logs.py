"""`GET /auditLogs/signIns` (v1.0 and beta): one tenant's sign-ins, newest first, keyset-paged.

`$filter` takes what Graph documents for signIns and tenantlab records, joined by `and`:

    createdDateTime ge|le 2026-12-04T18:00:00Z
    appId eq '{guid}'
    status/errorCode eq|ne 7000215
    signInEventTypes/any(t: t eq 'servicePrincipal')

Any other property or operator is Graph's 400. Pages are by (createdDateTime, id): a
`$skiptoken` in `@odata.nextLink` carries the last pair, so a page costs one index range scan
however deep it is.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from tenantlab.directory.sign_ins import EVENT_TYPES, SignInQuery, list_sign_ins
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.odata import decode_skiptoken, encode_skiptoken, parse_select, parse_top
from tenantlab.graph.routing import AUDIT_LOGS_READ, GraphRequest, Result, route
from tenantlab.graph.shapes.sign_ins import SIGN_IN
from tenantlab.ids import is_guid
from tenantlab.storage.schema import SignIn

_ORDER = "createdDateTime"
_OPTIONS = frozenset({"$top", "$filter", "$skiptoken", "$select", "$orderby"})
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_CREATED = re.compile(r"^createdDateTime\s+(\w+)\s+(\S+)$", re.IGNORECASE)
_APP_ID = re.compile(r"^appId\s+(\w+)\s+'([^']*)'$", re.IGNORECASE)
_ERROR_CODE = re.compile(r"^status/errorCode\s+(\w+)\s+(-?\d+)$", re.IGNORECASE)
_EVENT_TYPE = re.compile(
    r"^signInEventTypes/any\(\s*(\w+)\s*:\s*(\w+)\s+(\w+)\s+'([^']*)'\s*\)$", re.IGNORECASE
)
_PROPERTY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9/]*)")
_FILTERABLE = ("createdDateTime", "appId", "status/errorCode", "signInEventTypes")


def _invalid(detail: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid filter clause: {detail}", code="BadRequest")


def _operator(clause: str, operator: str, allowed: tuple[str, ...]) -> str:
    if operator.lower() not in allowed:
        raise _invalid(f"the operator '{operator}' is not supported in '{clause}'.")
    return operator.lower()


def _timestamp(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.strip("'").replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"'{text}' is not a DateTimeOffset.") from None
    if moment.tzinfo is None:
        raise _invalid(f"'{text}' is not a DateTimeOffset (it has no offset).")
    return moment.timestamp()


def parse_sign_in_filter(text: str, query: SignInQuery) -> SignInQuery:
    """`query` narrowed by a signIns `$filter`; Graph's 400 for anything it cannot take."""
    if not text.strip():
        raise _invalid("the expression is empty.")
    for clause in (c.strip() for c in _AND.split(text.strip())):
        if match := _CREATED.match(clause):
            operator = _operator(clause, match.group(1), ("ge", "le"))
            moment = _timestamp(match.group(2))
            if operator == "ge":
                query = replace(query, since=moment)
            else:
                query = replace(query, until=moment)
        elif match := _APP_ID.match(clause):
            _operator(clause, match.group(1), ("eq",))
            if not is_guid(match.group(2)):
                raise _invalid(f"'{match.group(2)}' is not a GUID.")
            query = replace(query, app_id=match.group(2).lower())
        elif match := _ERROR_CODE.match(clause):
            operator = _operator(clause, match.group(1), ("eq", "ne"))
            code = int(match.group(2))
            if operator == "eq":
                query = replace(query, error_code=code)
            else:
                query = replace(query, error_code_not=code)
        elif match := _EVENT_TYPE.match(clause):
            variable, left, operator, value = match.groups()
            if left != variable:
                raise _invalid(f"'{left}' is not the lambda variable in '{clause}'.")
            _operator(clause, operator, ("eq",))
            if value not in EVENT_TYPES:
                raise _invalid(f"'{value}' is not a signInEventType tenantlab records.")
            query = replace(query, event_type=value)
        else:
            name = _PROPERTY.match(clause)
            prop = name.group(1) if name else clause
            if prop.lower() in (f.lower() for f in _FILTERABLE):
                raise _invalid(f"the expression '{clause}' is not supported.")
            raise InvalidRequest(
                f"Could not find a property named '{prop}' on type 'microsoft.graph.signIn'.",
                code="BadRequest",
            )
    return query


def list_sign_ins_page(request: GraphRequest) -> Result:
    params = request.params
    for name in params:
        if name.startswith("$") and name.lower() not in _OPTIONS:
            raise InvalidRequest(f"Query option '{name}' is not allowed.", code="BadRequest")
    order = params.get("$orderby")
    if order is not None and order.strip().lower() not in ("createddatetime desc", ""):
        raise InvalidRequest(
            "Sorting not supported for current query.", code="Request_UnsupportedQuery"
        )
    selection = SIGN_IN.choose(parse_select(params.get("$select")))
    query = SignInQuery(tenant_id=request.tenant, top=parse_top(params.get("$top")))
    if "$filter" in params:
        query = parse_sign_in_filter(params["$filter"], query)
    skiptoken = params.get("$skiptoken")
    if skiptoken:
        created, last_id = decode_skiptoken(skiptoken, _ORDER, True)
        if not isinstance(created, int | float):
            raise InvalidRequest("The specified page token value is invalid or has expired.")
        query = replace(query, after=(float(created), last_id))
    rows = list_sign_ins(request.platform.database, query)
    body: dict[str, object] = {"@odata.context": request.context("auditLogs/signIns")}
    page, more = rows[: query.top], len(rows) > query.top
    body["value"] = [SIGN_IN.render(row, selection) for row in page]
    if more:
        last = page[-1]
        following = {k: v for k, v in params.items() if k != "$skiptoken"}
        following["$skiptoken"] = encode_skiptoken((last.created_at, last.id), _ORDER, True)
        body["@odata.nextLink"] = request.link("/auditLogs/signIns", following)
    return Result(body=body)


def get_sign_in(request: GraphRequest) -> Result:
    key = request.match["key"]
    with request.platform.database.session() as session:
        row = session.get(SignIn, key.lower()) if is_guid(key) else None
    if row is None or row.tenant_id != request.tenant:
        raise InvalidRequest(f"Resource '{key}' does not exist.", code="Request_ResourceNotFound")
    body = {"@odata.context": request.context("auditLogs/signIns/$entity")}
    body.update(SIGN_IN.render(row))
    return Result(body=body)


ROUTES = [
    route("GET", "/auditLogs/signIns", list_sign_ins_page, AUDIT_LOGS_READ, "auditLogs"),
    route("GET", "/auditLogs/signIns/{key}", get_sign_in, AUDIT_LOGS_READ, "auditLogs"),
]
