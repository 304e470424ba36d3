"""Graph's delta queries (`/users/delta`): a full first round, then only what changed.

A round is a window of directory revisions over the change log (`directory.changes`):

    GET /users/delta[?$select=...][&$filter=id eq '...']      first round: every object, by id
      -> @odata.nextLink (…?$skiptoken=…) … -> @odata.deltaLink (…?$deltatoken=…)
    GET <deltaLink>                                            next round: the objects changed
      -> @odata.nextLink … -> @odata.deltaLink                 since, `@removed` for deletions

The first round reads the objects as they are, keyset by id; its tokens carry the revision it
started at, so whatever changes while the client pages is in the next round (maybe twice: Graph
warns clients the same object can come back). A later round pages through the objects changed in
(token's revision, revision at the round's start], by id. Tokens are opaque to clients and name
everything a round needs (tenant, `$select`, `$filter`, the window, the cursor, when issued),
so any node serves them, after a restart too; the state they point at is the change log in the
database. A token that does not decode, names another tenant or a revision the directory has
not reached, or is older than Graph's seven days is Graph's 410 `SyncStateNotFound`: the client
starts over.

Graph's rules for directory objects: `$select` tracks the selected properties only (an update of
another property does not surface); `$filter` takes only `id eq '...'` (up to 50 objects);
`$top`, `$orderby`, `$expand`, `$search` and `$count` are refused; `$deltatoken=latest` gives a
deltaLink and no objects. Changed objects carry every selected property (`Prefer:
return=minimal`: only the changed ones); a deleted one is `{"id", "@removed": {"reason":
"deleted"}}`, tenantlab having no recycle bin for Graph's `changed` reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tenantlab.directory.changes import TOKEN_LIFETIME_SECONDS
from tenantlab.directory.queries import Comparison, Junction, PageQuery
from tenantlab.graph.errors import InvalidRequest, SyncStateNotFound
from tenantlab.graph.odata import parse_filter
from tenantlab.graph.routing import GraphRequest, Result, object_id
from tenantlab.graph.shapes._shape import Selection
from tenantlab.ids import b64url, b64url_decode

PAGE_SIZE = 100
MAX_PAGE_SIZE = 999
MAX_FILTERED_OBJECTS = 50
_TOKEN_PREFIX = "tld1."
_REFUSED = ("$top", "$orderby", "$expand", "$search", "$count", "$skip")
_ACCEPTED = ("$select", "$filter", "$skiptoken", "$deltatoken")


@dataclass(frozen=True)
class Rows:
    """One page of a tracked collection's objects as Graph JSON, and the cursor after it."""

    values: list[dict[str, Any]]
    next_after: str | None


@dataclass(frozen=True)
class Tracked:
    """A collection delta tracks: its change-log kind, `@odata.context` fragment, its `$select`
    check and how to read its objects (by id after a cursor, or exactly the ids given)."""

    kind: str
    fragment: str
    choose: Callable[[Sequence[str] | None], Selection]
    default: tuple[str, ...]
    read: Callable[[GraphRequest, Selection, PageQuery], Rows]
    members: bool = False  # groups: `members` is selectable, tracked as `members@delta`

    def selection(self, select: Sequence[str] | None) -> Selection:
        """The properties of a `$select` (a relationship named there is no property)."""
        if select is None:
            return self.choose(None)
        properties = [n for n in select if not (self.members and n.strip().lower() == "members")]
        return self.choose(properties or ["id"])

    def tracks_members(self, select: Sequence[str] | None) -> bool:
        return self.members and (select is None or any(n.lower() == "members" for n in select))


@dataclass(frozen=True)
class State:
    """What a token says; `high` is set while a round pages (None in a deltaLink)."""

    tenant: str
    kind: str
    select: tuple[str, ...] | None
    ids: tuple[str, ...] | None
    low: int | None  # the revision the client has seen (None: first round)
    high: int | None
    after: str | None
    issued_at: float

    def encode(self) -> str:
        body = [
            self.tenant,
            self.kind,
            self.select,
            self.ids,
            self.low,
            self.high,
            self.after,
            round(self.issued_at, 3),
        ]
        return _TOKEN_PREFIX + b64url(json.dumps(body, separators=(",", ":")).encode())


