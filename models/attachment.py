"""Evidence on a complaint: photos, PDFs, recordings. The bytes live on disk (ATTACHMENTS_DIR)
under a random name; this row says what they are and who brought them."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.org import User


class Attachment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)   # random; never the user's name
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))              # from the bytes, not the browser
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))   # None: the customer
    uploaded_at: Mapped[datetime]

    uploaded_by: Mapped[Optional[User]] = relationship(lazy="joined")

    __table_args__ = (Index("ix_attachment_complaint", "complaint_id", "id"),)
