"""Corrective and preventive actions (纠正及预防措施): recorded by the department that answered a
complaint, each with an owner and a due date, marked done by its owner. Every change goes on the
complaint's history."""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import ColumnElement, Select, and_, false, select, true

from extensions import db
from models import CauseKind, Complaint, CorrectiveAction, Role, User
from services import clock, policy
from services.errors import Refused
from services.timeline import log_event


def can_record_action(user: User, complaint: Complaint) -> bool:
    """The department or branch that answered the complaint (or the service center, which follows up on it)."""
    answer = complaint.latest_answer
    if answer is None:
        return False
    return ((user.role in policy.DEPARTMENT_ROLES | policy.BRANCH_ROLES and user.unit_id == answer.unit_id)
            or user.role == Role.CENTER)


def can_complete(user: User, action: CorrectiveAction) -> bool:
    """Its owner, or the head of the owner's department (or branch)."""
    return action.done_at is None and (
        user.id == action.owner_id or (user.role in policy.UNIT_HEAD_ROLES and user.unit_id == action.unit_id))


def owner_choices(complaint: Complaint) -> list[User]:
    """Who may own an action: the active people of the department that answered."""
    answer = complaint.latest_answer
    if answer is None:
        return []
    return list(db.session.scalars(select(User).where(User.unit_id == answer.unit_id, User.active.is_(True))
                                   .order_by(User.id).limit(200)))


def record_action(complaint: Complaint, actor: User, cause_kind: CauseKind, description: str, preventive: bool,
                  owner: User, due_date: date) -> CorrectiveAction:
    if not can_record_action(actor, complaint):
        raise Refused()
    if owner not in owner_choices(complaint) or due_date < clock.to_local(clock.now()).date():
        raise Refused()
    answer = complaint.latest_answer
    action = CorrectiveAction(complaint_id=complaint.id, answer_id=answer.id, unit_id=answer.unit_id,
                              cause_kind=cause_kind, description=description, preventive=preventive,
                              owner=owner, due_date=due_date, created_at=clock.now(), created_by=actor)
    db.session.add(action)
    db.session.flush()
    log_event(complaint, actor, "action_recorded", f"{owner.name} · {due_date:%Y-%m-%d}: {description}")
    return action


def complete_action(action: CorrectiveAction, actor: User, note: str) -> None:
    if not can_complete(actor, action):
        raise Refused()
    action.done_at = clock.now()
    action.done_note = note
    log_event(action.complaint, actor, "action_done", f"{action.description}: {note}")


def visible_actions(user: User) -> ColumnElement[bool]:
    """Departments see their own actions; the center and leaders all; branches those on their complaints."""
    if user.role in policy.SEE_ALL_ROLES:
        return true()
    if user.role in policy.DEPARTMENT_ROLES:
        return CorrectiveAction.unit_id == user.unit_id
    if user.role in policy.BRANCH_ROLES:
        return CorrectiveAction.complaint_id.in_(select(Complaint.id).where(policy.visible_complaints(user)))
    return false()


def actions_query(user: User, status: str) -> Select:
    """open (the nearest due date first), overdue, done (the latest first) or all."""
    today = clock.to_local(clock.now()).date()
    query = select(CorrectiveAction).where(visible_actions(user))
    if status == "open":
        return query.where(CorrectiveAction.done_at.is_(None)).order_by(CorrectiveAction.due_date, CorrectiveAction.id)
    if status == "overdue":
        return query.where(and_(CorrectiveAction.done_at.is_(None), CorrectiveAction.due_date < today)).order_by(
            CorrectiveAction.due_date, CorrectiveAction.id)
    if status == "done":
        return query.where(CorrectiveAction.done_at.is_not(None)).order_by(CorrectiveAction.done_at.desc())
    return query.order_by(CorrectiveAction.id.desc())


def actions_of(complaint: Complaint) -> list[CorrectiveAction]:
    return list(db.session.scalars(select(CorrectiveAction).where(CorrectiveAction.complaint_id == complaint.id)
                                   .order_by(CorrectiveAction.id)))


def get_action(action_id: int, user: User) -> Optional[CorrectiveAction]:
    return db.session.scalar(select(CorrectiveAction).where(CorrectiveAction.id == action_id, visible_actions(user)))
