"""The complaints assigned to a person, indexed ("my complaints")

Revision ID: f2c9d7b4e8a1
Revises: e7b2f4a9c1d6
Create Date: 2026-12-01 15:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'f2c9d7b4e8a1'
down_revision = 'e7b2f4a9c1d6'
branch_labels = None
depends_on = None

ASSIGNED = "assignee_id IS NOT NULL"


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_assignee', ['assignee_id'], unique=False,
                              sqlite_where=sa.text(ASSIGNED), postgresql_where=sa.text(ASSIGNED))


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_assignee')
