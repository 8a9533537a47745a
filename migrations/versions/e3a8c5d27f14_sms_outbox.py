"""Text messages through the outbox, and the SMS provider's templates per notice kind

Revision ID: e3a8c5d27f14
Revises: e5a1c7b3d920
Create Date: 2026-11-30 22:00:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


revision = 'e3a8c5d27f14'
down_revision = 'e5a1c7b3d920'
branch_labels = None
depends_on = None

NOTICE_KINDS = ('acceptance', 'plan', 'result', 'closure', 'link', 'extension')
MOBILE = re.compile(r"1[3-9][0-9]{9}")


def _mobile(phone):
    """The 11 digits of a mainland mobile number (as services.identity.mobile), else None."""
    value = re.sub(r"^(\+86|0086)", "", re.sub(r"[\s\-]", "", phone or ""))
    return value if MOBILE.fullmatch(value) else None


def upgrade():
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.add_column(sa.Column('channel', sa.Enum('email', 'sms', name='outboxchannel', native_enum=False,
                                                         length=32), nullable=False, server_default='email'))
        batch_op.add_column(sa.Column('template_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('template_params', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('provider_code', sa.String(length=100), nullable=True))
    op.create_table(
        'sms_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*NOTICE_KINDS, name='noticekind', native_enum=False, length=32), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('params', sa.String(length=300), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind'),
    )
    # Before contacts were typed, any contact that was not an e-mail was kept as the phone to text:
    # a landline stays nowhere (the customer is told by phone), a mobile in its 11 digits.
    access = sa.table('customer_access', sa.column('id', sa.Integer), sa.column('phone', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(access.c.id, access.c.phone).where(access.c.phone.is_not(None))).all()
    for row_id, phone in rows:
        if _mobile(phone) != phone:
            conn.execute(access.update().where(access.c.id == row_id).values(phone=_mobile(phone)))


def downgrade():
    op.drop_table('sms_template')
    with op.batch_alter_table('outbox_message') as batch_op:
        for column in ('provider_code', 'template_params', 'template_code', 'channel'):
            batch_op.drop_column(column)
