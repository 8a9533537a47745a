"""Ledger indexes: a unit's and a level's complaints newest first; trigram search on PostgreSQL

Revision ID: 5c1e0a7d2b94
Revises: 4c7da2359b3a
Create Date: 2026-11-24 09:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5c1e0a7d2b94'
down_revision = '4c7da2359b3a'
branch_labels = None
depends_on = None

SEARCHED = ("number", "customer_name", "content")


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_unit_registered', ['unit_id', 'registered_at', 'id'], unique=False)
        batch_op.create_index('ix_complaint_handling_registered', ['handling_unit_id', 'registered_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_complaint_level_registered', ['level', 'registered_at', 'id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # ILIKE '%…%' can use a trigram index; SQLite has none and scans.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The operator class is named with the extension's schema: it may be outside the search path.
        schema = op.get_bind().exec_driver_sql(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").scalar()
        for column in SEARCHED:
            op.create_index(f'ix_complaint_{column}_trgm', 'complaint', [column], unique=False,
                            postgresql_using='gin', postgresql_ops={column: f'{schema}.gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for column in SEARCHED:
            op.drop_index(f'ix_complaint_{column}_trgm', table_name='complaint')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_level_registered')
        batch_op.drop_index('ix_complaint_handling_registered')
        batch_op.drop_index('ix_complaint_unit_registered')
