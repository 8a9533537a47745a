"""E-mail received at the complaints address, one row per message (by Message-ID): a message
delivered twice is recognised, and what became of each (a complaint, a reply on one, or dropped
as an auto-reply, a bounce or a loop) stays on record."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class InboundMail(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the Message-ID (of the whole message when it has none): the idempotency key.
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(String(300), default="")
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))       # complaint, reply, dropped
    reason: Mapped[Optional[str]] = mapped_column(String(100))   # why it was dropped
    complaint_id: Mapped[Optional[int]] = mapped_column(ForeignKey("complaint.id"), index=True)
