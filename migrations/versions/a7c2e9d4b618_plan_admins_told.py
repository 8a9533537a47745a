"""A plan nobody may approve: when the administrators were told (once per plan)

Revision ID: a7c2e9d4b618
Revises: d9f4b2a6c371
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c2e9d4b618'
down_revision = 'd9f4b2a6c371'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admins_told_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('admins_told_at')
