"""Every AADSTS error of the token endpoint: code, `error`, HTTP status, and Entra's envelope."""

from __future__ import annotations

import base64
import logging
import re
from typing import Any

import pytest
from sts_support import READ_ROLE, StsSetup, captured

from tenantlab.ids import EMPTY_GUID, new_guid
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import ServicePrincipal
from tenantlab.sts.clientauth import JWT_BEARER_ASSERTION
from tenantlab.sts.grants import ClientCredentialsGrant
from tenantlab.sts.http import MAX_BODY_BYTES
from tenantlab.sts.token import TokenService

DESCRIPTION = re.compile(
    r"^AADSTS(\d+): .+ Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} "
    r"Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$"
)


def assert_error(response: Any, status: int, error: str, code: int) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert body["error"] == error
    assert body["error_codes"] == [code]
    match = DESCRIPTION.match(body["error_description"])
    assert match is not None, body["error_description"]
    assert match.group(1) == str(code)
    assert body["trace_id"] in body["error_description"]
    assert body["correlation_id"] in body["error_description"]
    assert body["timestamp"] in body["error_description"]
    assert "no-store" in response.headers["cache-control"]
    return body


@pytest.mark.parametrize(
    "capture",
    [
        "token-error-invalid-client.json",
        "token-error-invalid-scope.json",
        "token-error-unknown-client.json",
        "token-error-unsupported-grant-type.json",
    ],
)
def test_error_envelopes_match_entra_captures(sts: StsSetup, capture: str) -> None:
    expected = captured(capture)["response"]
    form = {
        "token-error-invalid-client.json": sts.form(client_secret="wrong"),
        "token-error-invalid-scope.json": sts.form(
            scope="api://not-a-registered-resource/.default"
        ),
        "token-error-unknown-client.json": sts.form(client_id=EMPTY_GUID),
        "token-error-unsupported-grant-type.json": sts.form(grant_type="no_such_grant"),
    }[capture]

    response = sts.token(data=form)

    body = assert_error(
        response,
        expected["status"],
        expected["body"]["error"],
        expected["body"]["error_codes"][0],
    )
    assert list(body) == list(expected["body"])
    if "error_uri" in body:
        assert body["error_uri"] == expected["body"]["error_uri"]


def test_wrong_secret(sts: StsSetup) -> None:
    body = assert_error(sts.token(data=sts.form(client_secret="x")), 401, "invalid_client", 7000215)
    assert sts.daemon_app_id in body["error_description"]


def test_expired_secret(sts: StsSetup) -> None:
    now = sts.clock.now()
    expired = sts.platform.directory.add_password(
        tenant=sts.tenant.id, app=sts.daemon_app_id, start=now - 200_000, end=now - 100_000
    )
    response = sts.token(data=sts.form(client_secret=expired.secret_text))
    assert_error(response, 401, "invalid_client", 7000222)


def test_secret_expires_with_the_clock(sts: StsSetup) -> None:
    assert sts.token(data=sts.form()).status_code == 200
    sts.clock.advance(86400 * 731)
    assert_error(sts.token(data=sts.form()), 401, "invalid_client", 7000222)


def test_missing_credentials(sts: StsSetup) -> None:
    form = sts.form()
    del form["client_secret"]
    assert_error(sts.token(data=form), 401, "invalid_client", 7000218)


def test_unknown_client(sts: StsSetup) -> None:
    stranger = new_guid()
    body = assert_error(
        sts.token(data=sts.form(client_id=stranger)), 400, "unauthorized_client", 700016
    )
    assert stranger in body["error_description"]


def test_client_of_another_tenant_is_unknown_here(sts: StsSetup) -> None:
    directory = sts.platform.directory
    other = directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    response = sts.token(other.id, data=sts.form())
    assert_error(response, 400, "unauthorized_client", 700016)


def test_empty_guid_client(sts: StsSetup) -> None:
    assert_error(sts.token(data=sts.form(client_id=EMPTY_GUID)), 400, "unauthorized_client", 700038)


@pytest.mark.parametrize(
    "tenant", ["nobody.onmicrosoft.com", "6f1c2d3e-1111-4222-8333-944455556666"]
)
def test_unknown_tenant(sts: StsSetup, tenant: str) -> None:
    assert_error(sts.token(tenant, data=sts.form()), 400, "invalid_tenant", 90002)


