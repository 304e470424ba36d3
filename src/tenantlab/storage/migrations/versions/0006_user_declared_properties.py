"""users: the declared properties directory-sync daemons select (department, employeeId, ...)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_STRINGS = (
    ("department", 64),
    ("company_name", 64),
    ("employee_id", 16),
    ("employee_type", 64),
    ("usage_location", 2),
    ("street_address", 1024),
    ("city", 128),
    ("state", 128),
    ("postal_code", 40),
    ("country", 128),
    ("fax_number", 64),
)
_LISTS = ("other_mails", "proxy_addresses", "identities")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for name, length in _STRINGS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        for name in _LISTS:
            # Existing users get Graph's empty collection.
            batch.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("on_premises_sync_enabled", sa.Boolean(), nullable=True))
        batch.add_column(
            sa.Column("on_premises_immutable_id", sa.String(length=256), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for name in ("on_premises_immutable_id", "on_premises_sync_enabled", *reversed(_LISTS)):
            batch.drop_column(name)
        for name, _ in reversed(_STRINGS):
            batch.drop_column(name)
