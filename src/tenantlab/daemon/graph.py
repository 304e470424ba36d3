"""The daemon's Microsoft Graph calls: list users (every page), a `/users/delta` round, and read
its own registration."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from tenantlab.daemon.api import ApiClient
from tenantlab.daemon.errors import DaemonError


class GraphClient:
    def __init__(self, api: ApiClient, base_url: str) -> None:
        self.api = api
        self.base_url = base_url.rstrip("/")

    def list_users(
        self,
        *,
        top: int | None = None,
        select: list[str] | None = None,
        max_pages: int | None = None,
    ) -> dict[str, Any]:
        """`GET /v1.0/users`, following `@odata.nextLink` to the end (or `max_pages`).

        The pages are joined into one collection shaped like a single Graph page; a nextLink
        left unfollowed because of `max_pages` is kept so the caller can see there is more.
        """
        query: dict[str, str] = {}
        if top is not None:
            query["$top"] = str(top)
        if select:
            query["$select"] = ",".join(select)
        params: dict[str, str] | None = query
        url = f"{self.base_url}/v1.0/users"
        users: list[Any] = []
        context: str | None = None
        pages = 0
        while True:
            body = self.api.json(self.api.request("GET", url, params=params or None), "getUsers")
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise DaemonError("Graph's /v1.0/users answer has no 'value' list")
            context = context or body.get("@odata.context")
            users.extend(body["value"])
            pages += 1
            next_link = body.get("@odata.nextLink")
            if not next_link:
                break
            if max_pages is not None and pages >= max_pages:
                return _collection(context, users, next_link)
            url = self._same_origin(str(next_link))
            params = None  # the nextLink already carries the query
        return _collection(context, users, None)

    def user_delta(
        self, delta_link: str | None, *, select: list[str] | None = None
    ) -> tuple[list[Any], str]:
        """One delta round: from `delta_link` (None: a first round) through every
        `@odata.nextLink` to the next `@odata.deltaLink`; (the objects, that deltaLink).

        A link that is no longer good is Graph's 410 (`ApiCallError` with `status == 410`): the
        caller starts a first round again.
        """
        if delta_link is None:
            url = f"{self.base_url}/v1.0/users/delta"
            params: dict[str, str] | None = {"$select": ",".join(select)} if select else None
        else:
            url, params = self._same_origin(delta_link), None
        items: list[Any] = []
        while True:
            body = self.api.json(self.api.request("GET", url, params=params), "syncUsers")
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise DaemonError("Graph's /v1.0/users/delta answer has no 'value' list")
            items.extend(body["value"])
            if body.get("@odata.deltaLink"):
                return items, self._same_origin(str(body["@odata.deltaLink"]))
            if not body.get("@odata.nextLink"):
                raise DaemonError("Graph's /v1.0/users/delta answer has neither link")
            url, params = self._same_origin(str(body["@odata.nextLink"])), None

    def get_application(self, *, object_id: str | None, app_id: str) -> Any:
        """The daemon's own application object: by object id, or `applications(appId='...')`."""
        if object_id:
            url = f"{self.base_url}/v1.0/applications/{quote(object_id, safe='')}"
        else:
            url = f"{self.base_url}/v1.0/applications(appId='{quote(app_id, safe='')}')"
        return self.api.json(self.api.request("GET", url), "getApp")

    def _same_origin(self, link: str) -> str:
        """Never send the bearer token to a host other than Graph's, whatever a page says."""
        mine, theirs = urlsplit(self.base_url), urlsplit(link)
        if (mine.scheme, mine.netloc.lower()) != (theirs.scheme, theirs.netloc.lower()):
            raise DaemonError(
                f"Graph's link points to {theirs.scheme}://{theirs.netloc}, not to "
                f"{mine.scheme}://{mine.netloc}: refusing to send the token there"
            )
        return link


def _collection(context: str | None, users: list[Any], next_link: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if context:
        result["@odata.context"] = context
    result["value"] = users
    if next_link:
        result["@odata.nextLink"] = next_link
    return result
