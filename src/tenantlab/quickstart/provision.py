"""Provision the quickstart's tenants idempotently, and recover the credentials a run needs.

The directory keeps only digests of client secrets, so a value cannot be read back. The
quickstart's choice: **keep the generated value owner-only in the data folder** —
`{home}/secrets/{appId}.json` (0600, the file `tenantlab seed` already writes) — and reuse it on
the next run after checking it against the stored digest. When it is gone (file deleted, secret
removed in the portal, expired), the secret named `quickstart` is replaced by a new one.

The certificate credential works the same way: `{home}/certificates/{appId}.key` (0600) and
`.crt`; reused while registered and valid, otherwise a new self-signed one is made and uploaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tenantlab.config import ensure_private_dir, write_private_file
from tenantlab.ids import sha1_hex
from tenantlab.platform import Platform
from tenantlab.quickstart import spec as names
from tenantlab.seed import SeedReport, SeedSpec, apply_seed
from tenantlab.storage.schema import Application, Tenant

CERTIFICATE_MONTHS = 12


@dataclass(frozen=True)
class TenantInfo:
    id: str
    display_name: str
    domain: str
    tenant_type: str

    @property
    def subdomain(self) -> str:
        return self.domain.split(".", 1)[0]


@dataclass(frozen=True)
class AppInfo:
    display_name: str
    app_id: str
    object_id: str


@dataclass(frozen=True)
class CertificateFiles:
    private_key: Path
    certificate: Path
    thumbprint: str  # upper-case hex SHA-1, as the portal shows it


@dataclass(frozen=True)
class Provisioned:
    workforce: TenantInfo
    external: TenantInfo
    workforce_daemon: AppInfo
    ciam_daemon: AppInfo
    todo_api: AppInfo
    workforce_secret: str = field(repr=False)
    ciam_secret: str = field(repr=False)
    certificate: CertificateFiles
    changes: list[str] = field(default_factory=list)

    @property
    def created_anything(self) -> bool:
        return bool(self.changes)


def provision(platform: Platform, spec: SeedSpec | None = None) -> Provisioned:
    """Make the directory hold the quickstart's objects; return their ids and credentials."""
    spec = spec or names.quickstart_spec()
    report = apply_seed(platform, spec)
    changes = list(report.changes)
    workforce, external = (_tenant_info(platform, t) for t in report.tenants)
    apps = {
        names.WORKFORCE_DAEMON: _application(platform, workforce.id, names.WORKFORCE_DAEMON),
        names.CIAM_DAEMON: _application(platform, external.id, names.CIAM_DAEMON),
        names.TODO_API: _application(platform, external.id, names.TODO_API),
    }
    secrets: dict[str, str] = {}
    for daemon in (names.WORKFORCE_DAEMON, names.CIAM_DAEMON):
        app = apps[daemon]
        value = _issued(report, app) or _kept_secret(platform, app)
        if value is None:
            # The kept value is gone: replace the secret and let the seed issue (and keep) one.
            tenant = workforce.id if daemon == names.WORKFORCE_DAEMON else external.id
            for credential in platform.directory.password_credentials(app.id):
                if (credential.display_name or "").lower() == names.SECRET_NAME:
                    platform.directory.remove_password(
                        tenant=tenant, app=app.id, key_id=credential.key_id
                    )
            again = apply_seed(platform, spec)
            changes.append(f"replaced the secret of {daemon} (its kept value was missing)")
            value = _issued(again, app)
            if value is None:  # pragma: no cover - the seed always issues a removed secret
                raise RuntimeError(f"no secret was issued for {daemon}")
        secrets[daemon] = value
    certificate = _ensure_certificate(platform, external.id, apps[names.CIAM_DAEMON], changes)
    return Provisioned(
        workforce=workforce,
        external=external,
        workforce_daemon=_app_info(apps[names.WORKFORCE_DAEMON]),
        ciam_daemon=_app_info(apps[names.CIAM_DAEMON]),
        todo_api=_app_info(apps[names.TODO_API]),
        workforce_secret=secrets[names.WORKFORCE_DAEMON],
        ciam_secret=secrets[names.CIAM_DAEMON],
        certificate=certificate,
        changes=changes,
    )


def _tenant_info(platform: Platform, tenant: Tenant) -> TenantInfo:
    return TenantInfo(
        id=tenant.id,
        display_name=tenant.display_name,
        domain=platform.directory.tenant_domains(tenant.id)[0],
        tenant_type=tenant.tenant_type,
    )


def _application(platform: Platform, tenant_id: str, display_name: str) -> Application:
    """The app the seed matched: the first of that name in the tenant (names are not unique)."""
    for app in platform.directory.list_applications(tenant=tenant_id):
        if app.display_name.lower() == display_name.lower():
            return app
    raise RuntimeError(f"{display_name} is missing after provisioning")  # pragma: no cover


def _app_info(app: Application) -> AppInfo:
    return AppInfo(display_name=app.display_name, app_id=app.app_id, object_id=app.id)


def _issued(report: SeedReport, app: Application) -> str | None:
    for issued in report.secrets:
        if issued.app_id == app.app_id and issued.secret_text is not None:
            return issued.secret_text
    return None


def _kept_secret(platform: Platform, app: Application) -> str | None:
    """The newest kept value that still matches a valid `quickstart` secret of the app."""
    path = platform.settings.home / "secrets" / f"{app.app_id}.json"
    try:
        entries: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entries, list):
        return None
    now = platform.clock.now()
    current = {
        c.key_id: c
        for c in platform.directory.password_credentials(app.id)
        if (c.display_name or "").lower() == names.SECRET_NAME and c.end_at > now
    }
    for entry in reversed(entries):
        if not isinstance(entry, dict):
            continue
        credential = current.get(str(entry.get("keyId")))
        text = entry.get("secretText")
        if (
            credential is not None
            and isinstance(text, str)
            and platform.directory.secret_matches(credential, text)
        ):
            return text
    return None


def _ensure_certificate(
    platform: Platform, tenant_id: str, app: Application, changes: list[str]
) -> CertificateFiles:
    from tenantlab.portal.certificates import generate_certificate

    folder = ensure_private_dir(platform.settings.home / "certificates")
    key_path, cert_path = folder / f"{app.app_id}.key", folder / f"{app.app_id}.crt"
    registered = {
        k.thumbprint_sha1: k
        for k in platform.directory.key_credentials(app.id)
        if k.end_at > platform.clock.now()
    }
    thumbprint = _thumbprint(cert_path) if key_path.is_file() else None
    if thumbprint is not None and thumbprint in registered:
        return CertificateFiles(key_path, cert_path, thumbprint)
    made = generate_certificate(app.display_name, CERTIFICATE_MONTHS, platform.clock.now())
    write_private_file(key_path, made.private_key_pem.encode("ascii"))
    write_private_file(cert_path, made.certificate_pem.encode("ascii"))
    platform.directory.add_certificate(
        tenant=tenant_id,
        app=app.id,
        certificate_pem_or_der=made.certificate_pem.encode("ascii"),
        display_name=f"CN={app.display_name} (quickstart)",
    )
    changes.append(f"added certificate {made.thumbprint} to {app.display_name}")
    return CertificateFiles(key_path, cert_path, made.thumbprint)


def _thumbprint(path: Path) -> str | None:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None
    return sha1_hex(cert.public_bytes(serialization.Encoding.DER))
