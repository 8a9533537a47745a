"""Fields an organisation defines: their definitions, and each complaint's values (JSONB + GIN on PostgreSQL)

Revision ID: f1c3a5e7b902
Revises: f1a2b3c4d5e6
Create Date: 2026-11-30 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'f1c3a5e7b902'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table('custom_field',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('label_zh', sa.String(length=100), nullable=False),
    sa.Column('label_en', sa.String(length=100), nullable=False),
    sa.Column('type', sa.Enum('text', 'number', 'money', 'date', 'choice', name='fieldtype',
                              native_enum=False, length=32), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('category_ids', sa.JSON(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_field')),
    sa.UniqueConstraint('key', name=op.f('uq_custom_field_key'))
    )
    with op.batch_alter_table('complaint') as batch_op:
        batch_op.add_column(sa.Column('extra', postgresql.JSONB() if postgres else sa.JSON(), nullable=True))
    if postgres:
        op.create_index('ix_complaint_extra_gin', 'complaint', ['extra'], postgresql_using='gin')


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_complaint_extra_gin', table_name='complaint')
    with op.batch_alter_table('complaint') as batch_op:
        batch_op.drop_column('extra')
    op.drop_table('custom_field')
