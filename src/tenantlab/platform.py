"""The emulated cloud's parts, opened once and handed to every front end (STS, Graph, portal)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from tenantlab import bootstrap
from tenantlab.clock import SYSTEM_CLOCK, Clock, ControlledClock
from tenantlab.config import PlatformSettings, ensure_private_dir
from tenantlab.directory import Directory, SecretDigests, holds_peppered_digests
from tenantlab.directory.sign_ins import SignInLog
from tenantlab.errors import ConfigError
from tenantlab.faults.registry import FaultRegistry, InvalidFault
from tenantlab.keys import KeyStore
from tenantlab.keys.encryption_key import load_key_encryption_key
from tenantlab.keys.installation_secrets import InstallationSecrets
from tenantlab.keys.secret_pepper import shared_secret_pepper
from tenantlab.storage import Database, open_database
from tenantlab.storage.counters import Counters, InProcessCounters, open_counters
from tenantlab.storage.installation import claim_setting, read_setting

if TYPE_CHECKING:  # the key material needs cryptography, which most commands never load
    from tenantlab.keys import SigningKeyMaterial


PUBLIC_ORIGIN_SETTING = "public-origin"


def require_public_url(settings: PlatformSettings) -> None:
    """A node that serves a shared database names the one origin clients use (`serve`)."""
    if settings.shared_database and not settings.public_url:
        raise ConfigError(
            "a shared database needs the one public origin every node serves: set --public-url "
            "(or TENANTLAB_PUBLIC_URL) to the load balancer's https:// origin on each node"
        )


def agree_on_public_origin(settings: PlatformSettings, database: Database) -> PlatformSettings:
    """Every node of a shared database issues tokens under one origin, or another node's Graph
    refuses them: the first node that names one records it; a node naming another is refused,
    and a command that names none (the CLI) uses the recorded one."""
    if not settings.shared_database:
        return settings
    if settings.public_url is None:
        recorded = read_setting(database, PUBLIC_ORIGIN_SETTING)
        if recorded is None or recorded.value is None:
            return settings
        return replace(settings, public_url=recorded.value)
    stored = claim_setting(database, PUBLIC_ORIGIN_SETTING, value=settings.origin).value
    if stored is not None and stored.lower() != settings.origin.lower():
        raise ConfigError(
            f"this node's public origin {settings.origin} is not {stored}, the one the other "
            f"nodes of this database serve: set --public-url (or TENANTLAB_PUBLIC_URL) to {stored}"
            " (to move every node, `tenantlab db public-url NEW` first)"
        )
    return settings


@dataclass
class Platform:
    settings: PlatformSettings
    database: Database
    directory: Directory
    keys: KeyStore
    clock: ControlledClock
    sign_ins: SignInLog
    # Secrets every node shares, sealed in the database (the portal's session key).
    secrets: InstallationSecrets
    # Limits every node counts together (Redis when configured): throttling, sign-in limits.
    counters: Counters = field(default_factory=InProcessCounters)
    # What this cloud breaks on purpose (see `faults.injector`; `/_tenantlab/faults`).
    faults: FaultRegistry = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.faults = FaultRegistry(resolve_tenant=self._tenant_aliases)

    @classmethod
    def open(
        cls,
        settings: PlatformSettings,
        clock: Clock = SYSTEM_CLOCK,
        *,
        management_apps: bool = True,
        first_key_with_tenant: bool = True,
    ) -> Platform:
        """Open the data folder (owner-only) and its database, migrated to the newest schema.

        `management_apps=False` leaves new tenants without their management app: the test kit
        provisions it on demand (`bootstrap.provision_management_app`), as it costs four fifths
        of a tenant's creation. `first_key_with_tenant=False` leaves a new tenant's first
        signing key to its first use (`KeyStore.published` makes it; the one-active-key index
        settles two nodes that race): the test kit's tenants cost milliseconds, not an RSA key
        generation each, and tests that never sign pay nothing. The cloud's clock is a
        `ControlledClock` over `clock`: tests and `/_tenantlab/clock` move it, and everything
        the cloud dates follows.
        """
        if not isinstance(clock, ControlledClock):
            clock = ControlledClock(clock)
        ensure_private_dir(settings.home)
        database = open_database(
            settings.resolved_database_url, pool_size=settings.database_pool_size
        )
        try:
            settings = agree_on_public_origin(settings, database)
            kek = load_key_encryption_key(settings, database)
        except BaseException:
            database.dispose()
            raise
        shared = InstallationSecrets(database, kek)
        pepper = partial(
            shared_secret_pepper,
            shared,
            settings.secret_pepper_path,
            digests_exist=partial(holds_peppered_digests, database),
        )
        directory = Directory(database, clock, secret_digests=SecretDigests(pepper))
        keys = KeyStore(database, kek, clock)
        keys.adopt_key_files()  # data folders of older versions: their key files, once
        # Every tenant created through this platform gets its first signing key and its Graph
        # management app (bootstrap.py).
        if first_key_with_tenant:
            directory.tenant_created.append(lambda tenant: keys.create_first(tenant.id))
        if management_apps:
            bootstrap.install(directory, settings, shared)
        return cls(
            settings=settings,
            database=database,
            directory=directory,
            keys=keys,
            clock=clock,
            sign_ins=SignInLog(database, clock, retention_days=settings.sign_in_retention_days),
            secrets=shared,
            counters=open_counters(settings.redis_url),
        )

    def _tenant_aliases(self, name: str) -> frozenset[str]:
        """A tenant's id and domain names (lower-case): a `tenant=` fault matches any of them."""
        tenant = self.directory.find_tenant(name)
        if tenant is None:
            raise InvalidFault(f"no tenant {name!r} in this cloud")
        return frozenset(
            {tenant.id.lower(), *(d.lower() for d in self.directory.tenant_domains(tenant.id))}
        )

    def rotate_signing_key(self, tenant_id: str) -> SigningKeyMaterial:
        """A new token-signing key for the tenant, and its audit record, in one transaction."""
        for attempt in range(2):
            retired = self.keys.active(tenant_id).kid
            try:
                with self.database.transaction():
                    material = self.keys.rotate(tenant_id)
                    self.directory.record_signing_key_rotation(
                        tenant=tenant_id, kid=material.kid, retired=retired
                    )
                return material
            except IntegrityError:  # another node rotated this tenant's key at the same moment
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.sign_ins.close()  # the records still queued reach the database first
        self.database.dispose()
        self.counters.close()
