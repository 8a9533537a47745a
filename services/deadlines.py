"""Deadline rules: every due time is computed here from the rules, the working calendar and the
business time zone, stored on a Deadline row, and mirrored into complaint.next_due_at."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app

from extensions import db
from models import Complaint, Deadline, DeadlineKind, Unit
from services import calendar, clock
from services.rules import Rule, rule

DISPATCH_AFTER_HOURS = timedelta(hours=1)
# The clocks whose period is working time of the unit's working calendar; the return visit counts
# working days, the dispatch working hours (with its own rule after hours); the others calendar time.
WORKING_TIME = frozenset({DeadlineKind.PLAN_APPROVAL, DeadlineKind.PROGRESS, DeadlineKind.CAPA_SIGNOFF})
# The clocks the handling department answers for (its people are reminded; its head is told when missed).
DEPARTMENT_CLOCKS = (DeadlineKind.ANSWER, DeadlineKind.CAPA_RECORD)


def counting(kind: DeadlineKind) -> str:
    """How `kind`'s period is counted (as _due counts it), a key of services.labels.COUNTING_LABELS."""
    if kind == DeadlineKind.DISPATCH:
        return "working_hours"
    if kind == DeadlineKind.RETURN_VISIT:
        return "working_days"
    return "working_time" if kind in WORKING_TIME else "calendar"


def dispatch_due(registered_at: datetime, unit: Unit | None = None) -> datetime:
    return _dispatch_due(clock.to_local(registered_at), rule(DeadlineKind.DISPATCH).period, unit)


def _dispatch_due(local: datetime, period: timedelta, unit: Unit | None) -> datetime:
    """30 minutes in working hours; outside them, 1 hour after the next working start;
    on a non-working day (weekend, holiday), the end of that same day."""
    if calendar.in_working_hours(local, unit):
        due = local + period
    elif not calendar.is_workday(local.date()):
        due = datetime.combine(local.date(), time(23, 59), tzinfo=local.tzinfo)
        due = max(due, local + period)
    else:
        due = calendar.next_working_start(local, unit) + DISPATCH_AFTER_HOURS
    return clock.from_local(due)


def answer_due(dispatched_at: datetime) -> datetime:
    return dispatched_at + rule(DeadlineKind.ANSWER).period   # calendar days, non-working days included


def return_visit_due(result_given_at: datetime, unit: Unit | None = None) -> datetime:
    return _return_visit_due(clock.to_local(result_given_at), rule(DeadlineKind.RETURN_VISIT).period, unit)


def _return_visit_due(local: datetime, period: timedelta, unit: Unit | None) -> datetime:
    """The end of the N-th working day after the day the customer got the result."""
    day = local.date()
    for _ in range(period.days):
        day = calendar.next_working_start(datetime.combine(day, time(23, 59), tzinfo=local.tzinfo), unit).date()
    _, end = calendar.working_hours(unit)
    return clock.from_local(datetime.combine(day, end, tzinfo=local.tzinfo))


def due_for(complaint: Complaint | None, kind: DeadlineKind, started_at: datetime) -> datetime:
    level = complaint.level if complaint is not None else None
    unit = complaint.unit if complaint is not None else None
    return _due(complaint, kind, started_at, clock.to_local(started_at), rule(kind, level).period, unit)


def _due(complaint: Complaint | None, kind: DeadlineKind, started_at: datetime, local: datetime,
         period: timedelta, unit: Unit | None) -> datetime:
    """Working time is the working time of the complaint's unit (its own hours, if it has them);
    `local` is `started_at` in the business time zone, `period` the rule's."""
    if kind == DeadlineKind.DISPATCH:
        return _dispatch_due(local, period, unit)
    if kind == DeadlineKind.RETURN_VISIT:
        return _return_visit_due(local, period, unit)
    if kind in WORKING_TIME:
        return clock.from_local(calendar.add_working_time(local, period, unit))
    if kind in (DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION):
        # The first round counts from receipt; a second handling has its own clock from the reopening.
        base = complaint.received_at if complaint.round == 1 or kind == DeadlineKind.FIRST_RESPONSE else started_at
        return base + period
    if kind in (DeadlineKind.REGISTRATION, DeadlineKind.FINAL_DECISION):
        return complaint.received_at + period
    if kind == DeadlineKind.AGREED:   # counted from the start of the day agreed in the plan: by default its end
        agreed = complaint.current_plan.due_date
        return clock.from_local(datetime.combine(agreed, time.min, tzinfo=local.tzinfo) + period)
    if kind in (DeadlineKind.ANSWER, DeadlineKind.REVIEW, DeadlineKind.CAPA_RECORD):   # calendar time
        return started_at + period
    raise ValueError(kind)


def start_deadlines(complaint: Complaint, kinds: list[DeadlineKind], now: datetime) -> list[Deadline]:
    """Start the clocks one event starts, in this order, at `now`: the time is made local once for
    all of them and each clock's rule is read once. The registration clock ran from receipt; the
    registration that starts it meets it."""
    local = clock.to_local(now)
    unit = complaint.unit
    started = []
    # The rules and the calendar read on the way do not depend on the new clocks: read without
    # flushing them one by one, so that they are written together, in one statement.
    with db.session.no_autoflush:
        for kind in kinds:
            current = rule(kind, complaint.level)
            deadline = Deadline(kind=kind, started_at=now, round=complaint.round)
            if kind == DeadlineKind.REGISTRATION:
                deadline.started_at, deadline.met_at = complaint.received_at, now
            _set_due(deadline, _due(complaint, kind, now, local, current.period, unit), current)
            complaint.deadlines.append(deadline)
            started.append(deadline)
    _refresh_next_due(complaint)
    return started


