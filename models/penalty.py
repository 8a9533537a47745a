"""Penalty proposals (处罚意见): the service center or a department proposes a penalty against a
responsible unit or person for a complaint; the assessment unit (综合部) decides it and executes it."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.complaint import Complaint
from models.org import Unit, User, enum_column


class PenaltyState(str, enum.Enum):
    PROPOSED = "proposed"     # waits for the assessment unit's decision
    ACCEPTED = "accepted"     # decided: the penalty stands, to be executed
    REJECTED = "rejected"     # decided: no penalty, with the reason
    EXECUTED = "executed"     # carried out


class Penalty(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    target_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))          # the unit, or the person's unit
    target_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))  # the person, when one
    reason: Mapped[str] = mapped_column(Text)
    proposed_penalty: Mapped[str] = mapped_column(Text)
    proposed_at: Mapped[datetime]
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    state: Mapped[PenaltyState] = mapped_column(enum_column(PenaltyState), default=PenaltyState.PROPOSED)
    decided_at: Mapped[Optional[datetime]]
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    decided_penalty: Mapped[Optional[str]] = mapped_column(Text)       # the penalty as decided (accepted)
    decision_note: Mapped[Optional[str]] = mapped_column(Text)         # the reason of a rejection, or a note
    executed_on: Mapped[Optional[date]] = mapped_column(Date)
    executed_at: Mapped[Optional[datetime]]                            # when it was recorded
    executed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    execution_note: Mapped[Optional[str]] = mapped_column(Text)

    complaint: Mapped[Complaint] = relationship()
    target_unit: Mapped[Unit] = relationship()
    target_user: Mapped[Optional[User]] = relationship(foreign_keys=[target_user_id])
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])
    executed_by: Mapped[Optional[User]] = relationship(foreign_keys=[executed_by_id])

    __table_args__ = (
        # The assessment unit's list: what waits on it (proposed, accepted), the oldest first.
        Index("ix_penalty_state", "state", "proposed_at"),
    )
