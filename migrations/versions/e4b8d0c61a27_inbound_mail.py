"""E-mail received at the complaints address, one row per Message-ID

Revision ID: e4b8d0c61a27
Revises: c2f9a7e13b60
Create Date: 2026-11-30 21:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'e4b8d0c61a27'
down_revision = 'c2f9a7e13b60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'inbound_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_key', sa.String(length=64), nullable=False),
        sa.Column('message_id', sa.String(length=300), nullable=False),
        sa.Column('sender', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=100), nullable=True),
        sa.Column('complaint_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_inbound_mail_complaint_id_complaint')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mail')),
        sa.UniqueConstraint('message_key', name=op.f('uq_inbound_mail_message_key')),
    )
    with op.batch_alter_table('inbound_mail') as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_mail_complaint_id'), ['complaint_id'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound_mail') as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mail_complaint_id'))
    op.drop_table('inbound_mail')
