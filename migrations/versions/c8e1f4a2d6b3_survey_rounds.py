"""The customers' opinion survey: rounds and their recipients

Revision ID: c8e1f4a2d6b3
Revises: b3e8f1a6c205
Create Date: 2026-12-01 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c8e1f4a2d6b3'
down_revision = 'b3e8f1a6c205'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('left_out', sa.JSON(), nullable=False),
    sa.Column('next_reminded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_survey_round_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_round'))
    )
    op.create_table('survey_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('mobile', sa.String(length=11), nullable=True),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_survey_recipient_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_survey_recipient_round_id_survey_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_recipient')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_survey_recipient_token_hash'))
    )
    with op.batch_alter_table('survey_recipient', schema=None) as batch_op:
        batch_op.create_index('ix_survey_recipient_round', ['round_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('survey_recipient', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_recipient_round')
    op.drop_table('survey_recipient')
    op.drop_table('survey_round')
