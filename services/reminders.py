"""The deadline sweep run by the worker every minute: a reminder before each deadline, an overdue
notice when it passes, and a notice one level higher when it stays missed (time escalation).
Each notice is claimed on its Deadline row with a conditional UPDATE in the same transaction as
its e-mails, so a notice goes out exactly once however many workers sweep at the same time.
The queries read only pending rows (partial indexes)."""
from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Complaint, ComplaintState, Deadline, DeadlineKind, Role, User
from services import calendar, clock, deadlines, notify, sql, stuck_plans
from services.recipients import (center_staff, department_recipients, leaders, plan_approvers, reachable,
                                 unit_members)
from services.timeline import log_event

BATCH = 500   # notices of one kind per sweep; the rest wait for the next tick
CHUNK = 100   # claimed and committed together
HEAD_ROLES = {Role.BRANCH_HEAD, Role.DEPT_HEAD}


def assignees(deadline: Deadline) -> list[User]:
    """Who must act before this deadline: the department for its answer, the service center for
    the return visit, and otherwise the first-responsible owner; for a disabled account, its unit's head."""
    return reachable(_assignees(deadline))


def _assignees(deadline: Deadline) -> list[User]:
    complaint = deadline.complaint
    if deadline.kind in deadlines.DEPARTMENT_CLOCKS or (
            deadline.kind == DeadlineKind.PROGRESS and complaint.state == ComplaintState.DISPATCHED):
        return department_recipients(complaint)
    if deadline.kind == DeadlineKind.RETURN_VISIT:
        return center_staff() or [complaint.owner]
    if deadline.kind == DeadlineKind.PLAN_APPROVAL:
        return plan_approvers(complaint)
    if deadline.kind == DeadlineKind.CAPA_SIGNOFF:
        return leaders()
    if complaint.handler is not None and complaint.handler.id != complaint.owner_id:
        return [complaint.owner, complaint.handler]
    return [complaint.owner]


def supervisors(deadline: Deadline) -> list[User]:
    complaint = deadline.complaint
    if deadline.kind == DeadlineKind.PLAN_APPROVAL:
        return leaders()
    if deadline.kind == DeadlineKind.CAPA_SIGNOFF:   # the service center submits it to the 分管领导
        return center_staff()
    unit_id = complaint.handling_unit_id if deadline.kind in deadlines.DEPARTMENT_CLOCKS else complaint.unit_id
    return unit_members(unit_id, HEAD_ROLES)


def _claim_due(column, time_column, now, extra=()) -> list[int]:
    """Claim up to CHUNK deadlines whose `column` notice is due (services.sql.claim): a row's
    notice is claimed by exactly one transaction."""
    due = (select(Deadline.id)
           .where(Deadline.met_at.is_(None), column.is_(None), time_column <= now, *extra)
           .order_by(time_column).limit(CHUNK))
    return sql.claim(Deadline, due, and_(Deadline.met_at.is_(None), column.is_(None)), {column: now})


def _each_due(column, time_column, now, send, extra=()) -> int:
    """Claim and notify up to BATCH due deadlines, committing each chunk with its e-mails."""
    done = 0
    while done < BATCH:
        ids = _claim_due(column, time_column, now, extra)
        # One query for the chunk and its people, and one flush at the commit (the e-mails and
        # timeline rows are inserted together), instead of a round trip or two per notice.
        with db.session.no_autoflush:
            for deadline in _with_people(ids):
                send(deadline)
        db.session.commit()
        done += len(ids)
        if len(ids) < CHUNK:
            break
    return done


def _with_people(ids: list[int]) -> list[Deadline]:
    complaint = selectinload(Deadline.complaint)
    return list(db.session.scalars(
        select(Deadline).where(Deadline.id.in_(ids)).order_by(Deadline.id)
        .options(complaint.joinedload(Complaint.owner).selectinload(User.unit),
                 complaint.selectinload(Complaint.handler).selectinload(User.unit),
                 complaint.selectinload(Complaint.assignee).selectinload(User.unit),
                 complaint.selectinload(Complaint.unit))))


def sweep() -> dict:
    now = clock.now()

    def overdue(deadline: Deadline) -> None:
        # A deadline first seen already passed gets the overdue notice only.
        deadline.reminded_at = deadline.reminded_at or now
        recipients = {u.id: u for u in assignees(deadline) + supervisors(deadline)}
        _notify(deadline, "overdue", recipients.values())

    return {
        "overdue": _each_due(Deadline.overdue_notified_at, Deadline.due_at, now, overdue),
        "reminded": _each_due(Deadline.reminded_at, Deadline.remind_at, now,
                              lambda deadline: _notify(deadline, "reminder", assignees(deadline)),
                              (Deadline.due_at > now,)),
        "escalated": _each_due(Deadline.escalated_at, Deadline.escalate_at, now,
                               lambda deadline: _notify(deadline, "escalated", leaders())),
    }


def _notify(deadline: Deadline, template: str, recipients) -> None:
    """Queue the notice for each recipient, delivered in the recipient's working hours unless the
    complaint is level 1 or major, whose notices go at once (day or night)."""
    complaint = deadline.complaint
    urgent = complaint.level == 1 or complaint.is_major
    names = []
    for user in recipients:
        message = notify.queue_email(user, template, complaint_id=complaint.id, complaint=complaint,
                                     deadline=deadline)
        if not urgent:
            message.next_attempt_at = calendar.next_working_moment(message.next_attempt_at, user.unit)
        names.append(user.name)
    log_event(complaint, None, f"{template}_{deadline.kind.value}", ", ".join(names))
    if deadline.kind == DeadlineKind.PLAN_APPROVAL:   # a plan nobody may approve: the administrators, once
        stuck_plans.tell_admins(complaint)