def _decode(token: str, request: GraphRequest, kind: str) -> State:
    """The token's state, or 410 for anything this tenant's client cannot continue from."""
    gone = SyncStateNotFound()
    if not token.startswith(_TOKEN_PREFIX):
        raise gone
    try:
        tenant, k, select, ids, low, high, after, issued_at = json.loads(
            b64url_decode(token[len(_TOKEN_PREFIX) :])
        )
        state = State(
            tenant=_text(tenant),
            kind=_text(k),
            select=_texts(select),
            ids=_texts(ids),
            low=_revision(low),
            high=_revision(high),
            after=None if after is None else _text(after),
            issued_at=float(issued_at),
        )
    except (ValueError, TypeError):
        raise gone from None
    now = request.platform.clock.now()
    watermark = request.platform.directory.change_watermark()
    if (
        state.tenant != request.tenant
        or state.kind != kind
        or not now - TOKEN_LIFETIME_SECONDS <= state.issued_at <= now + 60
        or any(r is not None and r > watermark for r in (state.low, state.high))
        or (state.low is not None and state.high is not None and state.low > state.high)
    ):
        raise gone
    return state


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _texts(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 200:
        raise TypeError("not a list of strings")
    return tuple(_text(v) for v in value)


def _revision(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError("not a revision")
    return value


def _option(params: Mapping[str, str], name: str) -> str | None:
    """Graph's docs write `$deltaToken` and `$deltatoken`; both work."""
    for key, value in params.items():
        if key.lower() == name:
            return value
    return None


def _check_options(params: Mapping[str, str], tracked: Tracked) -> None:
    for name in params:
        lowered = name.lower()
        if lowered in _REFUSED:
            raise InvalidRequest(
                f"The query parameter '{name}' is not supported with change tracking over the "
                f"'{tracked.fragment.capitalize()}' resource.",
                code="Request_UnsupportedQuery",
            )
        if name.startswith("$") and lowered not in _ACCEPTED:
            raise InvalidRequest(f"Query option '{name}' is not allowed.", code="BadRequest")


def _filtered_ids(text: str) -> tuple[str, ...]:
    """`id eq '...' or id eq '...'`: the only filter delta takes on directory objects."""
    unsupported = InvalidRequest(
        "Unsupported query: change tracking filters only by object id, as "
        "\"id eq '{id}' or id eq '{id}'\".",
        code="Request_UnsupportedQuery",
    )
    expression = parse_filter(text)
    terms = expression.operands if isinstance(expression, Junction) else (expression,)
    if isinstance(expression, Junction) and expression.op != "or":
        raise unsupported
    ids: list[str] = []
    for term in terms:
        if not (isinstance(term, Comparison) and term.prop == "id" and term.op == "eq"):
            raise unsupported
        if not isinstance(term.value, str):
            raise unsupported
        ids.append(object_id(term.value))
    if len(ids) > MAX_FILTERED_OBJECTS:
        raise InvalidRequest(
            f"Too many objects in the filter: change tracking follows at most "
            f"{MAX_FILTERED_OBJECTS}.",
            code="Request_UnsupportedQuery",
        )
    return tuple(dict.fromkeys(ids))


def page_size(headers: Mapping[str, str]) -> tuple[int, dict[str, str]]:
    """`Prefer: odata.maxpagesize=N` (OData's way to ask for bigger pages; delta takes no $top)."""
    for preference in headers.get("prefer", "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize" and value.strip().isdigit():
            size = min(max(int(value.strip()), 1), MAX_PAGE_SIZE)
            return size, {"Preference-Applied": f"odata.maxpagesize={size}"}
    return PAGE_SIZE, {}


def _minimal(headers: Mapping[str, str]) -> bool:
    return any(p.strip().lower() == "return=minimal" for p in headers.get("prefer", "").split(","))


def delta(tracked: Tracked) -> Callable[[GraphRequest], Result]:
    """The `GET /{collection}/delta` handler for one tracked collection."""

    def handle(request: GraphRequest) -> Result:
        params = request.params
        _check_options(params, tracked)
        skiptoken = _option(params, "$skiptoken")
        deltatoken = _option(params, "$deltatoken")
        select_text, filter_text = _option(params, "$select"), _option(params, "$filter")
        if skiptoken is not None and (
            deltatoken is not None or select_text is not None or filter_text is not None
        ):
            raise InvalidRequest(
                "A $skiptoken continues a round as it began: send the @odata.nextLink as given.",
                code="Request_UnsupportedQuery",
            )
        now = request.platform.clock.now()
        if skiptoken is not None:
            state = _decode(skiptoken, request, tracked.kind)
            if state.high is None:
                raise SyncStateNotFound()
        else:
            select = _selected(tracked, select_text)
            ids = _filtered_ids(filter_text) if filter_text is not None else None
            watermark = request.platform.directory.change_watermark()
            if deltatoken is None:  # a first round
                state = State(request.tenant, tracked.kind, select, ids, None, watermark, None, now)
            elif deltatoken.lower() == "latest":  # "sync from now": a deltaLink, no objects
                state = State(request.tenant, tracked.kind, select, ids, watermark, None, None, now)
                return _page(request, tracked, state, [], None, {})
            else:
                seen = _decode(deltatoken, request, tracked.kind)
                if seen.high is not None or seen.low is None:
                    raise SyncStateNotFound()
                state = replace(
                    seen,
                    select=select if select_text is not None else seen.select,
                    ids=ids if filter_text is not None else seen.ids,
                    high=watermark,
                    issued_at=now,
                )
        size, applied = page_size(request.headers)
        selection = tracked.selection(state.select)
        if state.low is None:
            query = PageQuery(
                top=size,
                filter=Comparison("id", "in", state.ids) if state.ids is not None else None,
                after=(state.after, state.after) if state.after else None,
            )
            rows = tracked.read(request, selection, query)
            if tracked.tracks_members(state.select):
                _all_members(request, rows.values)
            return _page(request, tracked, state, rows.values, rows.next_after, applied)
        return _changes(request, tracked, state, selection, size, applied)

    return handle


def _selected(tracked: Tracked, text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    tracked.selection(names)  # a 400 now for a property the type does not declare
    return names or None


def _changes(
    request: GraphRequest,
    tracked: Tracked,
    state: State,
    selection: Selection,
    size: int,
    applied: dict[str, str],
) -> Result:
    assert state.low is not None
    assert state.high is not None
    page = request.platform.directory.changed_objects(
        tenant_id=request.tenant,
        kind=tracked.kind,
        low=state.low,
        high=state.high,
        after=state.after,
        limit=size,
        ids=state.ids,
    )
    names = selection or tracked.default
    members = tracked.tracks_members(state.select)
    # None: every property counts (no $select); `members` when membership is tracked
    tracked_names = frozenset([*names, *(["members"] if members else [])]) if state.select else None
    wanted = [
        c
        for c in page.changes
        if c.outcome != "updated" or tracked_names is None or c.properties & tracked_names
    ]
    present = [c.object_id for c in wanted if c.outcome != "removed"]
    current: dict[str, dict[str, Any]] = {}
    if present:
        query = PageQuery(top=len(present), filter=Comparison("id", "in", tuple(present)))
        current = {row["id"]: row for row in tracked.read(request, selection, query).values}
    minimal = _minimal(request.headers)
    values: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    for change in wanted:
        row = current.get(change.object_id)
        if row is None:  # removed in the window, or deleted since the round began
            values.append({"id": change.object_id, "@removed": {"reason": "deleted"}})
            continue
        if minimal and change.outcome == "updated":
            row = {k: v for k, v in row.items() if k == "id" or k in change.properties}
        values.append(row)
        if members and change.outcome == "added":
            added.append(row)
    if members:
        _all_members(request, added)
        edges = request.platform.directory.member_changes(
            tenant_id=request.tenant,
            group_ids=[c.object_id for c in wanted if "members" in c.properties],
            low=state.low,
            high=state.high,
        )
        for row in values:
            if row.get("id") in edges:
                row["members@delta"] = [
                    _member(member_id, kind, present)
                    for member_id, kind, present in edges[row["id"]]
                ]
    return _page(request, tracked, state, values, page.next_after, applied)


def _member(member_id: str, kind: str, present: bool = True) -> dict[str, Any]:
    """A `members@delta` entry: the member's type and id, `@removed` when it left."""
    entry: dict[str, Any] = {"@odata.type": f"#microsoft.graph.{kind}", "id": member_id}
    if not present:
        entry["@removed"] = {"reason": "deleted"}
    return entry


def _all_members(request: GraphRequest, values: list[dict[str, Any]]) -> None:
    """Every current member of each group, as a first round (or a new group) lists them."""
    members = request.platform.directory.members_of_groups(group_ids=[v["id"] for v in values])
    for value in values:
        value["members@delta"] = [_member(m, kind) for m, kind in members.get(value["id"], [])]


def _page(
    request: GraphRequest,
    tracked: Tracked,
    state: State,
    values: list[dict[str, Any]],
    next_after: str | None,
    headers: dict[str, str],
) -> Result:
    fragment = tracked.fragment
    if state.select:
        fragment = f"{fragment}({','.join(state.select)})"
    body: dict[str, Any] = {"@odata.context": request.context(fragment)}
    path = f"/{tracked.fragment}/delta"
    if next_after is not None:
        token = replace(state, after=next_after).encode()
        body["@odata.nextLink"] = request.link(path, {"$skiptoken": token})
    else:
        low = state.high if state.high is not None else state.low
        token = replace(state, low=low, high=None, after=None).encode()
        body["@odata.deltaLink"] = request.link(path, {"$deltatoken": token})
    body["value"] = values
    return Result(body=body, headers=headers)
