"""The similar-complaints index by ten days: each term with the days it was written in

Revision ID: f1c7a3e9b250
Revises: 7b3e9c1d5a20
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op


revision = 'f1c7a3e9b250'
down_revision = '7b3e9c1d5a20'
branch_labels = None
depends_on = None

# As models.similarity.TERM_KEYS (copied: a migration keeps what it did when the model changes).
TERM_KEYS = """CREATE OR REPLACE FUNCTION complaint_term_keys(registered timestamp, terms text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT array(SELECT floor((registered::date - date '2000-01-01') / 10.0)::int::text || ':' || term
                FROM unnest(terms) AS term) $$"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(TERM_KEYS)
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("CREATE INDEX ix_complaint_terms_keys ON complaint_terms "
               "USING gin (complaint_term_keys(registered_at, terms)) WITH (fastupdate = off)")
    op.drop_index('ix_complaint_terms_gin', table_name='complaint_terms')
    op.execute("ANALYZE complaint_terms")   # the statistics of the new index's keys, for the planner


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index('ix_complaint_terms_gin', 'complaint_terms', ['terms'], postgresql_using='gin')
    op.drop_index('ix_complaint_terms_keys', table_name='complaint_terms')
    op.execute("DROP FUNCTION complaint_term_keys(timestamp, text[])")
