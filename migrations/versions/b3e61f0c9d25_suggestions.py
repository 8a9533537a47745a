"""Suggestions (建议): each case says whether it is a complaint or a suggestion

Revision ID: b3e61f0c9d25
Revises: c8e3f5a91d27
Create Date: 2026-12-01 00:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

# A copy, not an import: a migration stays as it was written whatever the models become.
STATISTICS_COLUMNS = [
    "unit_id", "owner_id", "handling_unit_id", "category_id", "channel", "level", "kind", "state", "satisfaction",
    "collective", "litigation", "media", "compensation", "repeated", "regulator_forwarded", "valid", "round",
    "incident_id", "review_of_id", "withdrawn_at", "received_at", "closed_at", "next_due_at"]

revision = 'b3e61f0c9d25'
down_revision = 'c8e3f5a91d27'
branch_labels = None
depends_on = None


def upgrade():
    # Every case recorded so far is a complaint.
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nature', sa.Enum('complaint', 'suggestion', name='complaintnature',
                                                        native_enum=False, length=32),
                                      nullable=False, server_default='complaint'))
        batch_op.create_index('ix_complaint_nature_registered', ['nature', 'registered_at', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # The statistics count complaints and suggestions apart: the registration index carries the column.
        op.drop_index('ix_complaint_registered', table_name='complaint')
        op.create_index('ix_complaint_registered', 'complaint', ['registered_at', 'id'], unique=False,
                        postgresql_include=STATISTICS_COLUMNS + ['nature'])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_complaint_registered', table_name='complaint')
        op.create_index('ix_complaint_registered', 'complaint', ['registered_at', 'id'], unique=False,
                        postgresql_include=STATISTICS_COLUMNS)
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_nature_registered')
        batch_op.drop_column('nature')
