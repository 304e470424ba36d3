"""Paged, filtered, ordered reads of directory collections, done in SQL.

Graph's list calls (`$filter`, `$orderby`, `$count`, `$top`, `$skiptoken`) need the database to do
the work: one page must cost the same for a tenant of 1,000 users and of 100,000. So a page is a
keyset query: rows ordered by (sort property, id), the next page starting strictly after the last
(value, id) seen. Unlike an offset, that cursor neither skips nor repeats an object when others
are inserted or deleted between two pages.

The filter arrives as a small, framework-free expression tree (`Comparison`, `Junction`, `Negation`)
that the Graph front end builds from OData; property names are Graph's, mapped to columns here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    false,
    func,
    not_,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute

from tenantlab.directory._base import DirectoryBase
from tenantlab.directory.errors import ValidationFailed
from tenantlab.ids import is_guid, normalize_guid
from tenantlab.storage.schema import (
    Application,
    AppRoleAssignment,
    Group,
    ServicePrincipal,
    User,
)

T = TypeVar("T")


class UnsupportedQuery(ValidationFailed):
    """A filter or sort Graph would refuse on this property (Graph: Request_UnsupportedQuery)."""

    code = "Request_UnsupportedQuery"


@dataclass(frozen=True)
class Comparison:
    """`property op value`; op is one of eq, ne, ge, le, startswith, in."""

    prop: str
    op: str
    value: Any


@dataclass(frozen=True)
class Junction:
    op: str  # "and" | "or"
    operands: tuple[Expression, ...]


@dataclass(frozen=True)
class Negation:
    operand: Expression


Expression = Comparison | Junction | Negation


@dataclass(frozen=True)
class PageQuery:
    top: int = 100
    filter: Expression | None = None
    order_by: str | None = None  # a Graph property name; None: by id
    descending: bool = False
    after: tuple[Any, str] | None = None  # (sort value, id) of the previous page's last object
    count: bool = False


@dataclass
class Page(Generic[T]):
    items: list[T]
    # The cursor for the next page (sort value, id), None on the last page.
    next_after: tuple[Any, str] | None
    count: int | None = None


@dataclass(frozen=True)
class Prop:
    """How one Graph property maps to SQL: its column, its kind and what Graph lets you do."""

    column: InstrumentedAttribute[Any]
    kind: str = "string"  # string | guid | bool | strings (a JSON list of strings)
    ops: frozenset[str] = frozenset({"eq", "ne", "startswith", "in", "ge", "le"})
    sortable: bool = False
    # A lower-cased copy: compare there (Graph's directory strings match case-insensitively).
    folded: InstrumentedAttribute[Any] | None = None


@dataclass(frozen=True)
class Collection:
    entity: str  # Graph's type name, for messages
    model: type[Any]
    props: dict[str, Prop]


_STR = frozenset({"eq", "ne", "startswith", "in", "ge", "le"})
_EXACT = frozenset({"eq", "ne", "in"})
_SEARCHABLE = _STR | {"search"}

USERS = Collection(
    "microsoft.graph.user",
    User,
    {
        "id": Prop(User.id, "guid", _EXACT),
        "displayName": Prop(User.display_name, sortable=True, ops=_SEARCHABLE),
        "userPrincipalName": Prop(
            User.user_principal_name, sortable=True, folded=User.upn_key, ops=_SEARCHABLE
        ),
        "mail": Prop(User.mail, ops=_SEARCHABLE),
        "mailNickname": Prop(User.mail_nickname),
        "givenName": Prop(User.given_name),
        "surname": Prop(User.surname),
        "jobTitle": Prop(User.job_title),
        "officeLocation": Prop(User.office_location),
        "preferredLanguage": Prop(User.preferred_language),
        "userType": Prop(User.user_type, ops=_EXACT),
        "accountEnabled": Prop(User.account_enabled, "bool", _EXACT),
    },
)
APPLICATIONS = Collection(
    "microsoft.graph.application",
    Application,
    {
        "id": Prop(Application.id, "guid", _EXACT),
        "appId": Prop(Application.app_id, "guid", _EXACT),
        "displayName": Prop(Application.display_name, sortable=True, ops=_SEARCHABLE),
        "signInAudience": Prop(Application.sign_in_audience, ops=_EXACT),
    },
)
SERVICE_PRINCIPALS = Collection(
    "microsoft.graph.servicePrincipal",
    ServicePrincipal,
    {
        "id": Prop(ServicePrincipal.id, "guid", _EXACT),
        "appId": Prop(ServicePrincipal.app_id, "guid", _EXACT),
        "displayName": Prop(ServicePrincipal.display_name, sortable=True, ops=_SEARCHABLE),
        "servicePrincipalType": Prop(ServicePrincipal.service_principal_type, ops=_EXACT),
        "accountEnabled": Prop(ServicePrincipal.account_enabled, "bool", _EXACT),
    },
)

GROUPS = Collection(
    "microsoft.graph.group",
    Group,
    {
        "id": Prop(Group.id, "guid", _EXACT),
        "displayName": Prop(Group.display_name, sortable=True, ops=_SEARCHABLE),
        "mail": Prop(Group.mail, ops=_SEARCHABLE),
        "mailNickname": Prop(Group.mail_nickname, ops=_SEARCHABLE),
        "description": Prop(Group.description, ops=_SEARCHABLE),
        "mailEnabled": Prop(Group.mail_enabled, "bool", _EXACT),
        "securityEnabled": Prop(Group.security_enabled, "bool", _EXACT),
        "groupTypes": Prop(Group.group_types, "strings", frozenset({"any"})),
    },
)


def _unsupported(collection: Collection, prop: str) -> UnsupportedQuery:
    return UnsupportedQuery(
        f"Unsupported or invalid query filter clause specified for property '{prop}' of "
        f"resource '{collection.entity.rsplit('.', 1)[-1].capitalize()}'."
    )


def _literal(collection: Collection, prop: Prop, name: str, value: Any) -> Any:
    if prop.kind == "bool":
        if not isinstance(value, bool):
            raise _unsupported(collection, name)
        return value
    if value is None:
        return None
    if not isinstance(value, str):
        raise _unsupported(collection, name)
    if prop.kind == "guid":
        # A value that is not a GUID can match nothing; Graph answers with an empty page.
        return normalize_guid(value) if is_guid(value) else value.lower()
    return value


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Where a word starts inside a property value, for `$search`'s tokenised matching.
_TOKEN_STARTS = ("", " ", ".", "-", "_", "@", "(", ",", "/")
_SEARCH_TOKEN = re.compile(r"[^\W_]+")


def _search(collection: Collection, node: Comparison) -> ColumnElement[bool]:
    """Graph's tokenised `$search`: every word of the term starts a word of the value
    (`"displayName:adel van"` finds "Adele Vance"), case-insensitively."""
    prop = collection.props.get(node.prop)
    if prop is None or "search" not in prop.ops:
        searchable = ", ".join(n for n, p in collection.props.items() if "search" in p.ops)
        raise UnsupportedQuery(
            f"Search is not supported on property '{node.prop}' of resource "
            f"'{collection.entity.rsplit('.', 1)[-1].capitalize()}'; search {searchable}."
        )
    words = _SEARCH_TOKEN.findall(str(node.value).lower())
    if not words:
        raise ValidationFailed(f"The $search term for '{node.prop}' has no words to match.")
    column: Any = prop.folded if prop.folded is not None else func.lower(prop.column)
    conditions = []
    for word in words:
        escaped = _escape_like(word)
        patterns = [
            f"%{_escape_like(at)}{escaped}%" if at else f"{escaped}%" for at in _TOKEN_STARTS
        ]
        conditions.append(or_(*(column.like(p, escape="\\") for p in patterns)))
    return and_(*conditions)


def _comparison(collection: Collection, node: Comparison) -> ColumnElement[bool]:
    if node.op == "search":
        return _search(collection, node)
    prop = collection.props.get(node.prop)
    if prop is None or node.op not in prop.ops:
        raise _unsupported(collection, node.prop)
    if node.op == "any":
        # A JSON list of strings, as its JSON text: the quoted value is one of its items. The
        # same text on SQLite and PostgreSQL (json cast to text); case-insensitive as Graph.
        if not isinstance(node.value, str):
            raise _unsupported(collection, node.prop)
        item = '"' + _escape_like(node.value.lower()) + '"'
        text = func.lower(cast(prop.column, String))
        return text.like(f"%{item}%", escape="\\")
    column: Any = prop.column
    if prop.kind == "string":
        column = prop.folded if prop.folded is not None else func.lower(prop.column)
    if node.op == "in":
        values = node.value if isinstance(node.value, list | tuple) else [node.value]
        literals = [_literal(collection, prop, node.prop, v) for v in values]
        if prop.kind == "string":
            literals = [v.lower() if isinstance(v, str) else v for v in literals]
        return column.in_(literals) if literals else false()
    value = _literal(collection, prop, node.prop, node.value)
    if isinstance(value, str) and prop.kind == "string":
        value = value.lower()
    if node.op == "startswith":
        if not isinstance(value, str):
            raise _unsupported(collection, node.prop)
        return column.like(_escape_like(value) + "%", escape="\\")  # type: ignore[no-any-return]
    if value is None:
        return column.is_(None) if node.op == "eq" else column.is_not(None)  # type: ignore[no-any-return]
    if node.op == "eq":
        return column == value  # type: ignore[no-any-return]
    if node.op == "ne":
        return column != value  # type: ignore[no-any-return]
    if node.op == "ge":
        return column >= value  # type: ignore[no-any-return]
    return column <= value  # type: ignore[no-any-return]


def to_sql(collection: Collection, node: Expression) -> ColumnElement[bool]:
    """The SQL condition for a filter tree; UnsupportedQuery for what Graph would refuse."""
    if isinstance(node, Comparison):
        return _comparison(collection, node)
    if isinstance(node, Negation):
        return not_(to_sql(collection, node.operand))
    parts = [to_sql(collection, operand) for operand in node.operands]
    return and_(true(), *parts) if node.op == "and" else or_(false(), *parts)


@dataclass(frozen=True)
class _Keyset:
    """One page's SQL: its conditions (with and without the cursor), sort key and order."""

    matching: list[Any]
    conditions: list[Any]
    sort: Any
    order: list[Any]


