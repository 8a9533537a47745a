"""The open complaints' index includes their state: the overview's counts by state read it alone

Revision ID: e4a7c2d9f1b6
Revises: d9f4b2c6e8a3
Create Date: 2026-12-01 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'e4a7c2d9f1b6'
down_revision = 'd9f4b2c6e8a3'
branch_labels = None
depends_on = None

OPEN = "state != 'closed'"


def _rebuild(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return   # SQLite has no included columns: its index stays as it is
    op.drop_index('ix_complaint_open_due', table_name='complaint')
    op.create_index('ix_complaint_open_due', 'complaint', ['next_due_at', 'id'], unique=False,
                    postgresql_include=include, postgresql_where=sa.text(OPEN))


def upgrade():
    _rebuild(["state"])


def downgrade():
    _rebuild([])
