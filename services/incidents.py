"""Concentrated complaints (集中性): the open incidents, their complaints, and the transitions applied
to every complaint of an incident at once."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import func, select

from extensions import db
from models import Complaint, ContactChannel, Incident, Unit, User
from services import complaints, policy


def open_incidents(viewer: Optional[User] = None) -> list[Incident]:
    """The open incidents, newest first; with `viewer`, only those the viewer may open."""
    query = select(Incident).where(Incident.closed_at.is_(None))
    if viewer is not None:
        query = query.where(policy.visible_incidents(viewer))
    return list(db.session.scalars(query.order_by(Incident.id.desc()).limit(100)))


def may_join(viewer: User, incident_id: int) -> bool:
    """Whether `viewer` may link a complaint to this incident: it is open and one the viewer may open."""
    if not 0 < incident_id < 2**31:   # no database integer
        return False
    return db.session.scalar(select(Incident.id).where(
        Incident.id == incident_id, Incident.closed_at.is_(None), policy.visible_incidents(viewer))) is not None


def count_open_incidents() -> int:
    return db.session.scalar(select(func.count()).select_from(Incident).where(Incident.closed_at.is_(None)))


def incident_complaints(incident: Incident, user: User) -> list[Complaint]:
    return list(db.session.scalars(select(Complaint).where(
        Complaint.incident_id == incident.id, policy.visible_complaints(user)).order_by(Complaint.id)))


def _for_each_of_incident(incident: Incident, actor: User, allowed, transition) -> int:
    """Apply `transition` to every complaint of the incident that `actor` may apply it to now."""
    ready = [c for c in incident_complaints(incident, actor) if allowed(actor, c)]
    for complaint in ready:
        transition(complaint)
    return len(ready)


def dispatch_incident(incident: Incident, actor: User, unit: Unit) -> int:
    """Route every waiting complaint of the incident that `actor` may route to one department or branch
    (those that branch received itself stay with it)."""
    return _for_each_of_incident(incident, actor, lambda user, c: policy.can_dispatch(user, c) and c.unit_id != unit.id,
                                 lambda c: complaints.dispatch_complaint(c, actor, unit))


def answer_incident(incident: Incident, actor: User, cause: str, result: str, corrective_action: str,
                    preventive_action: str) -> int:
    """One answer for every complaint of the incident waiting for `actor`'s department."""
    return _for_each_of_incident(incident, actor, policy.can_answer, lambda c: complaints.answer_complaint(
        c, actor, cause, result, corrective_action, preventive_action))


def give_incident_result(incident: Incident, actor: User, result: str, channel: ContactChannel) -> int:
    """Tell every customer of the incident that `actor` answers for the same result."""
    return _for_each_of_incident(incident, actor, policy.can_give_result,
                                 lambda c: complaints.give_result(c, actor, result, channel))
