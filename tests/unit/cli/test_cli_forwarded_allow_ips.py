"""--forwarded-allow-ips: the same option and the same default (no proxy trusted) everywhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from tenantlab.errors import ConfigError
from tenantlab.ids import new_guid
from tenantlab.listening import forwarded_headers

Run = Callable[..., Result]


def test_no_proxy_is_trusted_unless_configured() -> None:
    # uvicorn alone would trust 127.0.0.1 (or $FORWARDED_ALLOW_IPS): both are overridden.
    assert forwarded_headers(None) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    assert forwarded_headers(" , ") == {"proxy_headers": False, "forwarded_allow_ips": ""}
    assert forwarded_headers("10.0.0.5, 10.1.0.0/16,::1") == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.5,10.1.0.0/16,::1",
    }
    assert forwarded_headers("*")["proxy_headers"] is True
    with pytest.raises(ConfigError, match=r"'proxy\.local' is not an IP address or network"):
        forwarded_headers("10.0.0.5,proxy.local")


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["up"],
        ["quickstart", "--once"],
        [
            "todo-api",
            "--instance", "https://localhost:5443", "--tenant-id", new_guid(),
            "--client-id", new_guid(),
        ],
    ],
)  # fmt: skip
def test_every_serving_command_refuses_a_bad_value_in_one_line(
    run: Run, command: list[str]
) -> None:
    result = run(*command, "--forwarded-allow-ips", "proxy.local", code=2)
    assert "Traceback" not in result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: --forwarded-allow-ips: 'proxy.local' is not an IP address")
