"""The weekly 投诉统计表: one row per week e-mailed (sent once), and the complaints by time received

Revision ID: b3e8f1a6c205
Revises: a7d2e9c4b118
Create Date: 2026-12-01 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3e8f1a6c205'
down_revision = 'a7d2e9c4b118'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('statistics_sheet_mailing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statistics_sheet_mailing')),
    sa.UniqueConstraint('week_start', name=op.f('uq_statistics_sheet_mailing_week_start'))
    )
    op.create_index('ix_complaint_received', 'complaint', ['received_at', 'id'])


def downgrade():
    op.drop_index('ix_complaint_received', table_name='complaint')
    op.drop_table('statistics_sheet_mailing')
