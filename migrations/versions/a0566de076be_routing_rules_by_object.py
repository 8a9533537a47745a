"""Routing rules by the complaint's object (投诉对象), ahead of the category's department

Revision ID: a0566de076be
Revises: 97395697c366
Create Date: 2026-11-25 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a0566de076be'
down_revision = '97395697c366'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('object_routing_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('object_unit_id', sa.Integer(), nullable=True),
    sa.Column('object_keyword', sa.String(length=100), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_object_routing_rule_category_id_category')),
    sa.ForeignKeyConstraint(['object_unit_id'], ['unit.id'], name=op.f('fk_object_routing_rule_object_unit_id_unit')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_object_routing_rule_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_object_routing_rule'))
    )


def downgrade():
    op.drop_table('object_routing_rule')
