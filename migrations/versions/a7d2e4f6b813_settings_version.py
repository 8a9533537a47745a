"""The version of the settings each process keeps between requests (services.kept); the cost of
the similarity index's key function as the planner should count it

Revision ID: a7d2e4f6b813
Revises: c4e8a1f2b7d3
Create Date: 2026-12-01 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7d2e4f6b813'
down_revision = 'c4e8a1f2b7d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('settings_version',
                    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('value', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_settings_version')))
    if op.get_bind().dialect.name == "postgresql":
        # At the default cost (100) the planner counted a scan computing the keys of every row as
        # cheap, and read the whole table instead of the index while it held a few thousand rows:
        # 100-600 ms per registration instead of 3 (measured). As models.similarity.TERM_KEYS.
        op.execute("ALTER FUNCTION complaint_term_keys(timestamp, text[]) COST 10000")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER FUNCTION complaint_term_keys(timestamp, text[]) COST 100")
    op.drop_table('settings_version')
