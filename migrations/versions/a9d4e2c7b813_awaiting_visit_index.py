"""The complaints awaiting their return visit, indexed (the service center's 待我处理 and counts)

Revision ID: a9d4e2c7b813
Revises: e4a7c2d9f1b6
Create Date: 2026-12-02 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'a9d4e2c7b813'
down_revision = 'e4a7c2d9f1b6'
branch_labels = None
depends_on = None

AWAITING_VISIT = "state = 'awaiting_visit'"


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_awaiting_visit', ['next_due_at', 'id'], unique=False,
                              sqlite_where=sa.text(AWAITING_VISIT), postgresql_where=sa.text(AWAITING_VISIT))


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_awaiting_visit')
