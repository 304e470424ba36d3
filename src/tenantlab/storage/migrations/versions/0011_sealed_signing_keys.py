"""Signing keys sealed in the database; one active key per tenant; installation settings

A private signing key was a 0600 file in the data folder of the node that made it, with its path in
`signing_keys.key_file`: a node with another data folder could not sign. Keys now live sealed in
`signing_keys.sealed_key` (AES-GCM under the key-encryption key, `keys.envelope`). The schema step
is here; sealing the existing files needs the KEK, which migrations do not have, so each node moves
the files it holds once at start (`keys.store.KeyStore.adopt_key_files`) and `key_file` becomes
nullable for that.

Two nodes meeting a new tenant could both make its first key, and both stay active: a tenant with
several active keys keeps the newest as its signer and retires the others (published for one
token lifetime more, as a rotation leaves them) before the partial unique index makes it the rule.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# keys.store.DEFAULT_MAX_TOKEN_LIFETIME when this was written (a migration is a snapshot).
RETIRED_KEY_LIFETIME = 3600 + 300


def upgrade() -> None:
    op.create_table(
        "installation_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_installation_settings")),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_key", sa.LargeBinary(), nullable=True))
        batch_op.alter_column("key_file", existing_type=sa.String(length=512), nullable=True)

    keys = sa.table(
        "signing_keys",
        sa.column("kid", sa.String),
        sa.column("tenant_id", sa.String),
        sa.column("activated_at", sa.Float),
        sa.column("retired_at", sa.Float),
        sa.column("remove_after", sa.Float),
    )
    bind = op.get_bind()
    active = bind.execute(
        sa.select(keys.c.kid, keys.c.tenant_id)
        .where(keys.c.retired_at.is_(None))
        .order_by(keys.c.tenant_id, keys.c.activated_at.desc(), keys.c.kid)
    ).all()
    now = time.time()
    signer: set[str] = set()
    for kid, tenant_id in active:
        if tenant_id not in signer:
            signer.add(tenant_id)
            continue
        bind.execute(
            keys.update()
            .where(keys.c.kid == kid)
            .values(retired_at=now, remove_after=now + RETIRED_KEY_LIFETIME)
        )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(
            "ux_signing_keys_one_active",
            ["tenant_id"],
            unique=True,
            sqlite_where=sa.text("retired_at IS NULL"),
            postgresql_where=sa.text("retired_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index("ux_signing_keys_one_active")
        batch_op.drop_column("sealed_key")
    op.drop_table("installation_settings")
