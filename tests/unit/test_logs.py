"""Server logs (tenantlab/logs.py): formats, the access log middleware, one handler per setup."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from typing import Any

import httpx
import pytest

from tenantlab.logs import AccessLog, configure


async def _app(scope: Any, receive: Any, send: Any) -> None:
    status = 404 if scope["path"] == "/missing" else 200
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"client-request-id", b"6f1c1a52-2a9b-4c39-9a43-8f6e2c1d0b7e")],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})


def _get(app: Any, url: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://cloud") as client:
            return await client.get(url)

    return asyncio.run(go())


def test_json_access_line_has_the_request_but_never_the_query_string() -> None:
    out = io.StringIO()
    configure("info", "json", out)
    _get(AccessLog(_app), "/contoso/oauth2/v2.0/token?client_secret=s3cr3t&x=1")
    _get(AccessLog(_app), "/missing")

    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["logger"] == "tenantlab.access"
    assert first["level"] == "info"
    assert first["method"] == "GET"
    assert first["path"] == "/contoso/oauth2/v2.0/token"
    assert first["status"] == 200
    assert first["correlation"] == "6f1c1a52-2a9b-4c39-9a43-8f6e2c1d0b7e"
    assert first["message"] == "GET /contoso/oauth2/v2.0/token 200"
    assert isinstance(first["duration_ms"], float)
    assert first["time"].endswith("Z")
    assert second["status"] == 404
    assert "s3cr3t" not in out.getvalue()


def test_text_lines_say_the_message_then_the_other_fields() -> None:
    out = io.StringIO()
    configure("info", "text", out)
    _get(AccessLog(_app), "/path")

    [line] = out.getvalue().splitlines()
    stamp, level, logger, rest = line.split(" ", 3)
    assert stamp.endswith("Z")
    assert (level, logger) == ("INFO", "tenantlab.access")
    assert rest.startswith("GET /path 200 duration_ms=")
    assert "correlation=6f1c1a52-2a9b-4c39-9a43-8f6e2c1d0b7e" in rest
    assert "method=" not in rest  # already in the message


def test_text_values_cannot_forge_a_line() -> None:
    out = io.StringIO()
    configure("info", "text", out)
    logging.getLogger("tenantlab.x").info(
        "hello\nFAKE", extra={"fields": {"tenant": "a b\nINFO forged"}}
    )
    assert out.getvalue().count("\n") == 1
    assert 'tenant="a b?INFO forged"' in out.getvalue()


def test_warning_level_hides_the_access_log() -> None:
    out = io.StringIO()
    configure("warning", "text", out)
    _get(AccessLog(_app), "/path")
    logging.getLogger("tenantlab.sts").warning("a problem")
    assert out.getvalue().splitlines()[0].split(" ", 3)[3] == "a problem"
    assert len(out.getvalue().splitlines()) == 1


def test_configure_again_replaces_its_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure("info", "text", first)
    configure("info", "json", second)
    logging.getLogger("tenantlab.x").info("once")
    assert first.getvalue() == ""
    assert len(second.getvalue().splitlines()) == 1


def test_unknown_level_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure("verbose", "text")
    with pytest.raises(ValueError, match="log format"):
        configure("info", "xml")


@pytest.mark.parametrize("command", ["serve", "up", "quickstart", "todo-api"])
def test_every_serving_command_takes_the_same_log_options(command: str) -> None:
    from tenantlab.cli import cli

    params = {p.name: p for p in cli.commands[command].params}
    assert params["log_level"].default == "info"
    assert params["log_format"].default == "text"
