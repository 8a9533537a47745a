"""What the organisation's own records (services.org_settings) keep of their own: the weekly 投诉统计表
e-mailed once per week."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.complaint import Complaint


class StatisticsSheetMailing(db.Model):
    """The weekly list of the 投诉统计表 sent for one week (its Monday): the unique week is the claim
    that makes two workers, or two runs, send it once."""
    __tablename__ = "statistics_sheet_mailing"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(unique=True)
    sent_at: Mapped[datetime]
    recipients: Mapped[int]
    complaints: Mapped[int]


# The week's list reads the complaints received (受理) in a week: a range read, not a scan of every complaint.
Index("ix_complaint_received", Complaint.received_at, Complaint.id)
