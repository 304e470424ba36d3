"""Microsoft's host names and the hosts-file text that maps them (no file system, no sockets)."""

from __future__ import annotations

import pytest

from tenantlab.dropin.hosts import (
    BLOCK_BEGIN,
    BLOCK_END,
    HostsBlockError,
    ciam_host,
    microsoft_names,
    namespace_hosts,
    with_block,
    without_block,
)

SYSTEM = "127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n10.0.0.5 build-host  # ours\n"


def test_names_cover_entra_graph_and_each_tenants_ciam_host() -> None:
    names = microsoft_names(
        [
            "woodgrove.onmicrosoft.com",
            "contoso.onmicrosoft.com",
            "contoso.com",
            "Woodgrove.ONMICROSOFT.com",
        ]
    )
    assert names == [
        "login.microsoftonline.com",
        "login.microsoft.com",
        "login.windows.net",
        "sts.windows.net",
        "graph.microsoft.com",
        "contoso.ciamlogin.com",
        "woodgrove.ciamlogin.com",
    ]


@pytest.mark.parametrize("domain", ["contoso.com", "a.b.onmicrosoft.com", ".onmicrosoft.com"])
def test_only_initial_domains_have_a_ciam_host(domain: str) -> None:
    assert ciam_host(domain) is None


def test_install_appends_a_marked_block_and_remove_restores_the_file_exactly() -> None:
    installed = with_block(SYSTEM, ["login.microsoftonline.com", "graph.microsoft.com"], "hosts")
    assert installed.startswith(SYSTEM)
    assert installed[len(SYSTEM) :].splitlines() == [
        BLOCK_BEGIN,
        "127.0.0.1 login.microsoftonline.com",
        "127.0.0.1 graph.microsoft.com",
        BLOCK_END,
    ]
    assert without_block(installed, "hosts") == SYSTEM


def test_a_file_without_final_newline_keeps_its_last_line() -> None:
    installed = with_block("127.0.0.1 localhost", ["graph.microsoft.com"], "hosts")
    assert installed.splitlines()[:2] == ["127.0.0.1 localhost", BLOCK_BEGIN]


def test_install_twice_is_refused_and_names_the_remedy() -> None:
    installed = with_block(SYSTEM, ["graph.microsoft.com"], "/etc/hosts")
    with pytest.raises(HostsBlockError) as caught:
        with_block(installed, ["graph.microsoft.com"], "/etc/hosts")
    assert caught.value.message == (
        "/etc/hosts already has tenantlab's block (lines 4-6): nothing changed; "
        "`tenantlab hosts remove` takes it out"
    )


def test_remove_without_a_block_is_refused() -> None:
    with pytest.raises(HostsBlockError) as caught:
        without_block(SYSTEM, "/etc/hosts")
    assert "has no tenantlab block: nothing to remove" in caught.value.message


def test_a_block_without_its_end_is_never_guessed() -> None:
    broken = SYSTEM + BLOCK_BEGIN + "\n127.0.0.1 graph.microsoft.com\n"
    with pytest.raises(HostsBlockError) as caught:
        without_block(broken, "/etc/hosts")
    assert "line 4 starts tenantlab's block" in caught.value.message


def test_namespace_hosts_keep_the_systems_lines_but_not_stale_mappings() -> None:
    system = SYSTEM + "203.0.113.9 login.microsoftonline.com  # a proxy\n"
    text = namespace_hosts(system, ["login.microsoftonline.com", "graph.microsoft.com"])
    assert text.splitlines() == [
        "127.0.0.1\tlocalhost",
        "::1 localhost ip6-localhost",
        "10.0.0.5 build-host  # ours",
        "127.0.0.1 login.microsoftonline.com",
        "127.0.0.1 graph.microsoft.com",
    ]
