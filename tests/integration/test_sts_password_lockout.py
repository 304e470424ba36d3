"""Smart lockout over the wire, with real MSAL (`acquire_token_by_username_password`).

Before issue 11 item 4, 100 wrong passwords all got AADSTS50126 and then the right one worked.
The tenant's policy is lowered to 3 failures / 5 seconds to keep the test short.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from test_todo_user_tokens import user_token

pytestmark = pytest.mark.integration

LiveCloud = Any
Tenant = Any
PASSWORD = "Tenantlab-Test-Passw0rd!"
WRONG = "Wrong-Passw0rd!"


def test_failed_sign_ins_lock_known_and_unknown_users_alike(
    cloud: LiveCloud, tenant: Tenant
) -> None:
    directory = cloud.directory
    api = directory.create_application(
        tenant=tenant.id, display_name="ToDo API", identifier_uris=[f"api://lockout-{tenant.id}"]
    )
    directory.add_permission_scope(tenant=tenant.id, app=api.app_id, value="ToDoList.Read")
    client = directory.create_application(tenant=tenant.id, display_name="Public client")
    directory.grant_delegated(
        tenant=tenant.id, client=client.app_id, resource=api.app_id, scopes=["ToDoList.Read"]
    )
    domain = directory.tenant_domains(tenant.id)[0]
    directory.create_user(
        tenant=tenant.id,
        user_principal_name=f"adele@{domain}",
        display_name="Adele",
        password=PASSWORD,
    )
    directory.set_lockout_policy(tenant=tenant.id, threshold=3, duration_seconds=5)
    scopes = [f"api://lockout-{tenant.id}/ToDoList.Read"]

    def answers(username: str) -> list[tuple[str | None, list[int]]]:
        seen = []
        for password in (WRONG, WRONG, WRONG, PASSWORD):
            result = user_token(cloud, tenant.id, client.app_id, username, scopes, password)
            seen.append((result.get("error"), result.get("error_codes", [])))
        return seen

    known = answers(f"adele@{domain}")
    locked_at = time.monotonic()  # Adele's lockout began before this
    unknown = answers(f"nobody@{domain}")
    bad, locked = ("invalid_grant", [50126]), ("invalid_grant", [50053])
    assert known == [bad, bad, bad, locked]  # the right password is refused while locked
    assert unknown == known

    time.sleep(max(0.0, locked_at + 5.5 - time.monotonic()))
    result = user_token(cloud, tenant.id, client.app_id, f"adele@{domain}", scopes)
    assert "access_token" in result, result
