"""The customer's side of a complaint: how they reach its tracking page, what they were told or
added, and the notice templates the administrator edits."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.org import enum_column


class NoticeKind(str, enum.Enum):
    ACCEPTANCE = "acceptance"   # the complaint is registered: number and tracking code
    PLAN = "plan"               # the handling plan is decided
    RESULT = "result"           # the result is given
    CLOSURE = "closure"         # the complaint is closed
    LINK = "link"               # a one-time link to the tracking page, asked for by the customer
    EXTENSION = "extension"     # the final decision deadline was extended, with the reason
    SURVEY = "survey"           # an invitation to the customers' opinion survey (where the profile keeps it)


class ContactKind(str, enum.Enum):
    """What a contact the customer left is, so each notice goes where it can be carried."""
    MOBILE = "mobile"       # a mainland mobile number: texts
    LANDLINE = "landline"   # nothing automatic reaches it: the customer is told by phone
    EMAIL = "email"
    OTHER = "other"         # WeChat or anything else: told by hand


class MessageDirection(str, enum.Enum):
    OUT = "out"   # a notice to the customer
    IN = "in"     # information the customer added on the tracking page


class CustomerAccess(db.Model):
    """The customer's key to one complaint's tracking page. Only a hash of the tracking code is
    kept; the one-time link carries `link_nonce`, renewed each time a link is used."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    link_nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class CustomerMessage(db.Model):
    """What the customer was sent (by e-mail or SMS) or added, as they see it on the tracking page."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))
    at: Mapped[datetime]
    direction: Mapped[MessageDirection] = mapped_column(enum_column(MessageDirection))
    channel: Mapped[str] = mapped_column(String(16))   # email, sms, web
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_customer_message_complaint", "complaint_id", "id"),)


class NoticeTemplate(db.Model):
    """A notice's subject and body in one language, with {{ placeholders }} (sandboxed Jinja)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[Optional[datetime]]

    __table_args__ = (UniqueConstraint("kind", "language", name="uq_notice_template_kind_language"),)


class SmsTemplate(db.Model):
    """The SMS provider's template for one kind of notice (providers in mainland China send only
    registered templates): its code, and which placeholders fill its parameters, in order."""
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind), unique=True)
    code: Mapped[str] = mapped_column(String(64))
    params: Mapped[str] = mapped_column(String(300), default="")   # placeholder names, comma-separated
    updated_at: Mapped[Optional[datetime]]
