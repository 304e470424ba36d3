"""Graph's own settings (`TENANTLAB_GRAPH_*`), read when the app is created, never at import."""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from tenantlab.errors import ConfigError


class GraphSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TENANTLAB_GRAPH_", extra="ignore")

    # Resource units per app and 10 s for tenants with throttling on; None: Microsoft's numbers
    # by tenant size (3,500 / 5,000 / 8,000). A small value lets a client's retry test see a 429
    # after a handful of calls.
    throttle_limit: int | None = Field(default=None, ge=1)


def load_graph_settings() -> GraphSettings:
    """The settings from the environment; a bad value is a ConfigError naming the variable."""
    try:
        return GraphSettings()
    except ValidationError as exc:
        name = "_".join(str(p) for p in exc.errors()[0]["loc"]).upper()
        raise ConfigError(
            f"TENANTLAB_GRAPH_{name} is not valid: {exc.errors()[0]['msg']}"
        ) from None
