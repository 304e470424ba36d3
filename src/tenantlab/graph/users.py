"""`/users`: list, get, create, update, delete (User.Read.All ... User.ReadWrite.All)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenantlab.directory import UserNotFound
from tenantlab.directory.queries import Page, PageQuery
from tenantlab.graph.delta import Rows, Tracked, delta
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.expand import expand, parse_expand
from tenantlab.graph.odata import ListOptions, encode_skiptoken, list_options
from tenantlab.graph.routing import (
    USERS_READ,
    USERS_WRITE,
    GraphRequest,
    Result,
    Route,
    not_found,
    reject_unknown,
    route,
    typed_fields,
)
from tenantlab.graph.shapes._shape import Selection
from tenantlab.graph.shapes.users import USER, USER_DEFAULT_PROPERTIES, row_plan

# Graph property -> (directory field, JSON type) for what a client may set on a user.
WRITABLE: dict[str, tuple[str, type]] = {
    "displayName": ("display_name", str),
    "givenName": ("given_name", str),
    "surname": ("surname", str),
    "mail": ("mail", str),
    "mailNickname": ("mail_nickname", str),
    "jobTitle": ("job_title", str),
    "mobilePhone": ("mobile_phone", str),
    "officeLocation": ("office_location", str),
    "preferredLanguage": ("preferred_language", str),
    "businessPhones": ("business_phones", list),
    "accountEnabled": ("account_enabled", bool),
    "department": ("department", str),
    "companyName": ("company_name", str),
    "employeeId": ("employee_id", str),
    "employeeType": ("employee_type", str),
    "usageLocation": ("usage_location", str),
    "streetAddress": ("street_address", str),
    "city": ("city", str),
    "state": ("state", str),
    "postalCode": ("postal_code", str),
    "country": ("country", str),
    "faxNumber": ("fax_number", str),
    "otherMails": ("other_mails", list),
    "proxyAddresses": ("proxy_addresses", list),
    "identities": ("identities", list),
    "onPremisesImmutableId": ("on_premises_immutable_id", str),
}
CREATE_ALLOWED = frozenset({*WRITABLE, "userPrincipalName", "passwordProfile", "userType"})
UPDATE_ALLOWED = frozenset({*WRITABLE, "passwordProfile"})
REQUIRED_ON_CREATE = ("accountEnabled", "displayName", "mailNickname", "userPrincipalName")


def collection_page(
    request: GraphRequest,
    options: ListOptions,
    page: Page[Any],
    values: list[dict[str, Any]],
    fragment: str,
) -> Result:
    """A collection response in Graph's property order, with a nextLink to the next page."""
    if options.select:
        fragment = selected_context(fragment, options.select)
    body: dict[str, Any] = {"@odata.context": request.context(fragment)}
    if page.count is not None:
        body["@odata.count"] = page.count
    if page.next_after is not None:
        params = {k: v for k, v in options.raw.items() if k != "$skiptoken"}
        params["$skiptoken"] = encode_skiptoken(
            page.next_after, options.page.order_by, options.page.descending
        )
        body["@odata.nextLink"] = request.link(request.path.rstrip("/"), params)
    body["value"] = values
    return Result(body=body)


def selected_context(fragment: str, select: tuple[str, ...]) -> str:
    """`users(displayName,id)`: the `$select` list as the client wrote it, as Graph echoes it."""
    return f"{fragment}({','.join(select)})"


def entity_context(fragment: str, select: tuple[str, ...] | None) -> str:
    """One entity's context: `users/$entity`, or `users(displayName,id)/$entity` with $select."""
    return f"{selected_context(fragment, select) if select else fragment}/$entity"


def list_users(request: GraphRequest) -> Result:
    options = list_options(request.params, request.headers, expandable=True)
    expansions = parse_expand(request.params.get("$expand"), USER)
    plan = row_plan(USER.choose(options.select))
    page = request.platform.directory.page_user_rows(
        tenant_id=request.tenant, query=options.page, columns=plan.columns
    )
    values = plan.build(page.items)
    expand(request, USER, expansions, values)
    return collection_page(request, options, page, values, "users")


def _user_rows(request: GraphRequest, selection: Selection, query: PageQuery) -> Rows:
    plan = row_plan(selection)
    page = request.platform.directory.page_user_rows(
        tenant_id=request.tenant, query=query, columns=plan.columns
    )
    return Rows(plan.build(page.items), page.next_after[1] if page.next_after else None)


USERS_DELTA = Tracked("users", "users", USER.choose, USER_DEFAULT_PROPERTIES, _user_rows)
# `/users/delta`, and the SDKs' spelling: `/users/microsoft.graph.delta()`.
DELTA_PATH = r"/users/(?:microsoft\.graph\.)?delta(?:\(\))?"


