"""The token endpoint's strict form parser and bounded body reader."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tenantlab.sts.errors import StsError
from tenantlab.sts.http import MAX_PARAMETERS, parse_form, parse_query_leniently, read_body


def test_form_decoding_handles_plus_percent_and_empty_pieces() -> None:
    form = parse_form(b"scope=api%3A%2F%2Ftodo%2F.default&&name=a+b&empty=&flag")

    assert form == {"scope": "api://todo/.default", "name": "a b", "empty": "", "flag": ""}


def test_utf8_values_survive() -> None:
    assert parse_form("s=é€".encode()) == {"s": "é€"}
    assert parse_form(b"s=%C3%A9") == {"s": "é"}


@pytest.mark.parametrize(
    "body",
    [
        b"a=1&a=2",
        b"a=%FF",
        b"%C3=1",
        b"x=" + b"y" * 70_000,
        b"&".join(b"p%d=1" % i for i in range(MAX_PARAMETERS + 1)),
    ],
)
def test_bad_forms_are_malformed_requests(body: bytes) -> None:
    with pytest.raises(StsError) as caught:
        parse_form(body)

    assert caught.value.code == 9002313
    assert caught.value.status == 400
    assert caught.value.error == "invalid_request"


def test_query_parsing_never_raises() -> None:
    assert parse_query_leniently(b"a=1&a=2") == {}
    assert parse_query_leniently(b"client-request-id=abc") == {"client-request-id": "abc"}


def test_read_body_stops_at_the_limit() -> None:
    chunks = [b"x" * 600, b"x" * 600]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    with pytest.raises(StsError) as caught:
        asyncio.run(read_body(receive, limit=1000))

    assert caught.value.code == 9002313


def test_read_body_joins_chunks() -> None:
    chunks = [b"grant_type=", b"client_credentials"]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    assert asyncio.run(read_body(receive)) == b"grant_type=client_credentials"
