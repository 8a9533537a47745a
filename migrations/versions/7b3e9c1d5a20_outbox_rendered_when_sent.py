"""E-mails rendered when sent: the outbox row names its template, language and objects

Revision ID: 7b3e9c1d5a20
Revises: a7c2e9d4b618
Create Date: 2026-12-02 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '7b3e9c1d5a20'
down_revision = 'a7c2e9d4b618'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('template_context', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('template_context')
        batch_op.drop_column('locale')
        batch_op.drop_column('template')
