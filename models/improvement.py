"""Corrective and preventive actions (纠正及预防措施) from a department's answer, tracked to completion."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.complaint import Answer, Complaint
from models.org import Unit, User, enum_column


class CauseKind(str, enum.Enum):
    """The root cause's kind, so that recurring causes can be counted (the answer's text cannot)."""
    STAFF = "staff"                 # 人员：态度、技能、违规
    PROCESS = "process"             # 制度流程
    SYSTEM = "system"               # 系统 / 设备
    PRODUCT = "product"             # 产品设计、定价、收费
    FACILITY = "facility"           # 环境设施
    THIRD_PARTY = "third_party"     # 合作方、外包
    MISUNDERSTANDING = "misunderstanding"   # 客户误解、信息不对称
    OTHER = "other"


class CorrectiveAction(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    answer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("answer.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))          # the department that answered
    cause_kind: Mapped[CauseKind] = mapped_column(enum_column(CauseKind))
    description: Mapped[str] = mapped_column(Text)
    preventive: Mapped[bool] = mapped_column(default=False)               # prevents recurrence, not just corrects
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    done_at: Mapped[Optional[datetime]]
    done_note: Mapped[Optional[str]] = mapped_column(Text)

    complaint: Mapped[Complaint] = relationship()
    answer: Mapped[Optional[Answer]] = relationship()
    unit: Mapped[Unit] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (
        # The open actions of a unit, the nearest due date first; the overdue list reads the same index.
        Index("ix_corrective_action_open", "unit_id", "due_date",
              sqlite_where=db.text("done_at IS NULL"), postgresql_where=db.text("done_at IS NULL")),
        Index("ix_corrective_action_owner", "owner_id", "done_at"),
    )

    def is_overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_date < today
