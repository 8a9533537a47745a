"""Drop deadline's index on complaint_id alone: ix_deadline_complaint_clock starts with it

Revision ID: c4e8a1f2b7d3
Revises: f1c7a3e9b250
Create Date: 2026-12-01 11:00:00.000000

"""
from alembic import op


revision = 'c4e8a1f2b7d3'
down_revision = 'f1c7a3e9b250'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_complaint_id')


def downgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_complaint_id', ['complaint_id'], unique=False)