def test_empty_guid_tenant(sts: StsSetup) -> None:
    assert_error(sts.token(EMPTY_GUID, data=sts.form()), 400, "invalid_tenant", 90002)


def test_tenant_that_is_no_guid_and_no_domain(sts: StsSetup) -> None:
    assert_error(sts.token("not_a_domain", data=sts.form()), 400, "invalid_request", 900023)


@pytest.mark.parametrize("segment", ["common", "organizations", "consumers", "Common"])
def test_common_endpoints_refuse_the_grant(sts: StsSetup, segment: str) -> None:
    assert_error(sts.token(segment, data=sts.form()), 400, "invalid_request", 9001023)


@pytest.mark.parametrize(
    ("scope", "code"),
    [
        ("api://todo/ToDoList.Read.All", 1002012),
        ("User.Read", 1002012),
        ("api://todo/.default User.Read", 1002012),
        ("/.default", 70011),
        ("openid profile", 70011),
        ("api://todo/.default https://graph.microsoft.com/.default", 70011),
    ],
)
def test_scope_rules(sts: StsSetup, scope: str, code: int) -> None:
    assert_error(sts.token(data=sts.form(scope=scope)), 400, "invalid_scope", code)


def test_unknown_resource(sts: StsSetup) -> None:
    response = sts.token(data=sts.form(scope="api://nothing/.default"))
    body = assert_error(response, 400, "invalid_resource", 500011)
    assert "api://nothing" in body["error_description"]


def test_assignment_required(sts: StsSetup) -> None:
    directory = sts.platform.directory
    directory.set_assignment_required(tenant=sts.tenant.id, key=sts.api_uri, required=True)
    assert_error(sts.token(data=sts.form()), 400, "invalid_grant", 501051)

    directory.grant_app_role(
        tenant=sts.tenant.id, client=sts.daemon_app_id, resource=sts.api_uri, role=READ_ROLE
    )
    assert sts.token(data=sts.form()).status_code == 200


def test_unsupported_grant_type(sts: StsSetup) -> None:
    response = sts.token(data=sts.form(grant_type="magic_grant"))
    body = assert_error(response, 400, "unsupported_grant_type", 70003)
    assert "'magic_grant'" in body["error_description"]
    assert "error_uri" not in body


@pytest.mark.parametrize("missing", ["grant_type", "scope", "client_id"])
def test_missing_parameter(sts: StsSetup, missing: str) -> None:
    form = sts.form()
    del form[missing]
    body = assert_error(sts.token(data=form), 400, "invalid_request", 900144)
    assert f"'{missing}'" in body["error_description"]


def test_resource_parameter_at_the_v2_endpoint(sts: StsSetup) -> None:
    response = sts.token(data=sts.form(resource="api://todo"))
    assert_error(response, 400, "invalid_request", 901002)


def test_get_on_the_token_endpoint(sts: StsSetup) -> None:
    response = sts.client.get(f"/{sts.tenant.id}/oauth2/v2.0/token")
    assert_error(response, 400, "invalid_request", 900561)


def test_json_body_is_not_a_form(sts: StsSetup) -> None:
    response = sts.token(json=sts.form())
    assert_error(response, 400, "invalid_request", 900144)


