"""Discovery documents, JWKS and instance discovery, checked against Entra's golden document."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from sts_support import ORIGIN, StsSetup, captured

from tenantlab.ids import x5t

GOLDEN = captured("oidc-discovery.golden.json")


def test_v2_document_has_every_field_entra_serves(sts: StsSetup) -> None:
    response = sts.client.get(f"/{sts.domain}/v2.0/.well-known/openid-configuration")

    doc = response.json()
    assert response.status_code == 200
    assert set(GOLDEN["required_fields"]) <= set(doc)
    assert not set(GOLDEN["entra_only_fields_out_of_scope"]) & set(doc)
    values = GOLDEN["protocol_values"]
    assert doc["subject_types_supported"] == values["subject_types_supported_equals"]
    assert set(values["id_token_signing_alg_values_must_include"]) <= set(
        doc["id_token_signing_alg_values_supported"]
    )
    assert set(doc["response_types_supported"]) <= set(values["response_types_supported_subset_of"])
    assert set(doc["response_modes_supported"]) <= set(values["response_modes_supported_subset_of"])
    assert set(values["scopes_supported_must_include"]) <= set(doc["scopes_supported"])
    assert set(values["claims_supported_must_include"]) <= set(doc["claims_supported"])
    methods = set(doc["token_endpoint_auth_methods_supported"])
    assert set(values["token_endpoint_auth_methods_must_include"]) <= methods
    assert methods <= set(values["token_endpoint_auth_methods_subset_of"])
    for flag, value in GOLDEN["entra_boolean_values"].items():
        if flag in doc:
            assert doc[flag] is value, flag


def test_v2_document_urls_name_the_tenant_guid(sts: StsSetup) -> None:
    tid = sts.tenant.id
    doc = sts.client.get(f"/{sts.domain.upper()}/v2.0/.well-known/openid-configuration").json()

    assert doc["issuer"] == f"{ORIGIN}/{tid}/v2.0"
    assert doc["token_endpoint"] == f"{ORIGIN}/{tid}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{ORIGIN}/{tid}/oauth2/v2.0/authorize"
    assert doc["jwks_uri"] == f"{ORIGIN}/{tid}/discovery/v2.0/keys"
    assert doc["msgraph_host"] == "localhost:5443"
    assert doc["cloud_instance_name"] == "microsoftonline.com"


def test_v1_document(sts: StsSetup) -> None:
    tid = sts.tenant.id
    doc = sts.client.get(f"/{tid}/.well-known/openid-configuration").json()

    assert doc["issuer"] == f"{ORIGIN}/{tid}/"
    assert doc["token_endpoint"] == f"{ORIGIN}/{tid}/oauth2/token"
    assert doc["jwks_uri"] == f"{ORIGIN}/common/discovery/keys"
    assert doc["microsoft_multi_refresh_token"] is True
    assert "check_session_iframe" in doc


@pytest.mark.parametrize("segment", ["common", "organizations"])
def test_multi_tenant_documents_carry_the_issuer_template(sts: StsSetup, segment: str) -> None:
    v2 = sts.client.get(f"/{segment}/v2.0/.well-known/openid-configuration").json()
    v1 = sts.client.get(f"/{segment}/.well-known/openid-configuration").json()

    assert v2["issuer"] == f"{ORIGIN}/{{tenantid}}/v2.0"
    assert v2["token_endpoint"] == f"{ORIGIN}/{segment}/oauth2/v2.0/token"
    assert v1["issuer"] == f"{ORIGIN}/{{tenantid}}/"


def test_unknown_tenant_discovery_is_an_entra_error(sts: StsSetup) -> None:
    response = sts.client.get("/nobody.example.com/v2.0/.well-known/openid-configuration")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_tenant"
    assert response.json()["error_codes"] == [90002]


def test_tenant_jwks_has_entra_key_members_and_no_alg(sts: StsSetup) -> None:
    keys = sts.client.get(f"/{sts.domain}/discovery/v2.0/keys").json()["keys"]
    v1_keys = sts.client.get(f"/{sts.tenant.id}/discovery/keys").json()["keys"]

    assert keys == v1_keys
    (key,) = keys
    assert list(key) == ["kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"]
    assert key["kty"] == "RSA"
    assert key["use"] == "sig"
    assert key["kid"] == key["x5t"]
    assert key["issuer"] == f"{ORIGIN}/{sts.tenant.id}/v2.0"
    der = base64.b64decode(key["x5c"][0])
    x509.load_der_x509_certificate(der)
    assert x5t(der) == key["kid"]


def test_common_keys_are_the_union_of_every_tenant(sts: StsSetup) -> None:
    other = sts.platform.directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    mine = sts.client.get(f"/{sts.tenant.id}/discovery/v2.0/keys").json()["keys"]
    theirs = sts.client.get(f"/{other.id}/discovery/v2.0/keys").json()["keys"]

    common = sts.client.get("/common/discovery/keys").json()["keys"]

    assert {k["kid"] for k in common} == {k["kid"] for k in mine + theirs}
    assert {k["issuer"] for k in common} == {f"{ORIGIN}/{{tenantid}}/v2.0"}


def test_rotated_key_stays_published_beside_the_new_one(sts: StsSetup) -> None:
    old = sts.platform.keys.active(sts.tenant.id).kid
    new = sts.platform.keys.rotate(sts.tenant.id).kid

    kids = [
        k["kid"] for k in sts.client.get(f"/{sts.tenant.id}/discovery/v2.0/keys").json()["keys"]
    ]

    assert kids == [new, old]


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_instance_discovery(sts: StsSetup, version: str) -> None:
    # MSAL Python drops the port from the authority it validates; any port of our host matches.
    response = sts.client.get(
        "/common/discovery/instance",
        params={
            "api-version": version,
            "authorization_endpoint": f"https://localhost/{sts.domain}/oauth2/v2.0/authorize",
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert body["tenant_discovery_endpoint"] == (
        f"{ORIGIN}/{sts.domain}/v2.0/.well-known/openid-configuration"
    )
    assert body["api-version"] == "1.1"
    assert body["metadata"] == [
        {
            "preferred_network": "localhost:5443",
            "preferred_cache": "localhost:5443",
            "aliases": ["localhost:5443"],
        }
    ]


def test_instance_discovery_refuses_foreign_hosts(sts: StsSetup) -> None:
    response = sts.client.get(
        "/common/discovery/instance",
        params={
            "api-version": "1.1",
            "authorization_endpoint": "https://evil.example/t/oauth2/v2.0/authorize",
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_instance"
    assert response.json()["error_codes"] == [50049]


def test_discovery_is_get_only_and_unknown_paths_are_404(sts: StsSetup) -> None:
    post = sts.client.post(f"/{sts.tenant.id}/v2.0/.well-known/openid-configuration")
    unknown = sts.client.get(f"/{sts.tenant.id}/nothing/here")

    assert post.status_code == 405
    assert unknown.status_code == 404
