"""The audit tables are append-only on SQLite too: triggers refuse UPDATE and DELETE

Revision ID: 7ebbbb43ccf7
Revises: a0566de076be
Create Date: 2026-11-25 09:30:00.000000

"""
from alembic import op

AUDIT_TABLES = ('complaint_event', 'admin_audit')
# As in models/audit.py, frozen here as this revision wrote it. (PostgreSQL has had its trigger
# since bba0c83b31b7.) A later batch migration that recreates one of these tables on SQLite drops
# these triggers with the old table and must create them again.


def _triggers(table):
    for statement in ('UPDATE', 'DELETE'):
        yield (f'{table}_append_only_{statement.lower()}',
               f'CREATE TRIGGER {table}_append_only_{statement.lower()} BEFORE {statement} ON {table} '
               f"BEGIN SELECT RAISE(ABORT, 'the audit table {table} is append-only'); END")


# revision identifiers, used by Alembic.
revision = '7ebbbb43ccf7'
down_revision = 'a0566de076be'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for table in AUDIT_TABLES:
            for _name, create in _triggers(table):
                op.execute(create)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for table in AUDIT_TABLES:
            for name, _create in _triggers(table):
                op.execute(f'DROP TRIGGER IF EXISTS {name}')
