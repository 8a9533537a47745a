"""The running clocks of one kind by due time, indexed (the service center's return visits)

Revision ID: e7b2f4a9c1d6
Revises: d3a8c6e1f572
Create Date: 2026-12-01 14:35:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'e7b2f4a9c1d6'
down_revision = 'd3a8c6e1f572'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_open_kind_due', ['kind', 'due_at'], unique=False,
                              sqlite_where=sa.text("met_at IS NULL"), postgresql_where=sa.text("met_at IS NULL"))


def downgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_open_kind_due')
