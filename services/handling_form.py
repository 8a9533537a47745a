"""The printed complaint handling form (客户投诉处理单) as rounds: the first handling, the second after
an unsatisfied return visit, and the leader's final decision. The complaint keeps only the latest
result told, so each round's result is read back from the history."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import Answer, Complaint, ComplaintEvent, Plan, ReturnVisit, User


@dataclass
class Round:
    number: int
    plans: list[Plan] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)          # the ones kept (not sent back)
    results: list[ComplaintEvent] = field(default_factory=list)  # what the customer was told, and when
    visits: list[ReturnVisit] = field(default_factory=list)


@dataclass
class Decision:
    text: str
    at: datetime
    leader: Optional[User]


def rounds(complaint: Complaint) -> list[Round]:
    """Every handling round of the complaint, oldest first. The results told are history entries:
    those before the n-th reopening belong to round n (by the history's order, not its clock)."""
    events = db.session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action.in_(("result_given", "reopened")))
        .order_by(ComplaintEvent.id)).all()
    found = [Round(number) for number in range(1, complaint.round + 1)]
    for plan in complaint.plans:
        found[plan.round - 1].plans.append(plan)
    for answer in complaint.answers:
        if answer.returned_at is None:
            found[answer.round - 1].answers.append(answer)
    current = 1
    for event in events:
        if event.action == "reopened":
            current += 1
        else:
            found[min(current, complaint.round) - 1].results.append(event)
    for visit in complaint.visits:
        found[visit.round - 1].visits.append(visit)
    return found


def leader_decision(complaint: Complaint) -> Optional[Decision]:
    if not complaint.decision:
        return None
    event = db.session.scalar(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "leader_decided")
        .order_by(ComplaintEvent.id.desc()).limit(1))
    return Decision(complaint.decision, event.at if event else complaint.closed_at, event.actor if event else None)