def count_of(
    page_of: Callable[[Any], Callable[..., Page[Any]]],
) -> Callable[[GraphRequest], Result]:
    """`GET /{collection}/$count`: the number as text/plain, honouring `$filter` and `$search`;
    like `$count=true`, only with `ConsistencyLevel: eventual`."""

    def count(request: GraphRequest) -> Result:
        if request.headers.get("consistencylevel", "").lower() != "eventual":
            raise InvalidRequest("$count is not currently supported.")
        wanted = {k: v for k, v in request.params.items() if k in ("$filter", "$search")}
        options = list_options(wanted, request.headers)
        query = PageQuery(top=1, filter=options.page.filter, count=True)
        page = page_of(request.platform.directory)(tenant=request.tenant, query=query)
        return Result(text=str(page.count))

    return count


count_users = count_of(lambda directory: directory.page_users)


def _user(request: GraphRequest) -> Any:
    key = request.match["key"]
    try:
        return request.platform.directory.get_user(tenant=request.tenant, key=key)
    except UserNotFound:
        raise not_found(key) from None


def get_user(request: GraphRequest) -> Result:
    options = list_options({k: v for k, v in request.params.items() if k == "$select"}, {})
    expansions = parse_expand(request.params.get("$expand"), USER)
    selection = USER.choose(options.select)
    body = {"@odata.context": request.context(entity_context("users", options.select))}
    user = USER.render(_user(request), selection)
    expand(request, USER, expansions, [user])
    body.update(user)
    return Result(body=body)


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return typed_fields(body, WRITABLE, {"identities": "microsoft.graph.objectIdentity"})


def _password(body: dict[str, Any]) -> str | None:
    profile = body.get("passwordProfile")
    if profile is None:
        return None
    password = profile.get("password") if isinstance(profile, dict) else None
    if not isinstance(password, str) or not password:
        raise InvalidRequest(
            "Invalid value specified for property 'passwordProfile' of resource 'User'."
        )
    return password


def _reject_read_only(body: dict[str, Any], allowed: frozenset[str]) -> None:
    """A declared property a client cannot set (createdDateTime, onPremisesSyncEnabled, ...)."""
    for name in body:
        if name in USER.properties and name not in allowed:
            raise InvalidRequest(f"Property '{name}' is read-only and cannot be set.")


def create_user(request: GraphRequest) -> Result:
    body = request.json()
    _reject_read_only(body, CREATE_ALLOWED)
    reject_unknown(body, CREATE_ALLOWED)
    for name in (*REQUIRED_ON_CREATE, "passwordProfile"):
        if body.get(name) in (None, ""):
            raise InvalidRequest(
                f"Invalid value specified for property '{name}' of resource 'User'."
            )
    if body.get("userType", "Member") != "Member":
        raise InvalidRequest("Invalid value specified for property 'userType' of resource 'User'.")
    upn = body["userPrincipalName"]
    if not isinstance(upn, str):
        raise InvalidRequest(
            f"Cannot convert the literal '{upn}' to the expected type 'Edm.String'."
        )
    fields = _fields(body)
    user = request.platform.directory.create_user(
        tenant=request.tenant,
        user_principal_name=upn,
        password=_password(body),
        **fields,
    )
    document = {"@odata.context": request.context("users/$entity")}
    document.update(USER.render(user))
    location = request.link(f"/users/{user.id}", {})
    return Result(status=201, body=document, headers={"Location": location})


def update_user(request: GraphRequest) -> Result:
    body = request.json()
    if "userPrincipalName" in body:
        raise InvalidRequest(
            "Updating userPrincipalName is not supported by tenantlab; create a new user instead."
        )
    _reject_read_only(body, UPDATE_ALLOWED)
    reject_unknown(body, UPDATE_ALLOWED)
    fields = _fields(body)
    password = _password(body)
    if password is not None:
        fields["password"] = password
    user = _user(request)
    if fields:
        request.platform.directory.update_user(tenant=request.tenant, key=user.id, **fields)
    return Result(status=204)


def delete_user(request: GraphRequest) -> Result:
    user = _user(request)
    request.platform.directory.delete_user(tenant=request.tenant, key=user.id)
    return Result(status=204)


ROUTES: list[Route] = [
    route("GET", "/users", list_users, USERS_READ, "users"),
    route("POST", "/users", create_user, USERS_WRITE, "users"),
    route("GET", r"/users/\$count", count_users, USERS_READ, "users"),
    route("GET", DELTA_PATH, delta(USERS_DELTA), USERS_READ, "users"),
    route("GET", "/users/{key}", get_user, USERS_READ, "users"),
    route("PATCH", "/users/{key}", update_user, USERS_WRITE, "users"),
    route("DELETE", "/users/{key}", delete_user, USERS_WRITE, "users"),
]
