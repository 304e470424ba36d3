"""Resilience of API calls: retries on 429/503 honouring Retry-After, one fresh token on 401,
timeouts and TLS failures as TransportProblem; plus Graph paging and the ToDo contract."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

from tenantlab.clock import FixedClock
from tenantlab.daemon.client import DaemonClient
from tenantlab.daemon.errors import ApiCallError, DaemonError, TransportProblem
from tenantlab.daemon.transport import RetryPolicy, retry_after_seconds

from .fakes import GRAPH, FakeCloud, recorder, settings


def client(cloud: FakeCloud, sleep: Any = None, **changes: Any) -> DaemonClient:
    return DaemonClient(
        settings(**changes), transport=cloud.transport(), sleep=sleep or (lambda _: None)
    )


def test_429_with_retry_after_is_waited_out_then_succeeds() -> None:
    cloud = FakeCloud()
    cloud.scripted = [
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(503, headers={"Retry-After": "1"}),
    ]
    waits, sleep = recorder()
    with client(cloud, sleep) as daemon:
        assert daemon.todo.list_todos() == []
    assert waits == [3.0, 1.0]
    assert len(cloud.api_requests) == 3


def test_503_without_retry_after_backs_off_exponentially_and_gives_up() -> None:
    cloud = FakeCloud()
    cloud.scripted = [httpx.Response(503) for _ in range(4)]
    waits, sleep = recorder()
    with client(cloud, sleep, max_retries=3) as daemon, pytest.raises(ApiCallError) as caught:
        daemon.todo.list_todos()
    assert waits == [0.5, 1.0, 2.0]
    assert caught.value.status == 503
    assert len(cloud.api_requests) == 4


def test_retry_after_longer_than_max_wait_is_not_waited() -> None:
    cloud = FakeCloud()
    cloud.scripted = [httpx.Response(429, headers={"Retry-After": "3600"})]
    waits, sleep = recorder()
    with client(cloud, sleep) as daemon, pytest.raises(ApiCallError) as caught:
        daemon.todo.list_todos()
    assert waits == []
    assert caught.value.retry_after == 3600.0


def test_retry_after_http_date() -> None:
    clock = FixedClock(1_800_000_000.0)
    assert retry_after_seconds("Fri, 15 Jan 2027 08:00:10 GMT", clock) == 10.0
    assert retry_after_seconds("garbage", clock) is None
    assert RetryPolicy(max_retries=0).delay(httpx.Response(429), 0) is None


def test_401_gets_one_fresh_token_and_one_retry() -> None:
    cloud = FakeCloud()
    with client(cloud) as daemon:
        daemon.todo.list_todos()
        cloud.reject_tokens.add(cloud.issued[0])
        assert daemon.todo.list_todos() == []
    assert cloud.token_requests == 2
    statuses = [r.headers["Authorization"] for r in cloud.api_requests]
    assert statuses[1] != statuses[2]


def test_401_twice_is_an_error_after_exactly_one_refresh() -> None:
    cloud = FakeCloud()
    cloud.scripted = [httpx.Response(401), httpx.Response(401), httpx.Response(401)]
    with client(cloud) as daemon, pytest.raises(ApiCallError) as caught:
        daemon.todo.list_todos()
    assert caught.value.status == 401
    assert cloud.token_requests == 2
    assert len(cloud.api_requests) == 2


def failing(exc: Exception) -> FakeCloud:
    cloud = FakeCloud()
    original = cloud.handle

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("api."):
            raise exc
        return original(request)

    cloud.handle = handle  # type: ignore[method-assign]
    return cloud


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ConnectError("connection refused"), "connect"),
    ],
)
def test_transport_failures_become_transport_problems(exc: Exception, kind: str) -> None:
    with client(failing(exc)) as daemon, pytest.raises(TransportProblem) as caught:
        daemon.todo.list_todos()
    assert caught.value.kind == kind
    assert caught.value.url == "https://api.tenantlab.test"


def test_tls_failure_is_recognised_through_the_cause_chain() -> None:
    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    with client(failing(error)) as daemon, pytest.raises(TransportProblem) as caught:
        daemon.todo.list_todos()
    assert caught.value.kind == "tls"


def test_graph_users_follows_every_next_link() -> None:
    cloud = FakeCloud(users=[{"id": str(i), "displayName": f"u{i}"} for i in range(5)])
    with client(cloud) as daemon:
        result = daemon.graph.list_users(top=2)
    assert [u["id"] for u in result["value"]] == ["0", "1", "2", "3", "4"]
    assert "@odata.nextLink" not in result
    assert result["@odata.context"].endswith("$metadata#users")
    assert len(cloud.api_requests) == 3
    assert cloud.token_requests == 1


def test_graph_users_max_pages_keeps_the_next_link_and_select_is_sent() -> None:
    cloud = FakeCloud(users=[{"id": str(i)} for i in range(5)])
    with client(cloud) as daemon:
        result = daemon.graph.list_users(top=2, max_pages=2, select=["id", "mail"])
    assert len(result["value"]) == 4
    assert "$skiptoken=4" in result["@odata.nextLink"]
    assert cloud.api_requests[0].url.params["$select"] == "id,mail"


def test_next_link_to_another_host_is_refused() -> None:
    cloud = FakeCloud()
    cloud.scripted = [
        httpx.Response(200, json={"value": [], "@odata.nextLink": "https://evil.test/v1.0/users"})
    ]
    with client(cloud) as daemon, pytest.raises(DaemonError, match="refusing to send the token"):
        daemon.graph.list_users()


def test_get_app_by_object_id_or_by_app_id() -> None:
    cloud = FakeCloud()
    with client(cloud, app_object_id="obj-1") as daemon:
        daemon.graph.get_application(object_id="obj-1", app_id="x")
        daemon.graph.get_application(object_id=None, app_id="abc")
    paths = [r.url.raw_path.decode() for r in cloud.api_requests]
    assert paths == ["/v1.0/applications/obj-1", "/v1.0/applications(appId='abc')"]


def test_graph_error_envelope_is_parsed() -> None:
    cloud = FakeCloud()
    cloud.scripted = [
        httpx.Response(
            403,
            json={
                "error": {
                    "code": "Authorization_RequestDenied",
                    "message": "Insufficient privileges to complete the operation.",
                }
            },
        )
    ]
    with client(cloud) as daemon, pytest.raises(ApiCallError) as caught:
        daemon.graph.list_users()
    assert (caught.value.code, caught.value.operation) == (
        "Authorization_RequestDenied",
        "getUsers",
    )
    assert caught.value.url == f"{GRAPH}/v1.0/users"


def test_todo_crud_and_the_roles_seen_on_a_403() -> None:
    cloud = FakeCloud(roles=["ToDoList.Read.All"])
    with client(cloud) as daemon:
        todo = daemon.todo
        item = todo.add_todo("Bake bread", owner="o1")
        assert item == {"id": 1, "owner": "o1", "description": "Bake bread"}
        assert todo.edit_todo("1", "Eat bread")["description"] == "Eat bread"
        assert todo.get_todo("1")["description"] == "Eat bread"
        assert cloud.api_requests[1].content == b'{"id":1,"description":"Eat bread"}'
        todo.delete_todo("1")
        with pytest.raises(ApiCallError) as missing:
            todo.get_todo("1")
        assert missing.value.status == 404
        cloud.scripted = [
            httpx.Response(403, headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
        ]
        with pytest.raises(ApiCallError) as denied:
            todo.add_todo("x")
    assert denied.value.code == "insufficient_scope"
    assert denied.value.token_roles == ["ToDoList.Read.All"]
    assert denied.value.operation == "todo add"


def test_todo_needs_its_endpoint_and_scope() -> None:
    from tenantlab.daemon.errors import DaemonConfigError

    with (
        client(FakeCloud(), api_endpoint=None) as daemon,
        pytest.raises(DaemonConfigError, match="no ToDo API endpoint"),
    ):
        _ = daemon.todo
    with (
        client(FakeCloud(), api_scope=None) as daemon,
        pytest.raises(DaemonConfigError, match="no ToDo API scope"),
    ):
        _ = daemon.todo
