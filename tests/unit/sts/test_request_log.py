"""The token service's request log: one line per token request, named fields, never a secret."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sts_support import StsSetup

from tenantlab.logs import configure
from tenantlab.sts.clientauth import JWT_BEARER_ASSERTION

CORRELATION = "0b4bd4c3-51a4-4d4e-9a3f-1d6a1b8f2c77"


def _lines(out: io.StringIO, logger: str = "tenantlab.sts.requests") -> list[dict[str, Any]]:
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    return [r for r in records if r["logger"] == logger]


def test_each_token_request_logs_tenant_client_grant_result_and_code(sts: StsSetup) -> None:
    out = io.StringIO()
    configure("info", "json", out)
    issued = sts.token(data=sts.form())
    refused = sts.token(
        data=sts.form(client_secret="wrong"), headers={"client-request-id": CORRELATION}
    )

    ok, bad = _lines(out)
    assert issued.status_code == 200
    assert ok["tenant"] == sts.tenant.id
    assert ok["client_id"] == sts.daemon_app_id
    assert ok["grant"] == "client_credentials"
    assert ok["result"] == "issued"
    assert ok["aadsts"] is None
    assert ok["correlation"] == issued.headers["client-request-id"]
    assert bad["result"] == "refused"
    assert bad["aadsts"] == "AADSTS7000215"
    assert bad["error"] == "invalid_client"
    # The correlation id of the log line is the one in the AADSTS error body.
    assert bad["correlation"] == refused.json()["correlation_id"] == CORRELATION


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_secret_assertion_or_token_in_the_formatted_logs(sts: StsSetup, fmt: str) -> None:
    out = io.StringIO()
    configure("debug", fmt, out)
    token = sts.token(data=sts.form()).json()["access_token"]
    assertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw"
    sts.token(data=sts.form(client_secret=sts.secret + "x"))
    sts.token(data=sts.form(grant_type="x" + sts.secret))
    sts.token(
        data={
            "grant_type": "client_credentials",
            "client_id": sts.daemon_app_id,
            "client_assertion_type": JWT_BEARER_ASSERTION,
            "client_assertion": assertion,
            "scope": f"{sts.api_uri}/.default",
        }
    )
    sts.token(data=sts.form(), params={"client_secret": sts.secret})

    text = out.getvalue()
    assert text.count("token request") == 5
    assert "AADSTS7000215" in text
    for leaked in (sts.secret, token, token.split(".")[1], assertion, assertion.split(".")[2]):
        assert leaked not in text
