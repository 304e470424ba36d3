"""Validated-token cache: SHA-256 of the token -> its Principal, until the token expires.

An API sees the same bearer token many times (MSAL reuses it for its whole lifetime), and a full
check costs a JSON parse and an RSA verify per request. Keyed by a digest, the cache holds no
token; it is bounded (least recently used entries go first) so a flood of distinct valid tokens
cannot grow memory without limit.
"""

from __future__ import annotations

from collections import OrderedDict

from tenantlab.apiauth.principal import Principal


class ValidatedTokenCache:
    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: bytes, now: float) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[0] <= now:
            del self._entries[digest]
            return None
        self._entries.move_to_end(digest)
        return entry[1]

    def put(self, digest: bytes, principal: Principal, valid_until: float) -> None:
        if self.max_entries <= 0:
            return
        self._entries[digest] = (valid_until, principal)
        self._entries.move_to_end(digest)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def discard(self, digest: bytes) -> None:
        self._entries.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()
