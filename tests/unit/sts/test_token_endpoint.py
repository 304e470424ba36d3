"""The v2 token endpoint in-process: shapes against Entra's captures, claims, client auth."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

from sts_support import READ_ROLE, StsSetup, captured, decode_jwt

from tenantlab.ids import MICROSOFT_GRAPH_APP_ID


def test_response_has_exactly_the_captured_fields_and_no_store(sts: StsSetup) -> None:
    response = sts.token(data=sts.form())

    assert response.status_code == 200
    body = response.json()
    expected = captured("token-client-credentials.json")["response"]["body"]
    assert list(body) == list(expected)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599
    assert body["ext_expires_in"] == 3599
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["pragma"] == "no-cache"


def test_v2_token_without_roles_has_exactly_the_captured_claims(sts: StsSetup) -> None:
    body = sts.token(data=sts.form()).json()

    header, claims = decode_jwt(body["access_token"])
    capture = captured("token-claims-client-credentials.json")
    assert sorted(claims) == sorted(capture["claimNames"])
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    assert "x5t" not in header  # v2 tokens carry only kid
    assert header["kid"] == sts.platform.keys.active(sts.tenant.id).kid
    assert claims["ver"] == capture["structural"]["ver"]
    assert claims["aud"] == sts.api_app_id
    assert claims["iss"] == f"https://localhost:5443/{sts.tenant.id}/v2.0"
    assert claims["tid"] == sts.tenant.id
    assert claims["oid"] == claims["sub"] == sts.daemon_sp_id
    assert claims["azp"] == sts.daemon_app_id
    assert claims["azpacr"] == "1"


def test_lifetime_is_back_dated_five_minutes(sts: StsSetup) -> None:
    now = int(sts.clock.now())

    claims = decode_jwt(sts.token(data=sts.form()).json()["access_token"])[1]

    assert claims["iat"] == claims["nbf"] == now - 300
    assert claims["exp"] == now + 3600
    assert claims["exp"] - claims["iat"] == 3900


def test_roles_are_the_consented_values(sts: StsSetup) -> None:
    sts.platform.directory.grant_app_role(
        tenant=sts.tenant.id, client=sts.daemon_app_id, resource=sts.api_uri, role=READ_ROLE
    )

    claims = decode_jwt(sts.token(data=sts.form()).json()["access_token"])[1]

    assert claims["roles"] == ["ToDoList.Read.All"]


def test_graph_always_gets_a_v1_app_token_with_idtyp(sts: StsSetup) -> None:
    response = sts.token(data=sts.form(scope="https://graph.microsoft.com/.default"))

    header, claims = decode_jwt(response.json()["access_token"])
    assert header["x5t"] == header["kid"]
    assert claims["ver"] == "1.0"
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["iss"] == claims["idp"] == f"https://localhost:5443/{sts.tenant.id}/"
    assert claims["appid"] == sts.daemon_app_id
    assert claims["appidacr"] == "1"
    assert claims["app_displayname"] == "Daemon"
    assert claims["idtyp"] == "app"
    assert "roles" not in claims
    assert "azp" not in claims


def test_the_cloud_origin_names_graph_as_graph_endpoint_samples_do(sts: StsSetup) -> None:
    """Microsoft's Node console daemon asks for GRAPH_ENDPOINT + ".default"."""
    response = sts.token(data=sts.form(scope="https://localhost:5443/.default"))

    claims = decode_jwt(response.json()["access_token"])[1]
    assert (claims["aud"], claims["ver"], claims["idtyp"]) == (
        "https://graph.microsoft.com",
        "1.0",
        "app",
    )
    other = sts.token(data=sts.form(scope="https://localhost:5444/.default"))
    assert other.json()["error_codes"] == [500011]


def test_graph_by_app_id_gives_the_guid_audience(sts: StsSetup) -> None:
    response = sts.token(data=sts.form(scope=f"{MICROSOFT_GRAPH_APP_ID}/.default"))

    assert decode_jwt(response.json()["access_token"])[1]["aud"] == MICROSOFT_GRAPH_APP_ID


def test_v1_resource_echoes_the_identifier_uri_as_audience(sts: StsSetup) -> None:
    directory = sts.platform.directory
    directory.update_application(
        tenant=sts.tenant.id,
        app=sts.api_app_id,
        changes={"api": {"requestedAccessTokenVersion": 1}},
    )

    claims = decode_jwt(
        sts.token(data=sts.form(scope="API://TODO/.default")).json()["access_token"]
    )[1]

    assert claims["ver"] == "1.0"
    assert claims["aud"] == "api://todo"  # as registered, whatever case the client used
    assert "idtyp" not in claims


