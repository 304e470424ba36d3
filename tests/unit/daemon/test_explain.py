"""The error table: each failure the issue lists becomes one line with its fix."""

from __future__ import annotations

import pytest

from tenantlab.daemon.errors import ApiCallError, TokenAcquisitionError, TransportProblem
from tenantlab.daemon.explain import explain

from .fakes import settings


def token_error(code: int, error: str = "invalid_client") -> TokenAcquisitionError:
    return TokenAcquisitionError(
        error=error, description=f"AADSTS{code}: something", error_codes=[code]
    )


def api_error(service: str, operation: str, status: int, **more: object) -> ApiCallError:
    return ApiCallError(
        service=service,
        operation=operation,
        method="GET",
        url="https://h/x",
        status=status,
        **more,  # type: ignore[arg-type]
    )


def test_wrong_secret() -> None:
    assert explain(token_error(7000215), settings()) == (
        "wrong secret: use the secret's Value, not its ID (AADSTS7000215)"
    )


def test_unknown_client_id_names_the_tenant() -> None:
    line = explain(token_error(700016, "unauthorized_client"), settings())
    assert line.startswith("no app with this client id in tenant contoso: check client id ")
    assert line.endswith("(AADSTS700016)")


@pytest.mark.parametrize(
    ("code", "start"),
    [
        (90002, "tenant contoso not found"),
        (7000222, "the client secret has expired"),
        (500011, "the resource of the requested scope is not in this tenant"),
        (70011, "invalid scope"),
        (700027, "the certificate assertion was rejected"),
        (70021, "no federated credential matches"),
    ],
)
def test_other_aadsts_codes(code: int, start: str) -> None:
    assert explain(token_error(code), settings()).startswith(start)


def test_unknown_token_error_keeps_the_first_line_only() -> None:
    error = TokenAcquisitionError(error="weird", description="line one\r\nTrace ID: t")
    assert explain(error, settings()) == "token request failed: weird: line one"


def test_graph_403_asks_for_the_permission_of_the_operation() -> None:
    users = api_error("Microsoft Graph", "getUsers", 403, code="Authorization_RequestDenied")
    assert explain(users, settings()) == (
        "Graph denied getUsers: grant User.Read.All (application) and admin consent"
    )
    app = api_error("Microsoft Graph", "getApp", 403, code="Authorization_RequestDenied")
    assert "grant Application.Read.All (application)" in explain(app, settings())


def test_api_403_names_the_missing_role_and_the_roles_held() -> None:
    write = api_error("ToDo API", "todo add", 403, token_roles=["ToDoList.Read.All"])
    assert explain(write, settings()) == (
        "the ToDo API refused todo add: the app needs the application permission "
        "ToDoList.ReadWrite.All with admin consent (the token's roles: ToDoList.Read.All)"
    )
    read = api_error("ToDo API", "getToDos", 403, token_roles=[])
    assert "ToDoList.Read.All or ToDoList.ReadWrite.All" in explain(read, settings())
    assert "(the token's roles: none)" in explain(read, settings())


def test_api_401_after_refresh_points_at_the_scope() -> None:
    error = api_error("ToDo API", "getToDos", 401, code="invalid_token")
    assert "check the API scope api://todo-api/.default" in explain(error, settings())


def test_throttling_that_outlasted_the_retries() -> None:
    error = api_error("Microsoft Graph", "getUsers", 429, retry_after=120.0)
    assert explain(error, settings()) == (
        "Microsoft Graph kept answering 429 to GET https://h/x (Retry-After: 120s): try again later"
    )


def test_transport_problems_carry_the_ca_bundle_hint() -> None:
    tls = TransportProblem(kind="tls", url="https://localhost:5443", cause="verify failed")
    assert "point --ca-bundle (or TENANTLAB_DAEMON_CA_BUNDLE) at tenantlab's CA bundle" in explain(
        tls
    )
    refused = TransportProblem(kind="connect", url="https://localhost:5443", cause="refused")
    assert explain(refused).startswith("cannot connect to https://localhost:5443 (refused)")
    assert "--ca-bundle" in explain(refused)
