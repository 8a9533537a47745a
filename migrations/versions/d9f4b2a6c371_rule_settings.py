"""The administrator's settings of the rules that count: the repeat rule's similarity

Revision ID: d9f4b2a6c371
Revises: c3a9f5e1d742
Create Date: 2026-12-01 04:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'd9f4b2a6c371'
down_revision = 'c3a9f5e1d742'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rule_setting',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rule_setting'))
    )


def downgrade():
    op.drop_table('rule_setting')
