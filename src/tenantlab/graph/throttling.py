"""Graph throttling on request: a per app + tenant budget in resource units, per 10 seconds.

Off unless switched on for the tenant (`tenantlab tenant graph-throttling {tenant} on`, or
`Directory.set_graph_throttling`), so tests of a client's retry logic can ask for 429s and get
them, with the headers Graph sends. Costs and limits are the identity-and-access numbers Microsoft
publishes: GET users and GET applications cost 2 units, everything else 1; `$select` saves one,
`$expand` adds one and `$top` under 20 saves one (never below 1); the budget is 3,500 / 5,000 /
8,000 units per 10 s for tenants under 50 / 50-500 / over 500 users. `limit_override` replaces
the budget (tests).

The window is fixed (it starts with the first request after the previous one ended), which is
how the published "per 10 seconds" reads and keeps `Retry-After` exact. Windows are counted in
the platform's `Counters`: in Redis when the cloud runs on several nodes, so N units per window
are N in total across the nodes, not N per node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tenantlab.clock import Clock
from tenantlab.storage.counters import Counters, InProcessCounters

WINDOW_SECONDS = 10.0


def request_cost(
    method: str, collection: str, *, selected: bool, top: int | None, expanded: bool = False
) -> int:
    cost = 2 if method == "GET" and collection in ("users", "applications") else 1
    if selected:
        cost -= 1
    if expanded:
        cost += 1
    if top is not None and top < 20:
        cost -= 1
    return max(cost, 1)


def tenant_budget(user_count: int) -> int:
    if user_count < 50:
        return 3500
    if user_count <= 500:
        return 5000
    return 8000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    cost: int
    limit: int
    used: int
    retry_after: int

    def headers(self, tenant_id: str, app_id: str) -> dict[str, str]:
        """Graph's headers: the cost always, the usage from 80 %, the scope on a 429."""
        headers = {"x-ms-resource-unit": str(self.cost)}
        share = self.used / self.limit if self.limit else 1.0
        if share >= 0.8:
            headers["x-ms-throttle-limit-percentage"] = f"{min(share, 1.0):.1f}"
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
            headers["x-ms-throttle-scope"] = f"Tenant_Application/ReadWrite/{tenant_id}/{app_id}"
            headers["x-ms-throttle-information"] = "ResourceUnitLimitExceeded"
        return headers


class Throttle:
    def __init__(
        self, clock: Clock, limit_override: int | None = None, counters: Counters | None = None
    ) -> None:
        self.clock = clock
        self.limit_override = limit_override
        self.counters: Counters = counters if counters is not None else InProcessCounters()

    def charge(self, tenant_id: str, app_id: str, cost: int, budget: int) -> Decision:
        limit = self.limit_override or budget
        use = self.counters.charge(
            f"graph-throttle:{tenant_id}:{app_id}",
            cost,
            limit=limit,
            window=WINDOW_SECONDS,
            now=self.clock.now(),
        )
        if not use.allowed:
            return Decision(False, cost, limit, use.used, max(1, math.ceil(use.retry_after)))
        return Decision(True, cost, limit, use.used, 0)
