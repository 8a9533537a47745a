"""The periodic reports flowing up the organisation (the retail chain's 月报表 and 季度文字分析材料):
one row per unit, kind and period, its figures frozen as JSON when the unit submits it."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.org import Unit, User, enum_column


class ReportKind(str, enum.Enum):
    MONTHLY = "monthly"       # 月度报表: figures and a short comment
    QUARTERLY = "quarterly"   # 季度文字分析材料: the quarter's figures and a written analysis in five parts
    ANNUAL = "annual"         # 年度报告: the top level's report on the year, to the leaders


class PeriodicReport(db.Model):
    __tablename__ = "periodic_report"
    __table_args__ = (UniqueConstraint("kind", "unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    period: Mapped[str] = mapped_column(String(10))      # services.periods' code: 2026-10, 2026-Q4
    level: Mapped[int]                                   # the step of the chain: 0 the stores, 1 above them, …
    due_date: Mapped[date]                               # a local day in the business time zone
    created_at: Mapped[datetime]
    figures: Mapped[Optional[dict]] = mapped_column(JSON)  # frozen at submission; computed live before
    parts: Mapped[Optional[dict]] = mapped_column(JSON)    # the unit's text: {"comment": …} or the five parts
    submitted_at: Mapped[Optional[datetime]]
    submitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    read_at: Mapped[Optional[datetime]]
    read_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    # The reminders, each claimed once: the (working) day before the due date, and the due date.
    reminded_at: Mapped[Optional[datetime]]
    due_reminded_at: Mapped[Optional[datetime]]

    unit: Mapped[Unit] = relationship(lazy="joined")
    submitted_by: Mapped[Optional[User]] = relationship(foreign_keys=[submitted_by_id])
    read_by: Mapped[Optional[User]] = relationship(foreign_keys=[read_by_id])

    def __repr__(self) -> str:
        return f"<PeriodicReport {self.kind.value} {self.period} unit={self.unit_id}>"
