"""The protected ToDo list API of Microsoft's daemon samples, built on `tenantlab.apiauth`."""

from tenantlab.todo.app import TodoApi, build_app, create_app, permissions, validator_for
from tenantlab.todo.settings import TodoApiSettings, load_settings
from tenantlab.todo.store import Todo, TodoStore, open_todo_database

__all__ = [
    "Todo",
    "TodoApi",
    "TodoApiSettings",
    "TodoStore",
    "build_app",
    "create_app",
    "load_settings",
    "open_todo_database",
    "permissions",
    "validator_for",
]
