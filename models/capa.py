"""纠正及预防措施记录表: the responsible department's own record of a complaint's cause, correction and
preventive measure, which the 分管领导 signs off where the organisation's profile keeps `capa_signoff`."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.complaint import Complaint
from models.org import Unit, User, enum_column


class CapaState(str, enum.Enum):
    SUBMITTED = "submitted"      # the department sent it; it waits for the 分管领导
    RETURNED = "returned"        # sent back with a reason; the department fixes and submits again
    SIGNED_OFF = "signed_off"    # the 分管领导 approved it


class CapaRecord(db.Model):
    """One record per complaint and handling round, kept up to date as it goes back and forth."""
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))
    round: Mapped[int] = mapped_column(default=1)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))          # the responsible department
    cause: Mapped[str] = mapped_column(Text)                             # 原因分析
    correction: Mapped[str] = mapped_column(Text)                        # 纠正措施
    preventive: Mapped[str] = mapped_column(Text)                        # 预防措施
    responsible: Mapped[str] = mapped_column(String(100))                # 责任人
    due_date: Mapped[date] = mapped_column(Date)                         # 完成期限
    state: Mapped[CapaState] = mapped_column(enum_column(CapaState))
    submitted_at: Mapped[datetime]
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[Optional[datetime]]
    reviewer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    review_note: Mapped[Optional[str]] = mapped_column(Text)             # the reason of a send-back, or a comment

    complaint: Mapped[Complaint] = relationship()
    unit: Mapped[Unit] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    reviewer: Mapped[Optional[User]] = relationship(foreign_keys=[reviewer_id])

    __table_args__ = (
        UniqueConstraint("complaint_id", "round", name="uq_capa_record_complaint_round"),
        # The records waiting for the 分管领导 (their work list, the records list's first view).
        Index("ix_capa_record_state", "state", "submitted_at"),
    )
