"""The admin center's URLs, built in one place for handlers and templates alike.

Object ids are GUIDs and key ids are GUIDs too, so path segments never need escaping; `next`
targets after sign-in are checked to stay inside the portal.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

PREFIX = "/portal"


def home() -> str:
    return f"{PREFIX}/tenants"


def signin(next_path: str | None = None) -> str:
    if next_path and safe_next(next_path):
        return f"{PREFIX}/signin?{urlencode({'next': next_path})}"
    return f"{PREFIX}/signin"


def safe_next(value: str) -> bool:
    """Only portal paths: no scheme, no other host, no `//` or backslash tricks."""
    return (
        value.startswith(PREFIX + "/")
        and "//" not in value
        and "\\" not in value
        and all(c.isprintable() and not c.isspace() for c in value)
    )


def signout() -> str:
    return f"{PREFIX}/signout"


def tenants() -> str:
    return f"{PREFIX}/tenants"


def tenant(tenant_id: str, section: str = "") -> str:
    base = f"{PREFIX}/tenants/{quote(tenant_id, safe='')}"
    return f"{base}/{section}" if section else base


def applications(tenant_id: str, search: str = "") -> str:
    base = tenant(tenant_id, "applications")
    return f"{base}?{urlencode({'search': search})}" if search else base


def application(tenant_id: str, object_id: str, section: str = "") -> str:
    base = f"{tenant(tenant_id, 'applications')}/{quote(object_id, safe='')}"
    return f"{base}/{section}" if section else base


def decoder() -> str:
    return f"{PREFIX}/decoder"


def static(name: str) -> str:
    return f"{PREFIX}/static/{name}"
