"""The open complaints by registration time (whether a window around a complaint holds any)

Revision ID: b3e8d1f5a7c2
Revises: a9d4e2c7b813
Create Date: 2026-12-03 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3e8d1f5a7c2'
down_revision = 'a9d4e2c7b813'
branch_labels = None
depends_on = None

OPEN = "state != 'closed'"


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_open_registered', ['registered_at'], unique=False,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_open_registered')
