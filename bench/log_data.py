"""Test data for the log benchmarks: many sign-in and audit records, bulk-inserted.

    from log_data import fill_sign_ins, fill_directory_audits

Records spread over the retention period (the newest now, the oldest `days` ago), from `apps`
applications, with a failure rate and an AADSTS mix like a busy tenant's: what a keyset page has
to find its way through. Inserted in batches with executemany (no ORM objects), one transaction
per batch; a million sign-ins take about a minute on SQLite.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert

from tenantlab.storage import Database
from tenantlab.storage.schema import DirectoryAudit, DirectoryAuditTarget, SignIn

BATCH = 20_000
FAILURES = ((7000215, "Invalid client secret provided."), (700016, "Application not found."))
ACTIVITIES = (
    ("Update application \u2013 Certificates and secrets management ", "ApplicationManagement"),
    ("Add app role assignment to service principal", "ApplicationManagement"),
    ("Update application", "ApplicationManagement"),
    ("Add user", "UserManagement"),
)


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _times(count: int, now: float, days: float, rng: random.Random) -> Iterator[float]:
    """`count` increasing timestamps from `days` ago to `now`, jittered."""
    step = days * 86_400 / max(count, 1)
    start = now - days * 86_400
    for index in range(count):
        yield start + index * step + rng.random() * step


def app_ids(tenant_id: str, apps: int) -> list[str]:
    """The appIds the generated records use (stable for a tenant, so a run can filter by one)."""
    return [str(uuid.uuid5(uuid.UUID(tenant_id), f"bench-app-{i}")) for i in range(apps)]


def fill_sign_ins(
    database: Database,
    tenant_id: str,
    count: int,
    *,
    now: float,
    days: float = 29,
    apps: int = 20,
    failure_rate: float = 0.05,
    seed: int = 15,
) -> None:
    rng = random.Random(seed)
    ids = app_ids(tenant_id, apps)
    resource = "00000003-0000-0000-c000-000000000000"
    batch: list[dict[str, Any]] = []
    for at in _times(count, now, days, rng):
        app = rng.randrange(apps)
        failed = rng.random() < failure_rate
        code, reason = rng.choice(FAILURES) if failed else (0, None)
        batch.append(
            {
                "id": _guid(rng),
                "tenant_id": tenant_id,
                "created_at": at,
                "app_id": ids[app],
                "app_display_name": f"Daemon {app}",
                "service_principal_id": _guid(rng),
                "resource_id": resource,
                "resource_display_name": "Microsoft Graph",
                "ip_address": f"10.0.0.{app + 1}",
                "client_credential_type": "clientSecret",
                "event_type": "servicePrincipal",
                "grant_type": "client_credentials",
                "error_code": code,
                "failure_reason": reason,
                "correlation_id": _guid(rng),
                "user_id": None,
                "user_principal_name": None,
            }
        )
        if len(batch) == BATCH:
            _insert(database, SignIn, batch)
            batch = []
    _insert(database, SignIn, batch)


def fill_directory_audits(
    database: Database,
    tenant_id: str,
    count: int,
    *,
    now: float,
    days: float = 29,
    apps: int = 20,
    failure_rate: float = 0.02,
    seed: int = 16,
) -> None:
    rng = random.Random(seed)
    ids = app_ids(tenant_id, apps)
    objects = [str(uuid.uuid5(uuid.UUID(tenant_id), f"bench-object-{i}")) for i in range(apps)]
    audits: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    for at in _times(count, now, days, rng):
        app = rng.randrange(apps)
        activity, category = rng.choice(ACTIVITIES)
        audit_id = _guid(rng)
        failed = rng.random() < failure_rate
        audits.append(
            {
                "id": audit_id,
                "tenant_id": tenant_id,
                "activity_at": at,
                "category": category,
                "activity_display_name": activity,
                "operation_type": "Update",
                "result": "failure" if failed else "success",
                "result_reason": "no password credential with that keyId" if failed else "",
                "correlation_id": _guid(rng),
                "initiator_app_id": ids[app],
                "initiated_by": {
                    "app": {
                        "appId": ids[app],
                        "displayName": f"Provisioner {app}",
                        "servicePrincipalId": None,
                        "servicePrincipalName": None,
                    },
                    "user": None,
                },
                "target_resources": [
                    {
                        "id": objects[app],
                        "displayName": f"Daemon {app}",
                        "type": "Application",
                        "userPrincipalName": None,
                        "groupType": None,
                        "modifiedProperties": [],
                    }
                ],
                "additional_details": [{"key": "AppId", "value": ids[app]}],
            }
        )
        targets.append(
            {
                "audit_id": audit_id,
                "tenant_id": tenant_id,
                "target_id": objects[app],
                "activity_at": at,
            }
        )
        if len(audits) == BATCH:
            _insert(database, DirectoryAudit, audits)
            _insert(database, DirectoryAuditTarget, targets)
            audits, targets = [], []
    _insert(database, DirectoryAudit, audits)
    _insert(database, DirectoryAuditTarget, targets)


def _insert(database: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        with database.session() as session:
            session.execute(insert(table), rows)
