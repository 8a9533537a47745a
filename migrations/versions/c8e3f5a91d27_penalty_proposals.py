"""Penalty proposals (处罚意见), decided and executed by the assessment unit

Revision ID: c8e3f5a91d27
Revises: c8e1f4a2d6b3
Create Date: 2026-12-01 00:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c8e3f5a91d27'
down_revision = 'c8e1f4a2d6b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('penalty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('target_unit_id', sa.Integer(), nullable=False),
    sa.Column('target_user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('proposed_penalty', sa.Text(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('proposed', 'accepted', 'rejected', 'executed', name='penaltystate',
                               native_enum=False, length=32), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_penalty', sa.Text(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('executed_on', sa.Date(), nullable=True),
    sa.Column('executed_at', sa.DateTime(), nullable=True),
    sa.Column('executed_by_id', sa.Integer(), nullable=True),
    sa.Column('execution_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_penalty_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['target_unit_id'], ['unit.id'], name=op.f('fk_penalty_target_unit_id_unit')),
    sa.ForeignKeyConstraint(['target_user_id'], ['user.id'], name=op.f('fk_penalty_target_user_id_user')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_penalty_proposed_by_id_user')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_penalty_decided_by_id_user')),
    sa.ForeignKeyConstraint(['executed_by_id'], ['user.id'], name=op.f('fk_penalty_executed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_penalty'))
    )
    with op.batch_alter_table('penalty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_penalty_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_penalty_state', ['state', 'proposed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('penalty', schema=None) as batch_op:
        batch_op.drop_index('ix_penalty_state')
        batch_op.drop_index(batch_op.f('ix_penalty_complaint_id'))
    op.drop_table('penalty')