def test_idtyp_and_use_guid_optional_claims(sts: StsSetup) -> None:
    sts.platform.directory.update_application(
        tenant=sts.tenant.id,
        app=sts.api_app_id,
        changes={
            "api": {"requestedAccessTokenVersion": None},
            "optionalClaims": {
                "accessToken": [
                    {"name": "idtyp"},
                    {"name": "aud", "additionalProperties": ["use_guid"]},
                ]
            },
        },
    )

    claims = decode_jwt(sts.token(data=sts.form()).json()["access_token"])[1]

    assert claims["idtyp"] == "app"
    assert claims["aud"] == sts.api_app_id


def test_tenant_is_found_by_every_alias_in_any_case(sts: StsSetup) -> None:
    sts.platform.directory.add_domain(tenant=sts.tenant.id, domain="contoso.example")
    for alias in (sts.tenant.id.upper(), sts.domain, sts.domain.upper(), "Contoso.Example"):
        response = sts.token(alias, data=sts.form())
        assert response.status_code == 200, alias
        assert decode_jwt(response.json()["access_token"])[1]["tid"] == sts.tenant.id


def test_client_secret_basic(sts: StsSetup) -> None:
    form = sts.form()
    del form["client_secret"], form["client_id"]
    pair = f"{quote_plus(sts.daemon_app_id)}:{quote_plus(sts.secret)}"
    basic = base64.b64encode(pair.encode()).decode()

    response = sts.token(data=form, headers={"Authorization": f"Basic {basic}"})

    assert response.status_code == 200
    assert decode_jwt(response.json()["access_token"])[1]["azp"] == sts.daemon_app_id


def test_client_secret_basic_with_a_wrong_secret(sts: StsSetup) -> None:
    basic = base64.b64encode(f"{sts.daemon_app_id}:wrong".encode()).decode()
    form = {"grant_type": "client_credentials", "scope": "api://todo/.default"}

    response = sts.token(data=form, headers={"Authorization": f"Basic {basic}"})

    assert response.status_code == 401
    assert response.json()["error_codes"] == [7000215]


def test_oidc_scopes_and_repeated_scopes_are_tolerated(sts: StsSetup) -> None:
    scope = f"openid {sts.api_uri}/.default profile {sts.api_uri.upper()}/.default"

    response = sts.token(data=sts.form(scope=scope))

    assert response.status_code == 200


def test_unknown_body_fields_are_ignored(sts: StsSetup) -> None:
    form = sts.form(**{"client_info": "1", "x-client-SKU": "msal.js.node", "claims": "{}"})

    assert sts.token(data=form).status_code == 200


def test_a_secret_added_after_the_snapshot_works_at_once(sts: StsSetup) -> None:
    assert sts.token(data=sts.form()).status_code == 200
    fresh = sts.platform.directory.add_password(tenant=sts.tenant.id, app=sts.daemon_app_id)

    response = sts.token(data=sts.form(client_secret=fresh.secret_text))

    assert response.status_code == 200


def test_a_removed_secret_stops_working(sts: StsSetup) -> None:
    directory = sts.platform.directory
    key_id = directory.password_credentials(
        directory.get_application(tenant=sts.tenant.id, app=sts.daemon_app_id).id
    )[0].key_id
    assert sts.token(data=sts.form()).status_code == 200

    directory.remove_password(tenant=sts.tenant.id, app=sts.daemon_app_id, key_id=key_id)

    assert sts.token(data=sts.form()).json()["error_codes"] == [7000215]


def test_revoked_consent_removes_the_role(sts: StsSetup) -> None:
    directory = sts.platform.directory
    grant = directory.grant_app_role(
        tenant=sts.tenant.id, client=sts.daemon_app_id, resource=sts.api_uri, role=READ_ROLE
    )
    assert "roles" in decode_jwt(sts.token(data=sts.form()).json()["access_token"])[1]

    directory.revoke_app_role_assignment(tenant=sts.tenant.id, assignment_id=grant.id)

    assert "roles" not in decode_jwt(sts.token(data=sts.form()).json()["access_token"])[1]


def test_v1_endpoint_takes_resource_and_answers_strings(sts: StsSetup) -> None:
    form = sts.form(resource=sts.api_uri)
    del form["scope"]

    response = sts.client.post(f"/{sts.tenant.id}/oauth2/token", data=form)

    body = response.json()
    assert response.status_code == 200
    assert list(body) == [
        "token_type",
        "expires_in",
        "ext_expires_in",
        "expires_on",
        "not_before",
        "resource",
        "access_token",
    ]
    assert body["expires_in"] == "3599"
    assert body["resource"] == sts.api_uri
    assert body["expires_on"] == str(int(sts.clock.now()) + 3600)
    assert decode_jwt(body["access_token"])[1]["ver"] == "2.0"  # the resource decides
