"""The deadline sweep run by the worker every minute: a reminder before each deadline, an overdue
notice when it passes, and a notice one level higher when it stays missed (time escalation). Each notice is claimed on its Deadline row
with a conditional UPDATE in the same transaction as its e-mails, so a notice goes out exactly once
however many workers sweep at the same time. The queries read only pending rows (partial indexes)."""
from __future__ import annotations

from sqlalchemy import select, update

from extensions import db
from models import ComplaintState, Deadline, DeadlineKind, Role, User
from services import clock, notify
from services.complaints import center_staff, department_recipients, leaders, log_event, unit_members

BATCH = 500
HEAD_ROLES = {Role.BRANCH_HEAD, Role.DEPT_HEAD}


def assignees(deadline: Deadline) -> list[User]:
    """Who must act before this deadline: the department for its answer, the service center for
    the return visit, and otherwise the first-responsible owner."""
    complaint = deadline.complaint
    if deadline.kind == DeadlineKind.ANSWER or (
            deadline.kind == DeadlineKind.PROGRESS and complaint.state == ComplaintState.DISPATCHED):
        return department_recipients(complaint)
    if deadline.kind == DeadlineKind.RETURN_VISIT:
        return center_staff() or [complaint.owner]
    if complaint.handler is not None and complaint.handler.id != complaint.owner_id:
        return [complaint.owner, complaint.handler]
    return [complaint.owner]


def supervisors(deadline: Deadline) -> list[User]:
    complaint = deadline.complaint
    unit_id = complaint.handling_unit_id if deadline.kind == DeadlineKind.ANSWER else complaint.unit_id
    return unit_members(unit_id, HEAD_ROLES)


def _claim(deadline_id: int, column, now) -> bool:
    result = db.session.execute(
        update(Deadline)
        .where(Deadline.id == deadline_id, Deadline.met_at.is_(None), column.is_(None))
        .values({column: now}))
    return result.rowcount == 1


def sweep() -> dict:
    now = clock.now()
    overdue_ids = db.session.scalars(
        select(Deadline.id)
        .where(Deadline.met_at.is_(None), Deadline.overdue_notified_at.is_(None), Deadline.due_at <= now)
        .order_by(Deadline.due_at).limit(BATCH)).all()
    overdue = 0
    for deadline_id in overdue_ids:
        if _claim(deadline_id, Deadline.overdue_notified_at, now):
            # A deadline first seen already passed gets the overdue notice only.
            db.session.execute(update(Deadline).where(Deadline.id == deadline_id, Deadline.reminded_at.is_(None))
                               .values(reminded_at=now))
            deadline = db.session.get(Deadline, deadline_id)
            recipients = {u.id: u for u in assignees(deadline) + supervisors(deadline)}
            _notify(deadline, "overdue", recipients.values())
            overdue += 1
        db.session.commit()

    reminder_ids = db.session.scalars(
        select(Deadline.id)
        .where(Deadline.met_at.is_(None), Deadline.reminded_at.is_(None), Deadline.remind_at <= now,
               Deadline.due_at > now)
        .order_by(Deadline.remind_at).limit(BATCH)).all()
    reminded = 0
    for deadline_id in reminder_ids:
        if _claim(deadline_id, Deadline.reminded_at, now):
            deadline = db.session.get(Deadline, deadline_id)
            _notify(deadline, "reminder", assignees(deadline))
            reminded += 1
        db.session.commit()
    escalation_ids = db.session.scalars(
        select(Deadline.id)
        .where(Deadline.met_at.is_(None), Deadline.escalated_at.is_(None), Deadline.escalate_at <= now)
        .order_by(Deadline.escalate_at).limit(BATCH)).all()
    escalated = 0
    for deadline_id in escalation_ids:
        if _claim(deadline_id, Deadline.escalated_at, now):
            deadline = db.session.get(Deadline, deadline_id)
            _notify(deadline, "escalated", leaders())
            escalated += 1
        db.session.commit()
    return {"reminded": reminded, "overdue": overdue, "escalated": escalated}


def _notify(deadline: Deadline, template: str, recipients) -> None:
    complaint = deadline.complaint
    names = []
    for user in recipients:
        notify.queue_email(user, template, complaint_id=complaint.id, complaint=complaint, deadline=deadline)
        names.append(user.name)
    log_event(complaint, None, f"{template}_{deadline.kind.value}", ", ".join(names))
