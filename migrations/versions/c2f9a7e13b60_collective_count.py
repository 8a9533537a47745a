"""How many people complain together in a collective complaint

Revision ID: c2f9a7e13b60
Revises: b7d41e9a2c55
Create Date: 2026-11-30 20:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c2f9a7e13b60'
down_revision = 'b7d41e9a2c55'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint') as batch_op:
        batch_op.add_column(sa.Column('collective_count', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('complaint') as batch_op:
        batch_op.drop_column('collective_count')
