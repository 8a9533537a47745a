"""Outbox messages no longer needed (a reminder of a deadline met before it went out) are dropped:
the delivery's index leaves them out with the sent ones

Revision ID: b5e1d9c3a6f4
Revises: a7d2e4f6b813
Create Date: 2026-12-01 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b5e1d9c3a6f4'
down_revision = 'a7d2e4f6b813'
branch_labels = None
depends_on = None

BEFORE, AFTER = "state != 'sent'", "state NOT IN ('sent', 'dropped')"


def _index(where: str) -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unsent_due')
        batch_op.create_index('ix_outbox_unsent_due', ['next_attempt_at'], unique=False,
                              sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade():
    _index(AFTER)


def downgrade():
    op.execute("UPDATE outbox_message SET state = 'sent' WHERE state = 'dropped'")
    _index(BEFORE)
