"""Microsoft's host names mapped to loopback: the names, and hosts-file text that maps them.

Two uses of one mapping: `tenantlab run` bind-mounts a whole hosts file over `/etc/hosts` in its
private mount namespace (`namespace_hosts`); `tenantlab hosts install|remove` adds or takes out a
marked block in a real hosts file (`with_block`, `without_block`), changing no other line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tenantlab.errors import TenantlabError

LOOPBACK = "127.0.0.1"
# The names Microsoft's clients call for Entra ID and Graph (the v1 issuer's host included: some
# validators fetch metadata from it).
MICROSOFT_HOSTS = (
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
    "graph.microsoft.com",
)
CIAM_SUFFIX = ".ciamlogin.com"
INITIAL_DOMAIN_SUFFIX = ".onmicrosoft.com"
BLOCK_BEGIN = "# >>> tenantlab: Microsoft's host names served by tenantlab (tenantlab hosts remove)"
BLOCK_END = "# <<< tenantlab"


class HostsBlockError(TenantlabError):
    """The hosts file has (or lacks) tenantlab's block when the command needs the opposite."""


def ciam_host(domain: str) -> str | None:
    """`{subdomain}.ciamlogin.com` for a tenant's initial domain (`{subdomain}.onmicrosoft.com`)."""
    domain = domain.lower()
    if not domain.endswith(INITIAL_DOMAIN_SUFFIX):
        return None
    subdomain = domain.removesuffix(INITIAL_DOMAIN_SUFFIX)
    if not subdomain or "." in subdomain:
        return None
    return subdomain + CIAM_SUFFIX


def microsoft_names(tenant_domains: Iterable[str]) -> list[str]:
    """Entra's and Graph's host names, then each tenant's External ID (CIAM) host, once each."""
    ciam = sorted({h for h in (ciam_host(d) for d in tenant_domains) if h is not None})
    return [*MICROSOFT_HOSTS, *ciam]


def block_lines(names: Iterable[str]) -> list[str]:
    return [BLOCK_BEGIN, *(f"{LOOPBACK} {name}" for name in names), BLOCK_END]


@dataclass(frozen=True)
class BlockSpan:
    start: int  # index of the BEGIN line
    end: int  # index of the END line


def find_block(lines: list[str]) -> BlockSpan | None:
    """Where tenantlab's block is; a BEGIN without an END is an error (never guess its end)."""
    for start, line in enumerate(lines):
        if line.strip() == BLOCK_BEGIN:
            for end in range(start + 1, len(lines)):
                if lines[end].strip() == BLOCK_END:
                    return BlockSpan(start, end)
            raise HostsBlockError(
                f"line {start + 1} starts tenantlab's block but no '{BLOCK_END}' line ends it: "
                "fix the file by hand (nothing was changed)"
            )
    return None


def with_block(text: str, names: Iterable[str], where: str) -> str:
    """`text` plus tenantlab's block at its end; an error when the block is already there."""
    lines = text.splitlines()
    span = find_block(lines)
    if span is not None:
        raise HostsBlockError(
            f"{where} already has tenantlab's block (lines {span.start + 1}-{span.end + 1}): "
            "nothing changed; `tenantlab hosts remove` takes it out"
        )
    body = text if not text or text.endswith("\n") else text + "\n"
    return body + "\n".join(block_lines(names)) + "\n"


def without_block(text: str, where: str) -> str:
    """`text` without tenantlab's block; an error when there is none."""
    lines = text.splitlines(keepends=True)
    span = find_block([line.rstrip("\r\n") for line in lines])
    if span is None:
        raise HostsBlockError(
            f"{where} has no tenantlab block: nothing to remove "
            "(`tenantlab hosts install` adds one)"
        )
    return "".join(lines[: span.start] + lines[span.end + 1 :])


def namespace_hosts(system_text: str, names: Iterable[str]) -> str:
    """The hosts file for `tenantlab run`: the system's lines, minus any that name one of
    `names` (a stale mapping would win), then the names on loopback."""
    wanted = list(names)
    taken = {n.lower() for n in wanted}
    kept = []
    for line in system_text.splitlines():
        fields = line.split("#", 1)[0].split()
        if any(f.lower() in taken for f in fields[1:]):
            continue
        kept.append(line)
    return "\n".join([*kept, *(f"{LOOPBACK} {name}" for name in wanted)]) + "\n"
