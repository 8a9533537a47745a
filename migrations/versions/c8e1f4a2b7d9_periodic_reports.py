"""Periodic reports: the monthly reports up the chain, the quarterly written analyses, the annual report

Revision ID: c8e1f4a2b7d9
Revises: b3e61f0c9d25
Create Date: 2026-12-01 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c8e1f4a2b7d9'
down_revision = 'b3e61f0c9d25'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('periodic_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('monthly', 'quarterly', 'annual', name='reportkind', native_enum=False, length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.Column('parts', sa.JSON(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('read_by_id', sa.Integer(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('due_reminded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_periodic_report_unit_id_unit')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_periodic_report_submitted_by_id_user')),
    sa.ForeignKeyConstraint(['read_by_id'], ['user.id'], name=op.f('fk_periodic_report_read_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_periodic_report')),
    sa.UniqueConstraint('kind', 'unit_id', 'period', name=op.f('uq_periodic_report_kind'))
    )
    op.create_index(op.f('ix_periodic_report_unit_id'), 'periodic_report', ['unit_id'])


def downgrade():
    op.drop_index(op.f('ix_periodic_report_unit_id'), table_name='periodic_report')
    op.drop_table('periodic_report')
