"""Storage errors."""

from __future__ import annotations

from tenantlab.errors import TenantlabError


class StorageError(TenantlabError):
    """The database cannot be opened or migrated; the message names the URL (without password)."""
