"""The channels' API keys and their idempotent filings

Revision ID: e5a1c7b3d920
Revises: e4b8d0c61a27
Create Date: 2026-11-30 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'e5a1c7b3d920'
down_revision = 'e4b8d0c61a27'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('channel', sa.Enum('hotline', 'app', 'mini_program', 'partner', name='apichannel',
                                     native_enum=False, length=32), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_api_key_unit_id_unit')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_api_key_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
        sa.UniqueConstraint('prefix', name=op.f('uq_api_key_prefix')),
    )
    op.create_table(
        'api_filing',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('api_key_id', sa.Integer(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], name=op.f('fk_api_filing_api_key_id_api_key')),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_api_filing_complaint_id_complaint')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_filing')),
        sa.UniqueConstraint('api_key_id', 'idempotency_key', name='uq_api_filing_key'),
    )
    op.create_index(op.f('ix_api_filing_complaint_id'), 'api_filing', ['complaint_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_api_filing_complaint_id'), table_name='api_filing')
    op.drop_table('api_filing')
    op.drop_table('api_key')
