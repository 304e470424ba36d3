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
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from tenantlab.directory.sign_ins import EVENT_TYPES, SignInQuery, list_sign_ins
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.odata import decode_skiptoken, encode_skiptoken, parse_select, parse_top
from tenantlab.graph.routing import AUDIT_LOGS_READ, GraphRequest, Result, route
from tenantlab.graph.shapes.sign_ins import SIGN_IN
from tenantlab.ids import is_guid
from tenantlab.storage.schema import SignIn

R = TypeVar("R")
_ORDER = "createdDateTime"
_OPTIONS = frozenset({"$top", "$filter", "$skiptoken", "$select", "$orderby"})
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_QUOTED = re.compile(r"'(?:[^']|'')*'")
_CREATED = re.compile(r"^createdDateTime\s+(\w+)\s+(\S+)$", re.IGNORECASE)
_APP_ID = re.compile(r"^appId\s+(\w+)\s+'([^']*)'$", re.IGNORECASE)
_ERROR_CODE = re.compile(r"^status/errorCode\s+(\w+)\s+(-?\d+)$", re.IGNORECASE)
_EVENT_TYPE = re.compile(
    r"^signInEventTypes/any\(\s*(\w+)\s*:\s*(\w+)\s+(\w+)\s+'([^']*)'\s*\)$", re.IGNORECASE
)
_PROPERTY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9/]*)")
_FILTERABLE = ("createdDateTime", "appId", "status/errorCode", "signInEventTypes")


def invalid_filter(detail: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid filter clause: {detail}", code="BadRequest")


def filter_operator(clause: str, operator: str, allowed: tuple[str, ...]) -> str:
    if operator.lower() not in allowed:
        raise invalid_filter(f"the operator '{operator}' is not supported in '{clause}'.")
    return operator.lower()


def filter_timestamp(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.strip("'").replace("Z", "+00:00"))
    except ValueError:
        raise invalid_filter(f"'{text}' is not a DateTimeOffset.") from None
    if moment.tzinfo is None:
        raise invalid_filter(f"'{text}' is not a DateTimeOffset (it has no offset).")
    return moment.timestamp()


def filter_clauses(text: str) -> list[str]:
    """The clauses of a `$filter` joined by `and` (an `and` inside a quoted value stays there)."""
    if not text.strip():
        raise invalid_filter("the expression is empty.")
    quoted: list[str] = []

    def hide(match: re.Match[str]) -> str:
        quoted.append(match.group(0))
        return f"\x00{len(quoted) - 1}\x00"

    masked = _QUOTED.sub(hide, text.strip())
    if "'" in masked:
        raise invalid_filter("a quoted value is not closed.")
    restore = re.compile(r"\x00(\d+)\x00")
    return [
        restore.sub(lambda m: quoted[int(m.group(1))], clause).strip()
        for clause in _AND.split(masked)
    ]


def literal(quoted: str) -> str:
    """An OData string literal's value ('' is one quote)."""
    return quoted.replace("''", "'")


def parse_sign_in_filter(text: str, query: SignInQuery) -> SignInQuery:
    """`query` narrowed by a signIns `$filter`; Graph's 400 for anything it cannot take."""
    for clause in filter_clauses(text):
        if match := _CREATED.match(clause):
            operator = filter_operator(clause, match.group(1), ("ge", "le"))
            moment = filter_timestamp(match.group(2))
            if operator == "ge":
                query = replace(query, since=moment)
            else:
                query = replace(query, until=moment)
        elif match := _APP_ID.match(clause):
            filter_operator(clause, match.group(1), ("eq",))
            if not is_guid(match.group(2)):
                raise invalid_filter(f"'{match.group(2)}' is not a GUID.")
            query = replace(query, app_id=match.group(2).lower())
        elif match := _ERROR_CODE.match(clause):
            operator = filter_operator(clause, match.group(1), ("eq", "ne"))
            code = int(match.group(2))
            if operator == "eq":
                query = replace(query, error_code=code)
            else:
                query = replace(query, error_code_not=code)
        elif match := _EVENT_TYPE.match(clause):
            variable, left, operator, value = match.groups()
            if left != variable:
                raise invalid_filter(f"'{left}' is not the lambda variable in '{clause}'.")
            filter_operator(clause, operator, ("eq",))
            if value not in EVENT_TYPES:
                raise invalid_filter(f"'{value}' is not a signInEventType tenantlab records.")
            query = replace(query, event_type=value)
        else:
            name = _PROPERTY.match(clause)
            prop = name.group(1) if name else clause
            if prop.lower() in (f.lower() for f in _FILTERABLE):
                raise invalid_filter(f"the expression '{clause}' is not supported.")
            raise InvalidRequest(
                f"Could not find a property named '{prop}' on type 'microsoft.graph.signIn'.",
                code="BadRequest",
            )
    return query


def check_log_options(request: GraphRequest, order: str) -> tuple[int, tuple[float, str] | None]:
    """The options a log listing takes (newest first only): its `$top` and the keyset position
    its `$skiptoken` carries."""
    params = request.params
    for name in params:
        if name.startswith("$") and name.lower() not in _OPTIONS:
            raise InvalidRequest(f"Query option '{name}' is not allowed.", code="BadRequest")
    orderby = params.get("$orderby")
    if orderby is not None and orderby.strip().lower() not in (f"{order.lower()} desc", ""):
        raise InvalidRequest(
            "Sorting not supported for current query.", code="Request_UnsupportedQuery"
        )
    top = parse_top(params.get("$top"))
    skiptoken = params.get("$skiptoken")
    if not skiptoken:
        return top, None
    at, last_id = decode_skiptoken(skiptoken, order, True)
    if not isinstance(at, int | float):
        raise InvalidRequest("The specified page token value is invalid or has expired.")
    return top, (float(at), last_id)


def log_page(
    request: GraphRequest,
    path: str,
    order: str,
    rows: Sequence[R],
    top: int,
    render: Callable[[R], dict[str, Any]],
    key: Callable[[R], tuple[float, str]],
) -> Result:
    """One page of a log (`rows` holds up to top + 1), linked to the next by keyset."""
    body: dict[str, object] = {"@odata.context": request.context(path.lstrip("/"))}
    page, more = rows[:top], len(rows) > top
    body["value"] = [render(row) for row in page]
    if more:
        following = {k: v for k, v in request.params.items() if k != "$skiptoken"}
        following["$skiptoken"] = encode_skiptoken(key(page[-1]), order, True)
        body["@odata.nextLink"] = request.link(path, following)
    return Result(body=body)


def list_sign_ins_page(request: GraphRequest) -> Result:
    selection = SIGN_IN.choose(parse_select(request.params.get("$select")))
    top, after = check_log_options(request, _ORDER)
    query = SignInQuery(tenant_id=request.tenant, top=top, after=after)
    if "$filter" in request.params:
        query = parse_sign_in_filter(request.params["$filter"], query)
    rows = list_sign_ins(request.platform.database, query)
    return log_page(
        request,
        "/auditLogs/signIns",
        _ORDER,
        rows[: top + 1],
        top,
        lambda r: SIGN_IN.render(r, selection),
        lambda r: (r.created_at, r.id),
    )


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
