"""E-mails and text messages waiting to be sent. Written in the same transaction as the change that
causes them, so nothing is lost when Redis, the SMTP server or the SMS provider is down; the worker
sends and retries them."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.org import enum_column


class OutboxState(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"   # claimed by one worker until claimed_until (machine time, not the business clock)
    SENT = "sent"
    FAILED = "failed"     # given up after notify.MAX_ATTEMPTS; the administrator's outbox page can retry it
    DROPPED = "dropped"   # no longer needed when its turn came (a reminder of a deadline met meanwhile)


class OutboxChannel(str, enum.Enum):
    EMAIL = "email"
    SMS = "sms"       # to_addr is the mobile number; sent through services.sms_gateways


class OutboxMessage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[Optional[str]] = mapped_column(Text)
    state: Mapped[OutboxState] = mapped_column(enum_column(OutboxState), default=OutboxState.PENDING)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[Optional[datetime]]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[Optional[str]] = mapped_column(String(500))
    sent_at: Mapped[Optional[datetime]]
    complaint_id: Mapped[Optional[int]] = mapped_column(index=True)
    channel: Mapped[OutboxChannel] = mapped_column(enum_column(OutboxChannel), default=OutboxChannel.EMAIL)
    # SMS only: the provider's template and its parameters (a JSON object, in the template's order).
    template_code: Mapped[Optional[str]] = mapped_column(String(64))
    template_params: Mapped[Optional[str]] = mapped_column(Text)
    # The provider's code of the last failure (e.g. isv.MOBILE_NUMBER_ILLEGAL), or of the sent message's id.
    provider_code: Mapped[Optional[str]] = mapped_column(String(100))
    # An e-mail rendered when it is sent (notify.queue_later; subject and bodies empty until then):
    # templates/email/<template>.*, in the recipient's language `locale`, reading the objects whose
    # ids template_context holds ({"complaint_id": 1, "deadline_id": 2, "user_id": 3}).
    template: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(10))
    template_context: Mapped[dict | None] = mapped_column(JSON)

    __table_args__ = (
        # The delivery job reads only what is unsent and due; sent and dropped mail stays for the record.
        Index("ix_outbox_unsent_due", "next_attempt_at",
              sqlite_where=db.text("state NOT IN ('sent', 'dropped')"),
              postgresql_where=db.text("state NOT IN ('sent', 'dropped')")),
    )
