"""An answer belongs to a handling round (the printed form shows every round)

Revision ID: 3f1c2a9d8e47
Revises: 7ebbbb43ccf7
Create Date: 2026-11-30 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '3f1c2a9d8e47'
down_revision = '7ebbbb43ccf7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer') as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=False, server_default='1'))
    # Answers given after the first round's unsatisfied return visit belong to the second round.
    op.execute("UPDATE answer SET round = 2 WHERE EXISTS (SELECT 1 FROM return_visit v "
               "WHERE v.complaint_id = answer.complaint_id AND v.round = 1 AND v.rating = 'D' "
               "AND v.at <= answer.submitted_at)")


def downgrade():
    with op.batch_alter_table('answer') as batch_op:
        batch_op.drop_column('round')
