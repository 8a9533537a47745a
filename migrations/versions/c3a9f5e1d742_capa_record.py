"""The department's 纠正及预防措施记录表 and the 分管领导's sign-off of it

Revision ID: c3a9f5e1d742
Revises: c8e1f4a2b7d9
Create Date: 2026-12-01 00:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3a9f5e1d742'
down_revision = 'c8e1f4a2b7d9'
branch_labels = None
depends_on = None


def upgrade():
    # The sign-off's clock is a new DeadlineKind value ('capa_signoff'): the kind columns are plain
    # strings (native_enum=False, no CHECK), so they need no change.
    op.create_table('capa_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('cause', sa.Text(), nullable=False),
    sa.Column('correction', sa.Text(), nullable=False),
    sa.Column('preventive', sa.Text(), nullable=False),
    sa.Column('responsible', sa.String(length=100), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('submitted', 'returned', 'signed_off', name='capastate', native_enum=False,
                               length=32), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_capa_record_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], name=op.f('fk_capa_record_reviewer_id_user')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_capa_record_submitted_by_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_capa_record_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capa_record')),
    sa.UniqueConstraint('complaint_id', 'round', name='uq_capa_record_complaint_round')
    )
    with op.batch_alter_table('capa_record', schema=None) as batch_op:
        batch_op.create_index('ix_capa_record_state', ['state', 'submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('capa_record', schema=None) as batch_op:
        batch_op.drop_index('ix_capa_record_state')
    op.drop_table('capa_record')
