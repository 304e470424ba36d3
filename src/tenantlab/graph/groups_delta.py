"""`/groups/delta`: Graph's delta query over groups, with `members@delta` (see `graph/delta.py`).

Its own module, so the route sits ahead of `/groups/{id}` in the table without the groups module
knowing about change tracking. `$select=displayName,members` tracks the selected properties and
the membership; without `$select` everything is tracked, membership included.
"""

from __future__ import annotations

from tenantlab.directory.queries import PageQuery
from tenantlab.graph.delta import Rows, Tracked, delta
from tenantlab.graph.groups import GROUPS_READ
from tenantlab.graph.routing import GraphRequest, Route, route
from tenantlab.graph.shapes._shape import Selection
from tenantlab.graph.shapes.groups import GROUP


def _group_rows(request: GraphRequest, selection: Selection, query: PageQuery) -> Rows:
    page = request.platform.directory.page_groups(tenant=request.tenant, query=query)
    values = [GROUP.render(group, selection) for group in page.items]
    return Rows(values, page.next_after[1] if page.next_after else None)


GROUPS_DELTA = Tracked("groups", "groups", GROUP.choose, GROUP.default, _group_rows, members=True)

ROUTES: list[Route] = [
    route(
        "GET",
        r"/groups/(?:microsoft\.graph\.)?delta(?:\(\))?",
        delta(GROUPS_DELTA),
        GROUPS_READ,
        "groups",
    ),
]
