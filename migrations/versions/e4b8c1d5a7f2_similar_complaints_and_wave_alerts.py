"""Similar complaints and the early warning: each complaint's terms, the alerts and their complaints

Revision ID: e4b8c1d5a7f2
Revises: e3a8c5d27f14
Create Date: 2026-11-30 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'e4b8c1d5a7f2'
down_revision = 'e3a8c5d27f14'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    terms_type = postgresql.ARRAY(sa.Text()) if postgres else sa.Text()
    op.create_table('complaint_terms',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('terms', terms_type, nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_terms_complaint_id_complaint')),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_complaint_terms'))
    )
    op.create_index('ix_complaint_terms_registered', 'complaint_terms', ['registered_at', 'complaint_id'])
    if postgres:
        op.create_index('ix_complaint_terms_gin', 'complaint_terms', ['terms'], postgresql_using='gin')
    op.create_table('wave_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seed_complaint_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('shared_words', sa.String(length=200), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(), nullable=True),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['seed_complaint_id'], ['complaint.id'], name=op.f('fk_wave_alert_seed_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_wave_alert_incident_id_incident')),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['user.id'], name=op.f('fk_wave_alert_dismissed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wave_alert')),
    sa.UniqueConstraint('seed_complaint_id', name=op.f('uq_wave_alert_seed_complaint_id'))
    )
    op.create_index('ix_wave_alert_open', 'wave_alert', ['raised_at'],
                    sqlite_where=sa.text("incident_id IS NULL AND dismissed_at IS NULL"),
                    postgresql_where=sa.text("incident_id IS NULL AND dismissed_at IS NULL"))
    op.create_table('wave_alert_member',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['wave_alert.id'], name=op.f('fk_wave_alert_member_alert_id_wave_alert')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_wave_alert_member_complaint_id_complaint')),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_wave_alert_member'))
    )
    op.create_index(op.f('ix_wave_alert_member_alert_id'), 'wave_alert_member', ['alert_id'])
    _index_existing(postgres)


def _index_existing(postgres):
    """The terms of the complaints already registered, in batches by id (services.textsim is pure:
    no app, no database of its own)."""
    from services.textsim import terms as terms_of
    bind = op.get_bind()
    terms = sa.table('complaint_terms', sa.column('complaint_id'), sa.column('registered_at'),
                     sa.column('terms', postgresql.ARRAY(sa.Text()) if postgres else sa.Text()))
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, registered_at, content, object_text FROM complaint WHERE id > :last "
                                    "ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            return
        values = []
        for row in rows:
            found = sorted(terms_of(row.content, row.object_text))
            values.append({"complaint_id": row.id, "registered_at": row.registered_at,
                           "terms": found if postgres else " ".join(found)})
        bind.execute(terms.insert(), values)
        last = rows[-1].id


def downgrade():
    op.drop_index(op.f('ix_wave_alert_member_alert_id'), table_name='wave_alert_member')
    op.drop_table('wave_alert_member')
    op.drop_index('ix_wave_alert_open', table_name='wave_alert')
    op.drop_table('wave_alert')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_complaint_terms_gin', table_name='complaint_terms')
    op.drop_index('ix_complaint_terms_registered', table_name='complaint_terms')
    op.drop_table('complaint_terms')
