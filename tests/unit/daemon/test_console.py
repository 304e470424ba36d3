"""`tenantlab daemon` end to end in process: JSON only on stdout, tables, logs on stderr, exit
codes, the scenario's console lines, and one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tenantlab.daemon.client import DaemonClient
from tenantlab.daemon.console import main
from tenantlab.daemon.settings import DaemonSettings

from .fakes import API, API_SCOPE, AUTHORITY_HOST, CLIENT_ID, GRAPH, SECRET, TENANT, FakeCloud

ENV = {
    "TENANTLAB_DAEMON_AUTHORITY": f"https://{AUTHORITY_HOST}/{TENANT}",
    "TENANTLAB_DAEMON_CLIENT_ID": CLIENT_ID,
    "TENANTLAB_DAEMON_CLIENT_SECRET": SECRET,
    "TENANTLAB_DAEMON_GRAPH_ENDPOINT": GRAPH,
    "TENANTLAB_DAEMON_API_ENDPOINT": API,
    "TENANTLAB_DAEMON_API_SCOPE": API_SCOPE,
}


def run(cloud: FakeCloud, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    def factory(settings: DaemonSettings) -> DaemonClient:
        return DaemonClient(settings, transport=cloud.transport(), sleep=lambda _: None)

    code = main(list(argv), stdout=out, stderr=err, environ=env or ENV, client_factory=factory)
    return code, out.getvalue(), err.getvalue()


def test_get_users_prints_only_indented_json() -> None:
    cloud = FakeCloud(users=[{"id": "1", "displayName": "Ada"}, {"id": "2"}, {"id": "3"}])
    code, out, err = run(cloud, "--op", "getUsers")
    assert code == 0
    assert json.loads(out)["value"][0] == {"id": "1", "displayName": "Ada"}
    assert out.startswith('{\n  "@odata.context"')
    assert err == ""


def test_verbose_logs_token_source_to_stderr_never_the_token() -> None:
    cloud = FakeCloud()
    code, out, err = run(cloud, "--op", "getToDos", "--verbose")
    assert code == 0
    assert json.loads(out) == []
    assert "token_source=identity_provider" in err
    assert cloud.issued[0] not in err
    assert SECRET not in err


def test_table_output_for_users_and_todos() -> None:
    cloud = FakeCloud(
        users=[{"id": "u1", "displayName": "Ada Lovelace", "userPrincipalName": "ada@x"}]
    )
    code, out, _ = run(cloud, "--op", "getUsers", "--output", "table")
    assert code == 0
    assert "Ada Lovelace" in out
    assert "userPrincipalName" in out
    cloud.todos[7] = {"id": 7, "owner": "o", "description": "Water plants"}
    code, out, _ = run(cloud, "todo", "list", env={**ENV, "TENANTLAB_DAEMON_OUTPUT": "table"})
    assert code == 0
    assert "Water plants" in out
    assert "description" in out


def test_todo_actions() -> None:
    cloud = FakeCloud()
    code, out, _ = run(cloud, "todo", "add", "Bake bread", "--owner", "o-1")
    assert (code, json.loads(out)) == (0, {"id": 1, "owner": "o-1", "description": "Bake bread"})
    code, out, _ = run(cloud, "--op", "todo", "edit", "1", "Eat bread")
    assert json.loads(out)["description"] == "Eat bread"
    code, out, _ = run(cloud, "todo", "show", "1")
    assert json.loads(out)["description"] == "Eat bread"
    code, out, _ = run(cloud, "todo", "delete", "1")
    assert (code, json.loads(out)) == (0, {"deleted": "1"})
    code, out, err = run(cloud, "todo", "show", "1")
    assert (code, out) == (1, "")
    assert (
        err == "error: not found: GET https://api.tenantlab.test/api/todolist/1 (no such to-do)\n"
    )


SCENARIO_LINES = """Posting a to-do...
Retrieving to-do's from server...
To-do data:
ID: 1
User ID: {o1}
Message: Bake bread
Posting a second to-do...
Retrieving to-do's from server...
To-do data:
ID: 1
User ID: {o1}
Message: Bake bread
ID: 2
User ID: {o2}
Message: Butter bread
Deleting a to-do...
Retrieving to-do's from server...
To-do data:
ID: 2
User ID: {o2}
Message: Butter bread
Editing a to-do...
Retrieving to-do's from server...
To-do data:
ID: 2
User ID: {o2}
Message: Eat bread
Deleting remaining to-do...
Retrieving to-do's from server...
There are no to-do's in server
"""


def test_scenario_prints_the_dotnet_samples_console_lines() -> None:
    cloud = FakeCloud()
    code, out, _ = run(cloud, "--op", "scenario", "--output", "table")
    assert code == 0
    posts = [json.loads(r.content) for r in cloud.api_requests if r.method == "POST"]
    assert out == SCENARIO_LINES.format(o1=posts[0]["owner"], o2=posts[1]["owner"])
    assert [r.method for r in cloud.api_requests] == [
        "POST",
        "GET",
        "POST",
        "GET",
        "DELETE",
        "GET",
        "PUT",
        "GET",
        "DELETE",
        "GET",
    ]
    assert cloud.token_requests == 1


def test_scenario_json_is_the_list_of_steps() -> None:
    code, out, _ = run(FakeCloud(), "--op", "scenario")
    steps = json.loads(out)
    assert code == 0
    assert [s["request"] for s in steps][:3] == ["POST", "GET", "POST"]
    assert steps[-1] == {"step": "Retrieving to-do's from server...", "request": "GET", "todos": []}


def test_config_error_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    env = {**ENV, "TENANTLAB_DAEMON_CLIENT_ID": "Enter_the_Application_Id_Here"}
    code, out, err = run(FakeCloud(), "--op", "getUsers", env=env)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("error: TENANTLAB_DAEMON_CLIENT_ID still holds the sample placeholder")


def test_token_error_is_one_line_and_exit_code_1() -> None:
    body = {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: x",
        "error_codes": [7000215],
    }
    code, out, err = run(FakeCloud(token_error={"status": 401, "body": body}), "--op", "getUsers")
    assert (code, out) == (1, "")
    assert err == "error: wrong secret: use the secret's Value, not its ID (AADSTS7000215)\n"


def test_bad_command_lines_exit_2() -> None:
    for argv in (["getUsers"], [], ["todo"], ["todo", "edit", "1"], ["--op", "getUsers", "x"]):
        err = io.StringIO()
        with pytest.raises(SystemExit) as caught:
            main(argv, stdout=io.StringIO(), stderr=err, environ=ENV)
        assert caught.value.code == 2
        assert err.getvalue().count("Error: ") == 1  # one reason, not a usage dump
        assert len(err.getvalue().splitlines()) <= 4
    err = io.StringIO()
    with pytest.raises(SystemExit):
        main([], stdout=io.StringIO(), stderr=err, environ=ENV)
    assert "missing --op: one of getUsers" in err.getvalue()


def test_json_and_the_output_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = FakeCloud(users=[{"id": "1", "displayName": "Ada"}])
    code, out, _ = run(cloud, "--op", "getUsers", "--json")
    assert code == 0
    assert json.loads(out)["value"][0]["displayName"] == "Ada"
    code, out, _ = run(cloud, "--op", "getUsers", "--output", "table")
    assert code == 0
    assert "Ada" in out
    assert not out.lstrip().startswith("{")
    env = {**ENV, "TENANTLAB_DAEMON_OUTPUT": "table"}
    code, out, _ = run(cloud, "--op", "getUsers", "--json", env=env)  # --json wins
    assert json.loads(out)["value"][0]["id"] == "1"


def test_a_local_authority_with_microsofts_graph_is_refused_before_any_request() -> None:
    cloud = FakeCloud()
    env = {**ENV, "TENANTLAB_DAEMON_GRAPH_ENDPOINT": "https://graph.microsoft.com"}
    code, out, err = run(cloud, "--op", "getUsers", env=env)
    assert (code, out) == (2, "")
    assert "must not go to Microsoft" in err
    assert cloud.issued == []


def test_graph_options_are_validated() -> None:
    code, _, err = run(FakeCloud(), "--op", "getUsers", "--top", "0")
    assert (code, err) == (1, "error: --top must be between 1 and 999 (Graph's page-size limit)\n")


def test_unexpected_exceptions_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("kaput\nsecond line")

    monkeypatch.setattr("tenantlab.daemon.graph.GraphClient.list_users", boom)
    code, _, err = run(FakeCloud(), "--op", "getUsers")
    assert (code, err) == (1, "error: unexpected RuntimeError: kaput\n")