def test_duplicated_parameter(sts: StsSetup) -> None:
    body = "grant_type=client_credentials&scope=a%2F.default&scope=b%2F.default&client_id=x"
    response = sts.token(
        content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_error(response, 400, "invalid_request", 9002313)


def test_non_utf8_body(sts: StsSetup) -> None:
    response = sts.token(
        content=b"grant_type=client_credentials&client_secret=%FF%FE",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, 400, "invalid_request", 9002313)


def test_oversized_body(sts: StsSetup) -> None:
    response = sts.token(data=sts.form(claims="x" * (MAX_BODY_BYTES + 1)))
    assert_error(response, 400, "invalid_request", 9002313)


def test_oversized_parameter(sts: StsSetup) -> None:
    response = sts.token(data=sts.form(scope="a" * 70_000 + "/.default"))
    assert_error(response, 400, "invalid_request", 9002313)


def test_too_many_parameters(sts: StsSetup) -> None:
    extra = {f"p{i}": "1" for i in range(80)}
    assert_error(sts.token(data=sts.form(**extra)), 400, "invalid_request", 9002313)


def test_basic_and_body_secret_together(sts: StsSetup) -> None:
    basic = base64.b64encode(f"{sts.daemon_app_id}:{sts.secret}".encode()).decode()
    response = sts.token(data=sts.form(), headers={"Authorization": f"Basic {basic}"})
    assert_error(response, 400, "invalid_request", 9002313)


def test_malformed_basic_header(sts: StsSetup) -> None:
    response = sts.token(data=sts.form(), headers={"Authorization": "Basic %%%"})
    assert_error(response, 400, "invalid_request", 9002313)


def test_assertion_type_without_a_verifier_is_refused(sts: StsSetup) -> None:
    # A token service with the client-credentials grant and no client-assertion method.
    app = sts.app
    tokens = TokenService(
        cache=app.cache,
        keys=sts.platform.keys,
        endpoints=app.endpoints,
        clock=sts.clock,
        directory=sts.platform.directory,
    )
    grant = ClientCredentialsGrant(issuer=tokens.issuer, clients=tokens.clients)
    tokens.register_grant("client_credentials", grant)
    app.tokens = tokens
    form = sts.form(client_assertion="a.b.c", client_assertion_type=JWT_BEARER_ASSERTION)
    del form["client_secret"]
    assert_error(sts.token(data=form), 401, "invalid_client", 700027)


def test_unknown_assertion_type(sts: StsSetup) -> None:
    form = sts.form(client_assertion="a.b.c", client_assertion_type="urn:example:saml")
    del form["client_secret"]
    assert_error(sts.token(data=form), 400, "invalid_request", 9002313)


def test_secret_and_assertion_together(sts: StsSetup) -> None:
    form = sts.form(client_assertion="a.b.c", client_assertion_type=JWT_BEARER_ASSERTION)
    assert_error(sts.token(data=form), 400, "invalid_request", 9002313)


def test_correlation_id_precedence_header_query_body(sts: StsSetup) -> None:
    header_id, query_id, body_id = new_guid(), new_guid(), new_guid()
    url = f"/{sts.tenant.id}/oauth2/v2.0/token"
    form = sts.form(client_secret="bad", **{"client-request-id": body_id})

    by_header = sts.client.post(
        f"{url}?client-request-id={query_id}", data=form, headers={"client-request-id": header_id}
    )
    by_query = sts.client.post(f"{url}?client-request-id={query_id}", data=form)
    by_body = sts.client.post(url, data=form)
    invented = sts.client.post(
        url, data=sts.form(client_secret="bad", **{"client-request-id": "x"})
    )

    assert by_header.json()["correlation_id"] == header_id
    assert by_header.headers["client-request-id"] == header_id
    assert by_query.json()["correlation_id"] == query_id
    assert by_body.json()["correlation_id"] == body_id
    assert invented.json()["correlation_id"] not in ("x", header_id, query_id, body_id)


def test_no_secret_or_token_in_any_log_line(
    sts: StsSetup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = sts.token(data=sts.form()).json()["access_token"]
    sts.token(data=sts.form(client_secret=sts.secret + "x"))
    sts.token(data=sts.form(scope="api://nothing/.default"))
    sts.token(data=sts.form(grant_type="x" + sts.secret))

    text = caplog.text
    assert "AADSTS7000215" in text  # failures are logged ...
    assert sts.secret not in text  # ... without the secret,
    assert token not in text  # ... or any token
    assert token.split(".")[1] not in text


def test_client_id_that_is_no_guid_is_unknown(sts: StsSetup) -> None:
    response = sts.token(data=sts.form(client_id="my-daemon"))
    assert_error(response, 400, "unauthorized_client", 700016)


def test_disabled_service_principal(sts: StsSetup) -> None:
    with sts.platform.database.session() as session:
        principal = session.get(ServicePrincipal, sts.daemon_sp_id)
        assert principal is not None
        principal.account_enabled = False
        bump_revision(session)

    assert_error(sts.token(data=sts.form()), 400, "unauthorized_client", 7000112)
