"""The customer's numbers (mobile, ID number, account), normalised and indexed for their history

Revision ID: 6a2e5c8d1f03
Revises: 3f1c2a9d8e47
Create Date: 2026-11-30 19:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '6a2e5c8d1f03'
down_revision = '3f1c2a9d8e47'
branch_labels = None
depends_on = None

COLUMNS = (("customer_mobile", 11), ("customer_id_number", 18), ("customer_account", 19))


def upgrade():
    with op.batch_alter_table('complaint') as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    for name, _length in COLUMNS:
        op.create_index(f'ix_complaint_{name}', 'complaint', [name, 'registered_at', 'id'], unique=False,
                        sqlite_where=sa.text(f'{name} IS NOT NULL'), postgresql_where=sa.text(f'{name} IS NOT NULL'))
    # Complaints registered before: a contact that is a plain mainland mobile number identifies the customer.
    op.execute("UPDATE complaint SET customer_mobile = customer_contact "
               "WHERE length(customer_contact) = 11 AND customer_contact LIKE '1%' "
               "AND substr(customer_contact, 2, 1) BETWEEN '3' AND '9' "
               "AND customer_contact NOT GLOB '*[^0-9]*'"
               if op.get_bind().dialect.name == 'sqlite' else
               "UPDATE complaint SET customer_mobile = customer_contact WHERE customer_contact ~ '^1[3-9][0-9]{9}$'")


def downgrade():
    for name, _length in COLUMNS:
        op.drop_index(f'ix_complaint_{name}', table_name='complaint')
    with op.batch_alter_table('complaint') as batch_op:
        for name, _length in reversed(COLUMNS):
            batch_op.drop_column(name)
