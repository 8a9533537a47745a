"""The open complaints a person owns or handles, indexed (待我处理)

Revision ID: d3a8c6e1f572
Revises: b5e1d9c3a6f4
Create Date: 2026-12-01 14:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'd3a8c6e1f572'
down_revision = 'b5e1d9c3a6f4'
branch_labels = None
depends_on = None

OPEN = "state != 'closed'"


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        for name, column in (('ix_complaint_open_owner', 'owner_id'), ('ix_complaint_open_handler', 'handler_id')):
            batch_op.create_index(name, [column], unique=False, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_open_handler')
        batch_op.drop_index('ix_complaint_open_owner')
