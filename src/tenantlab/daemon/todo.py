"""The ToDo list API's contract as the External ID daemon tutorials call it (`/api/todolist`).

Items are `{id, owner, description}`; an app-only caller sees every owner's items and chooses
the owner on POST; PUT copies only the description; DELETE answers 200 with an empty body.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tenantlab.daemon.api import ApiClient
from tenantlab.daemon.errors import DaemonError

READ_ROLES = ("ToDoList.Read.All", "ToDoList.ReadWrite.All")
WRITE_ROLES = ("ToDoList.ReadWrite.All",)


class TodoClient:
    def __init__(self, api: ApiClient, endpoint: str) -> None:
        self.api = api
        self.endpoint = endpoint.rstrip("/")

    def list_todos(self) -> list[dict[str, Any]]:
        body = self.api.json(self.api.request("GET", self.endpoint), "todo list")
        if not isinstance(body, list):
            raise DaemonError("the ToDo API's list answer is not a JSON array")
        return body

    def get_todo(self, item_id: str) -> dict[str, Any]:
        return self._item(self.api.json(self.api.request("GET", self._url(item_id)), "todo show"))

    def add_todo(self, description: str, owner: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"description": description}
        if owner is not None:
            body["owner"] = owner
        response = self.api.request("POST", self.endpoint, json_body=body)
        return self._item(self.api.json(response, "todo add"))

    def edit_todo(self, item_id: str, description: str) -> dict[str, Any]:
        response = self.api.request(
            "PUT",
            self._url(item_id),
            json_body={"id": _id_value(item_id), "description": description},
        )
        return self._item(self.api.json(response, "todo edit"))

    def delete_todo(self, item_id: str) -> None:
        self.api.json(self.api.request("DELETE", self._url(item_id)), "todo delete")

    def _url(self, item_id: str) -> str:
        text = str(item_id).strip()
        if not text:
            raise DaemonError("a to-do id is needed")
        return f"{self.endpoint}/{quote(text, safe='')}"

    @staticmethod
    def _item(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise DaemonError("the ToDo API answered with something that is not a to-do")
        return body


def _id_value(item_id: str) -> Any:
    """Send ids back the way the API gave them: integers stay integers."""
    text = str(item_id).strip()
    return int(text) if text.isdigit() else text


def required_roles(operation: str) -> tuple[str, ...]:
    return READ_ROLES if operation in ("todo list", "todo show", "getToDos") else WRITE_ROLES
