"""The External ID .NET daemon tutorial's CRUD sequence, with that sample's console lines.

post "Bake bread", list, post "Butter bread", list, delete the first, list, edit the second to
"Eat bread", list, delete it, list. Owners are fresh random GUIDs, as in the sample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenantlab.daemon.todo import TodoClient
from tenantlab.ids import new_guid


def run_scenario(todo: TodoClient, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Run the sequence; `say` gets each console line; the steps come back for JSON output."""
    steps: list[dict[str, Any]] = []

    def post(line: str, description: str) -> dict[str, Any]:
        say(line)
        item = todo.add_todo(description, owner=new_guid())
        steps.append({"step": line, "request": "POST", "todo": item})
        return item

    def display() -> None:
        line = "Retrieving to-do's from server..."
        say(line)
        items = todo.list_todos()
        if not items:
            say("There are no to-do's in server")
        else:
            say("To-do data:")
            for item in items:
                say(f"ID: {item.get('id')}")
                say(f"User ID: {item.get('owner')}")
                say(f"Message: {item.get('description')}")
        steps.append({"step": line, "request": "GET", "todos": items})

    def delete(line: str, item: dict[str, Any]) -> None:
        say(line)
        todo.delete_todo(str(item["id"]))
        steps.append({"step": line, "request": "DELETE", "id": item["id"]})

    first = post("Posting a to-do...", "Bake bread")
    display()
    second = post("Posting a second to-do...", "Butter bread")
    display()
    delete("Deleting a to-do...", first)
    display()
    say("Editing a to-do...")
    edited = todo.edit_todo(str(second["id"]), "Eat bread")
    steps.append({"step": "Editing a to-do...", "request": "PUT", "todo": edited})
    display()
    delete("Deleting remaining to-do...", second)
    display()
    return steps
