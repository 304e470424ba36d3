"""Faults answered by the cloud app itself, in each service's envelope, for the right requests."""

from __future__ import annotations

import base64
import json
from typing import Any

from fault_support import Cloud

from tenantlab.ids import new_guid


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    value: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return value


def test_nothing_is_broken_until_asked(cloud: Cloud) -> None:
    assert cloud.token().status_code == 200


def test_a_429_on_the_token_endpoint_is_entras_error_json_with_retry_after(cloud: Cloud) -> None:
    cloud.platform.faults.add("token", status=429, retry_after=7, count=1)
    correlation = new_guid()
    answer = cloud.token(**{"client-request-id": correlation})
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "7"
    body = answer.json()
    assert body["error"] == "temporarily_unavailable"
    assert body["error_codes"] == [90055]
    assert body["error_description"].startswith("AADSTS90055: ")
    assert body["correlation_id"] == correlation == answer.headers["client-request-id"]
    assert body["trace_id"] == answer.headers["x-ms-request-id"]
    assert body["timestamp"] == "2027-01-15 08:00:00Z"  # the cloud's (fixed) clock
    assert cloud.token().status_code == 200  # count=1: used up


def test_a_503_is_the_transient_aadsts_error_and_other_statuses_borrow_the_nearest(
    cloud: Cloud,
) -> None:
    with cloud.platform.faults.add("token", status=503):
        body = cloud.token().json()
        assert (body["error"], body["error_codes"]) == ("temporarily_unavailable", [90024])
    with cloud.platform.faults.add("token", status=502):
        answer = cloud.token()
        assert answer.status_code == 502
        assert answer.json()["error_codes"] == [90033]
    with cloud.platform.faults.add("token", status=400):
        assert cloud.token().json()["error"] == "invalid_request"
    assert cloud.token().status_code == 200


def test_client_id_breaks_one_client_and_the_others_body_reaches_the_sts_intact(
    cloud: Cloud,
) -> None:
    other = cloud.platform.directory.create_application(tenant=cloud.tenant.id, display_name="o")
    other_secret = cloud.platform.directory.add_password(
        tenant=cloud.tenant.id, app=other.app_id
    ).secret_text
    cloud.platform.faults.add("token", status=503, client_id=cloud.daemon_app_id)
    assert cloud.token().status_code == 503
    # The form was read to find the client; the token service still gets all of it.
    spared = cloud.token(client_id=other.app_id, client_secret=other_secret)
    assert spared.status_code == 200, spared.text


def test_tenant_matches_the_path_by_id_or_domain_and_spares_other_tenants(cloud: Cloud) -> None:
    other = cloud.platform.directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    cloud.platform.faults.add("discovery", status=500, tenant="Contoso.onmicrosoft.com")
    for segment in (cloud.tenant.id, "contoso.onmicrosoft.com"):
        assert (
            cloud.client.request(
                "GET", f"/{segment}/v2.0/.well-known/openid-configuration"
            ).status_code
            == 500
        )
    fine = cloud.client.request("GET", f"/{other.id}/v2.0/.well-known/openid-configuration")
    assert fine.status_code == 200


def test_a_graph_fault_is_graphs_envelope_and_finds_the_tenant_in_the_token(
    cloud: Cloud,
) -> None:
    token = cloud.token().json()["access_token"]
    cloud.platform.faults.add("graph", status=503, retry_after=2, tenant=claims(token)["tid"])
    correlation = new_guid()
    answer = cloud.client.request(
        "GET",
        "/v1.0/users",
        headers={"Authorization": f"Bearer {token}", "client-request-id": correlation},
    )
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "2"
    error = answer.json()["error"]
    assert error["code"] == "serviceNotAvailable"
    assert error["innerError"]["client-request-id"] == correlation
    assert error["innerError"]["request-id"] == answer.headers["request-id"]
    assert error["innerError"]["date"] == "2027-01-15T08:00:00"
    # Without a token there is no tenant: the fault (for one tenant) does not fire.
    assert cloud.client.request("GET", "/v1.0/users").status_code == 401


def test_jwks_path_faults_and_a_body_of_ones_own(cloud: Cloud) -> None:
    jwks = f"/{cloud.tenant.id}/discovery/v2.0/keys"
    with cloud.platform.faults.add("jwks", status=429, body="Too Many Requests") as fault:
        answer = cloud.client.request("GET", jwks)
        assert (answer.status_code, answer.text) == (429, "Too Many Requests")
        assert answer.headers["content-type"].startswith("text/plain")
        assert fault.hits == 1
    assert cloud.client.request("GET", jwks).json()["keys"]
    with cloud.platform.faults.add(jwks, status=500, body={"error": "custom"}):
        assert cloud.client.request("GET", jwks).json() == {"error": "custom"}
    instance = "/common/discovery/instance?api-version=1.1&authorization_endpoint=x"
    with cloud.platform.faults.add("instance_discovery", status=500):
        assert cloud.client.request("GET", instance).status_code == 500


def test_a_delay_without_a_status_lets_the_real_answer_through(cloud: Cloud) -> None:
    fault = cloud.platform.faults.add("token", delay=0.01)
    assert cloud.token().status_code == 200
    assert fault.hits == 1


def test_tokens_follow_the_cloud_clock(cloud: Cloud) -> None:
    first = claims(cloud.token().json()["access_token"])
    cloud.platform.clock.advance(3600)
    second = claims(cloud.token().json()["access_token"])
    assert second["iat"] == first["iat"] + 3600
    assert second["nbf"] == first["nbf"] + 3600
    assert second["exp"] == first["exp"] + 3600


def test_a_secret_expires_when_the_clock_passes_its_end(cloud: Cloud) -> None:
    short = cloud.platform.directory.add_password(
        tenant=cloud.tenant.id, app=cloud.daemon_app_id, days=1
    ).secret_text
    assert cloud.token(client_secret=short).status_code == 200
    cloud.platform.clock.advance(2 * 86_400)
    answer = cloud.token(client_secret=short)
    assert answer.status_code == 401
    assert answer.json()["error_codes"] == [7000222]
    assert answer.json()["error_description"].startswith(
        f"AADSTS7000222: The provided client secret keys for app '{cloud.daemon_app_id}' are "
        "expired."
    )


def test_a_graph_429_names_the_throttled_caller_as_graph_does(cloud: Cloud) -> None:
    token = cloud.token().json()["access_token"]
    tid, appid = claims(token)["tid"], claims(token)["appid"]
    cloud.platform.faults.add("graph", status=429, retry_after=4, count=1)
    answer = cloud.client.request(
        "GET", "/v1.0/users", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 429
    assert answer.json()["error"]["code"] == "TooManyRequests"
    assert answer.headers["retry-after"] == "4"
    assert answer.headers["x-ms-throttle-scope"] == f"Tenant_Application/ReadWrite/{tid}/{appid}"
    assert answer.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert answer.headers.get_list("retry-after") == ["4"]
