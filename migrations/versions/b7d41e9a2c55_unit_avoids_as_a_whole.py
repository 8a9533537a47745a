"""回避 for the whole unit complained about is the administrator's choice per unit

Revision ID: b7d41e9a2c55
Revises: 6a2e5c8d1f03
Create Date: 2026-11-30 20:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d41e9a2c55'
down_revision = '6a2e5c8d1f03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unit') as batch_op:
        batch_op.add_column(sa.Column('avoids_as_a_whole', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('unit') as batch_op:
        batch_op.drop_column('avoids_as_a_whole')
