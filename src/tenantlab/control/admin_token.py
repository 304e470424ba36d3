"""The installation's admin token: what `/_tenantlab/*` control routes ask for.

Made once per data folder (`admin-token`, owner-only, like the secret pepper) by the first
server that starts there, and read by `tenantlab fault` and `tenantlab clock` from the same
folder: whoever can read the data folder controls the cloud, nobody else. Compared in constant
time; never logged.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from tenantlab.config import write_private_file
from tenantlab.errors import ConfigError

ADMIN_TOKEN_FILE = "admin-token"


def admin_token_path(home: Path) -> Path:
    return home / ADMIN_TOKEN_FILE


def ensure_admin_token(home: Path) -> str:
    """The data folder's admin token, made on first use."""
    path = admin_token_path(home)
    if not path.exists():
        # Written aside and linked into place: two servers starting at once agree on one token,
        # and no reader ever sees a half-written file.
        draft = path.with_name(f".{ADMIN_TOKEN_FILE}.{secrets.token_hex(4)}")
        write_private_file(draft, secrets.token_urlsafe(32).encode("ascii"))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return read_admin_token(home)


def read_admin_token(home: Path) -> str:
    path = admin_token_path(home)
    try:
        token = path.read_text("ascii").strip()
    except FileNotFoundError:
        raise ConfigError(
            f"no admin token in {home}: start the server once (`tenantlab serve`) to make it"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read {path} ({exc.__class__.__name__}): check its owner"
        ) from None
    if len(token) < 32:
        raise ConfigError(f"{path} is damaged: delete it and restart the server to make a new one")
    return token


def authorized(expected: str, authorization: bytes | None) -> bool:
    """`Authorization: Bearer <admin token>`, compared in constant time."""
    if not authorization or authorization[:7].lower() != b"bearer ":
        return False
    return hmac.compare_digest(authorization[7:].strip(), expected.encode("ascii"))
