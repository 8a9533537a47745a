"""The organisation row: its name and the records of its own its profile keeps

Revision ID: a7d2e9c4b118
Revises: f1c3a5e7b902
Create Date: 2026-12-01 00:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7d2e9c4b118'
down_revision = 'f1c3a5e7b902'
branch_labels = None
depends_on = None


def upgrade():
    # No row is written here: a database set up before this revision is the bank's (the only
    # organisation there was), and services.org_settings reads a missing row as the bank's.
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('profile', sa.String(length=40), nullable=False),
    sa.Column('records', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation'))
    )


def downgrade():
    op.drop_table('organisation')