def start_deadline(complaint: Complaint, kind: DeadlineKind, started_at: datetime) -> Deadline:
    return start_deadlines(complaint, [kind], started_at)[0]


def start_agreed(complaint: Complaint, now: datetime) -> Deadline:
    """The plan that holds now sets the date agreed with the customer; a later plan replaces its clock."""
    meet_deadline(complaint, DeadlineKind.AGREED, now)
    return start_deadline(complaint, DeadlineKind.AGREED, now)


def recompute_by_level(complaint: Complaint, now: datetime) -> None:
    """After a change of level: the open first-response and resolution clocks from receipt by the new
    level's rule. One already missed stays as it was, missed and counted."""
    for deadline in complaint.deadlines:
        if deadline.kind in (DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION) and deadline.met_at is None \
                and deadline.due_at > now:
            _set_due(deadline, due_for(complaint, deadline.kind, deadline.started_at),
                     rule(deadline.kind, complaint.level))
    _refresh_next_due(complaint)


def _set_due(deadline: Deadline, due: datetime, current: Rule) -> None:
    deadline.due_at = due
    deadline.remind_at = max(deadline.started_at, due - current.remind_before)
    deadline.escalate_at = due + current.escalate_after
    # A moved deadline gets its notices again, for its new time.
    deadline.reminded_at = deadline.overdue_notified_at = deadline.escalated_at = None


def extend_ceiling(complaint: Complaint, extension_number: int) -> Deadline:
    """Move the regulatory ceiling: the first extension to 30 days from receipt, the second 30 more."""
    deadline = complaint.open_deadline(DeadlineKind.FINAL_DECISION)
    days = current_app.config["EXTENSION_DAYS"] * extension_number
    move_deadline(complaint, deadline, complaint.received_at + timedelta(days=days))
    return deadline


class BadAdjustment(ValueError):
    """A clock moved by hand where its rule does not allow: into the past (`latest` None) or beyond
    `latest`, the furthest its rule allows."""

    def __init__(self, latest: datetime | None):
        super().__init__("into the past" if latest is None else f"beyond {latest}")
        self.latest = latest


# The clocks that are themselves a regulatory ceiling: they move only as their rule says.
CEILINGS = (DeadlineKind.FINAL_DECISION, DeadlineKind.REVIEW)


def ceiling_of(complaint: Complaint, deadline: Deadline) -> datetime:
    """Where a ceiling clock may be at most: the final decision 15 days from receipt, or as far as the
    recorded extensions took it (extend_ceiling); a review 30 days from its opening."""
    if deadline.kind == DeadlineKind.FINAL_DECISION:
        extended = timedelta(days=current_app.config["EXTENSION_DAYS"] * len(complaint.extensions))
        return complaint.received_at + max(rule(DeadlineKind.FINAL_DECISION).period, extended)
    return deadline.started_at + rule(deadline.kind).period


def latest_adjustment(complaint: Complaint, deadline: Deadline, now: datetime) -> datetime:
    """The furthest a hand adjustment may move a clock: a ceiling no further than its rule; every other
    clock no further than the case's running ceiling (each step must be done before the decision is
    due), or without one, no more than one period of its own rule from now."""
    if deadline.kind in CEILINGS:
        return ceiling_of(complaint, deadline)
    running = [ceiling_of(complaint, d) for d in complaint.deadlines if d.kind in CEILINGS and d.met_at is None]
    if running:
        return min(running)
    return now + rule(deadline.kind, complaint.level).period


def check_adjustment(complaint: Complaint, deadline: Deadline, due: datetime) -> None:
    """A clock moved by hand (complaints.adjust_deadline): neither into the past nor beyond its rule;
    the regulatory ceiling moves later only through extensions (extend_ceiling)."""
    now = clock.now()
    if due <= now:
        raise BadAdjustment(None)
    latest = latest_adjustment(complaint, deadline, now)
    if due > latest:
        raise BadAdjustment(latest)


def move_deadline(complaint: Complaint, deadline: Deadline, due: datetime) -> None:
    _set_due(deadline, due, rule(deadline.kind, complaint.level))
    _refresh_next_due(complaint)


def meet_deadline(complaint: Complaint, kind: DeadlineKind, met_at: datetime) -> Deadline | None:
    deadline = complaint.open_deadline(kind)
    if deadline is not None:
        deadline.met_at = met_at
    _refresh_next_due(complaint)
    return deadline


def meet_all(complaint: Complaint, met_at: datetime) -> None:
    """Closing stops every clock."""
    for deadline in complaint.deadlines:
        if deadline.met_at is None:
            deadline.met_at = met_at
    _refresh_next_due(complaint)


def _refresh_next_due(complaint: Complaint) -> None:
    open_dues = [d.due_at for d in complaint.deadlines if d.met_at is None]
    complaint.next_due_at = min(open_dues) if open_dues else None


def is_overdue(complaint: Complaint, now: datetime | None = None) -> bool:
    """A clock of the complaint has run out; `now` once for a whole list."""
    return has_passed(complaint.next_due_at, now)


def has_passed(due: datetime | None, now: datetime | None = None) -> bool:
    """An open clock due at `due` (None: no clock) has run out by `now`."""
    return due is not None and due < (now or clock.now())

