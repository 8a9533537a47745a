"""The deadline sweep run by the worker every minute: a reminder before each deadline, an overdue
notice when it passes, and a notice one level higher when it stays missed (time escalation).
A chunk of notices is claimed on its Deadline rows with one conditional UPDATE … RETURNING, in the
same transaction as its e-mails and history rows, so a notice goes out exactly once however many
workers sweep at the same time. A chunk costs a fixed handful of statements whatever its size: the
claim, its complaints and their people (one query each), and its history rows and e-mails written
at once (services.sql.insert_rows), the e-mails to be rendered when they are sent
(services.notify.queue_later). The queries read only pending rows (partial indexes)."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from extensions import db
from models import Complaint, ComplaintEvent, ComplaintState, Deadline, DeadlineKind, Role, User
from services import calendar, clock, deadlines, notify, sql, stuck_plans
from services.recipients import (center_staff, department_recipients, leaders, plan_approvers, reachable,
                                 unit_members)

BATCH = 5000  # notices of one kind per sweep; the rest wait for the next tick (enqueued at once)
# Claimed and committed together: 2,500 cost a fifth less CPU a notice than 500 (measured, docs/
# benchmarks.md); a smaller chunk holds its rows' locks for less time. SWEEP_CHUNK sets it.
CHUNK = int(os.environ.get("SWEEP_CHUNK", "2500"))
HEAD_ROLES = {Role.BRANCH_HEAD, Role.DEPT_HEAD}
# Kinds whose recipients read more of the complaint than a row of _cases holds (its plans).
WHOLE_RECORD = {DeadlineKind.PLAN_APPROVAL}


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
        return leaders_but_the_one_complained_about(deadline)
    if deadline.kind == DeadlineKind.CAPA_SIGNOFF:   # the service center submits it to the 分管领导
        return center_staff()
    unit_id = complaint.handling_unit_id if deadline.kind in deadlines.DEPARTMENT_CLOCKS else complaint.unit_id
    return unit_members(unit_id, HEAD_ROLES)


def leaders_but_the_one_complained_about(deadline) -> list[User]:
    """The leaders told one level up, without the leader the complaint is about (回避); the service
    center when that leaves nobody."""
    about = deadline.complaint.object_user_id
    return [u for u in leaders() if u.id != about] or center_staff()


@dataclass(slots=True)
class _Case:
    """What the recipient rules (assignees, supervisors) read of a complaint: one row of _cases."""
    id: int
    state: ComplaintState
    level: int
    is_major: bool
    unit_id: int
    handling_unit_id: int | None
    owner_id: int
    owner: User
    handler: User | None
    assignee: User | None
    object_user_id: int | None


@dataclass(slots=True)
class _Due:
    """A claimed deadline, as assignees() and supervisors() read it."""
    id: int
    kind: DeadlineKind
    complaint: _Case | Complaint


def _claim_due(column, time_column, values: dict, now, extra=()) -> list:
    """Claim up to CHUNK deadlines whose `column` notice is due, in one UPDATE … RETURNING
    (services.sql.claim): a row's notice is claimed by exactly one transaction."""
    due = (select(Deadline.id)
           .where(Deadline.met_at.is_(None), column.is_(None), time_column <= now, *extra)
           .order_by(time_column).limit(CHUNK))
    return sorted(sql.claim(Deadline, due, and_(Deadline.met_at.is_(None), column.is_(None)), values,
                            returning=(Deadline.id, Deadline.complaint_id, Deadline.kind)))


def _each_due(column, time_column, now, notice: str, recipients: Callable[[_Due], list[User]],
              extra=(), values: dict | None = None) -> int:
    """Claim and notify up to BATCH due deadlines, committing each chunk with its e-mails."""
    done = 0
    while done < BATCH:
        claimed = _claim_due(column, time_column, values or {column: now}, now, extra)
        if claimed:
            _notify(_with_cases(claimed), notice, recipients)
        db.session.commit()
        done += len(claimed)
        if len(claimed) < CHUNK:
            break
    return done


