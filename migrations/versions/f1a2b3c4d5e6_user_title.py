"""A user's title in the organisation's own words (市场部经理, 总经理): shown beside the name, the role stays

Revision ID: f1a2b3c4d5e6
Revises: e4b8c1d5a7f2
Create Date: 2026-11-30 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'f1a2b3c4d5e6'
down_revision = 'e4b8c1d5a7f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=50), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('title')
