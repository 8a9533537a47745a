"""My complaints: one's own and those one is assigned indexed in the list's order

Revision ID: d9f4b2c6e8a3
Revises: c8e5a1f3d7b2
Create Date: 2026-12-01 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'd9f4b2c6e8a3'
down_revision = 'c8e5a1f3d7b2'
branch_labels = None
depends_on = None

ASSIGNED = "assignee_id IS NOT NULL"


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_owner_due')
        batch_op.drop_index('ix_complaint_assignee')
        batch_op.create_index('ix_complaint_owner_due', ['owner_id', 'next_due_at', sa.text('id DESC')], unique=False)
        batch_op.create_index('ix_complaint_assignee_due', ['assignee_id', 'next_due_at', sa.text('id DESC')],
                              unique=False, sqlite_where=sa.text(ASSIGNED), postgresql_where=sa.text(ASSIGNED))


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_assignee_due')
        batch_op.drop_index('ix_complaint_owner_due')
        batch_op.create_index('ix_complaint_assignee', ['assignee_id'], unique=False,
                              sqlite_where=sa.text(ASSIGNED), postgresql_where=sa.text(ASSIGNED))
        batch_op.create_index('ix_complaint_owner_due', ['owner_id', 'next_due_at', 'id'], unique=False)