def _with_cases(claimed) -> list[_Due]:
    # Rows unpacked (deadline id, complaint id, kind): a Row's attribute by name costs about a
    # microsecond, and a chunk reads thousands.
    cases = _cases({complaint_id for _, complaint_id, _ in claimed})
    whole_ids = {complaint_id for _, complaint_id, kind in claimed if kind in WHOLE_RECORD}
    whole = {c.id: c for c in db.session.scalars(select(Complaint).where(sql.among(Complaint.id, whole_ids)))} \
        if whole_ids else {}
    return [_Due(deadline_id, kind, whole.get(complaint_id) or cases[complaint_id])
            for deadline_id, complaint_id, kind in claimed]


def _cases(ids: set[int]) -> dict[int, _Case]:
    """The chunk's complaints as plain rows, and their owners, handlers and assignees: two queries,
    not an ORM load of every complaint."""
    rows = db.session.execute(select(
        Complaint.id, Complaint.state, Complaint.level, Complaint.is_major.label("is_major"), Complaint.unit_id,
        Complaint.handling_unit_id, Complaint.owner_id, Complaint.handler_id, Complaint.assignee_id,
        Complaint.object_user_id)
        .where(sql.among(Complaint.id, ids))).all()
    people_ids = {i for row in rows for i in row[6:9] if i is not None}   # owner, handler, assignee
    people = {u.id: u for u in db.session.scalars(select(User).where(sql.among(User.id, people_ids)))}
    return {complaint_id: _Case(complaint_id, state, level, bool(major), unit_id, handling_unit_id, owner_id,
                                people[owner_id], people.get(handler_id), people.get(assignee_id), object_user_id)
            for (complaint_id, state, level, major, unit_id, handling_unit_id, owner_id, handler_id, assignee_id,
                 object_user_id) in rows}


def sweep() -> dict:
    now = clock.now()

    def overdue(deadline: _Due) -> list[User]:
        return list({u.id: u for u in assignees(deadline) + supervisors(deadline)}.values())

    return {
        # A deadline first seen already passed gets the overdue notice only.
        "overdue": _each_due(Deadline.overdue_notified_at, Deadline.due_at, now, "overdue", overdue,
                             values={Deadline.overdue_notified_at: now,
                                     Deadline.reminded_at: func.coalesce(Deadline.reminded_at, now)}),
        "reminded": _each_due(Deadline.reminded_at, Deadline.remind_at, now, "reminder", assignees,
                              (Deadline.due_at > now,)),
        "escalated": _each_due(Deadline.escalated_at, Deadline.escalate_at, now, "escalated",
                               leaders_but_the_one_complained_about),
    }


def _notify(chunk: list[_Due], notice: str, recipients: Callable[[_Due], list[User]]) -> None:
    """Queue the notice of each deadline of the chunk for each of its recipients, delivered in the
    recipient's working hours unless the complaint is level 1 or major, whose notices go at once
    (day or night); one history entry per deadline naming them. Both written at once."""
    now = clock.now()
    opens: dict[int, datetime] = {}    # unit → when its working hours next start (or now): once per chunk
    mails, events = [], []
    for deadline in chunk:
        complaint = deadline.complaint
        urgent = complaint.level == 1 or complaint.is_major
        people = recipients(deadline)
        for user in people:
            if not urgent and user.unit_id not in opens:
                opens[user.unit_id] = calendar.next_working_moment(now, user.unit)
            mails.append({"address": user.email, "locale": user.locale, "template": notice,
                          "complaint_id": complaint.id, "next_attempt_at": now if urgent else opens[user.unit_id],
                          "context": {"complaint_id": complaint.id, "deadline_id": deadline.id, "user_id": user.id}})
        # As services.timeline.log_event writes it: by the system, no address, no field changed.
        events.append({"complaint_id": complaint.id, "at": now, "actor_id": None,
                       "action": f"{notice}_{deadline.kind.value}", "detail": ", ".join(u.name for u in people),
                       "remote_addr": None, "changes": None})
    notify.queue_later(mails)
    sql.insert_rows(ComplaintEvent.__table__, events)
    for deadline in chunk:   # a plan nobody may approve: the administrators, once
        if deadline.kind == DeadlineKind.PLAN_APPROVAL:
            stuck_plans.tell_admins(deadline.complaint)
