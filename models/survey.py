"""The customers' opinion survey (用户意见调查表): a round sent to a list of customers, each
answering once through a personal link, and the round's summary (用户意见调查汇总表)."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.org import User


class SurveyItem(str, enum.Enum):
    """The fixed questions, each scored 1 (very unsatisfied) to 5 (very satisfied)."""
    PROPERTY_SERVICE = "property_service"   # 物业服务
    REPAIRS = "repairs"                     # 维修及时
    CLEANING = "cleaning"                   # 清洁绿化
    SECURITY = "security"                   # 安全秩序
    COMPLAINTS = "complaints"               # 投诉处理


SCORES = (5, 4, 3, 2, 1)


class SurveyRound(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[Optional[datetime]]
    # The lines of the pasted or uploaded list left out as unusable: [{"line": "…", "text": "…", "reason": "…"}].
    left_out: Mapped[list] = mapped_column(JSON, default=list)
    # The center was reminded that the next round is due (once, by the worker).
    next_reminded_at: Mapped[Optional[datetime]]

    created_by: Mapped[User] = relationship()
    recipients: Mapped[list["SurveyRecipient"]] = relationship(
        back_populates="round", order_by="SurveyRecipient.id", cascade="all, delete-orphan")


class SurveyRecipient(db.Model):
    """One customer of a round. The personal link's token is made when the round is sent and only
    its hash kept; the answer is written once (answered_at)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id"))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    mobile: Mapped[Optional[str]] = mapped_column(String(11))
    complaint_id: Mapped[Optional[int]] = mapped_column(ForeignKey("complaint.id"))   # a customer of that complaint
    token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    sent_at: Mapped[Optional[datetime]]
    answered_at: Mapped[Optional[datetime]]
    scores: Mapped[Optional[dict]] = mapped_column(JSON)     # item key -> 1..5
    comment: Mapped[Optional[str]] = mapped_column(Text)

    round: Mapped[SurveyRound] = relationship(back_populates="recipients")

    __table_args__ = (Index("ix_survey_recipient_round", "round_id", "id"),)