def _keyset(collection: Collection, tenant_id: str, query: PageQuery) -> _Keyset:
    model = collection.model
    matching = [model.tenant_id == tenant_id]
    if query.filter is not None:
        matching.append(to_sql(collection, query.filter))
    conditions = list(matching)
    if query.order_by is None:
        sort: Any = model.id
    else:
        prop = collection.props.get(query.order_by)
        if prop is None or not prop.sortable:
            raise UnsupportedQuery("Sorting not supported for current query.")
        # Sort where the comparisons happen: the folded copy when there is one (indexed).
        sort = prop.folded if prop.folded is not None else prop.column
    by_id = sort is model.id
    key: Any = model.id if by_id else tuple_(sort, model.id)
    if query.after is not None:
        cursor: Any = query.after[1] if by_id else tuple_(*query.after)
        conditions.append(key < cursor if query.descending else key > cursor)
    columns = (model.id,) if by_id else (sort, model.id)
    order = [c.desc() for c in columns] if query.descending else list(columns)
    return _Keyset(matching, conditions, sort, order)


class QueriesMixin(DirectoryBase):
    def _page(self, collection: Collection, tenant: str, query: PageQuery) -> Page[Any]:
        model = collection.model
        with self.db.session() as session:
            keyset = _keyset(collection, self._tenant(session, tenant).id, query)
            statement = (
                select(model).where(*keyset.conditions).order_by(*keyset.order).limit(query.top + 1)
            )
            rows = list(session.scalars(statement))
            total = None
            if query.count:
                counted = select(func.count()).select_from(model).where(*keyset.matching)
                total = int(session.scalar(counted) or 0)
        more = len(rows) > query.top
        rows = rows[: query.top]
        next_after = None
        if more and rows:
            last = rows[-1]
            next_after = (getattr(last, keyset.sort.key), last.id)
        return Page(rows, next_after, total)

    def page_user_rows(
        self, *, tenant_id: str, query: PageQuery, columns: Sequence[str]
    ) -> Page[Sequence[Any]]:
        """A page of users as rows of `columns` (names of `users` columns), for Graph's lists.

        One Core select on a pooled connection, no ORM objects: a page's hot path. `tenant_id`
        is the tenant's own id (a caller the front end has already admitted), not a domain.
        Each row carries the sort value and id after `columns`, for the next page's cursor.
        """
        model = User
        keyset = _keyset(USERS, tenant_id, query)
        selected = [getattr(model, name) for name in columns]
        statement = (
            select(*selected, keyset.sort, model.id)
            .where(*keyset.conditions)
            .order_by(*keyset.order)
            .limit(query.top + 1)
        )
        with self.db.engine.connect() as connection:
            rows: list[Sequence[Any]] = [tuple(row) for row in connection.execute(statement)]
            total = None
            if query.count:
                counted = select(func.count()).select_from(model).where(*keyset.matching)
                total = int(connection.scalar(counted) or 0)
        more = len(rows) > query.top
        rows = rows[: query.top]
        next_after = None
        if more and rows:
            next_after = (rows[-1][-2], rows[-1][-1])
        return Page(rows, next_after, total)

    def page_users(self, *, tenant: str, query: PageQuery) -> Page[User]:
        return self._page(USERS, tenant, query)

    def page_applications(self, *, tenant: str, query: PageQuery) -> Page[Application]:
        return self._page(APPLICATIONS, tenant, query)

    def page_groups(self, *, tenant: str, query: PageQuery) -> Page[Group]:
        return self._page(GROUPS, tenant, query)

    def page_service_principals(self, *, tenant: str, query: PageQuery) -> Page[ServicePrincipal]:
        return self._page(SERVICE_PRINCIPALS, tenant, query)

    def app_role_assignments_of(self, *, tenant: str, principal_id: str) -> list[AppRoleAssignment]:
        """Assignments a service principal holds (its consented application permissions)."""
        with self.db.session() as session:
            tid = self._tenant(session, tenant).id
            return list(
                session.scalars(
                    select(AppRoleAssignment)
                    .where(
                        AppRoleAssignment.tenant_id == tid,
                        AppRoleAssignment.principal_id == principal_id,
                    )
                    .order_by(AppRoleAssignment.created_at, AppRoleAssignment.id)
                )
            )
