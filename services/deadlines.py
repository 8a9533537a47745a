"""Deadline rules: every due time is computed here from the rules, the working calendar and the
business time zone, stored on a Deadline row, and mirrored into complaint.next_due_at."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app

from models import Complaint, Deadline, DeadlineKind, Unit
from services import calendar, clock
from services.rules import rule

DISPATCH_AFTER_HOURS = timedelta(hours=1)


def dispatch_due(registered_at: datetime, unit: Unit | None = None) -> datetime:
    """30 minutes in working hours; outside them, 1 hour after the next working start;
    on a non-working day (weekend, holiday), the end of that same day."""
    local = clock.to_local(registered_at)
    period = rule(DeadlineKind.DISPATCH).period
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
    """The end of the N-th working day after the day the customer got the result."""
    local = clock.to_local(result_given_at)
    day = local.date()
    for _ in range(rule(DeadlineKind.RETURN_VISIT).period.days):
        day = calendar.next_working_start(datetime.combine(day, time(23, 59), tzinfo=local.tzinfo), unit).date()
    _, end = calendar.working_hours(unit)
    return clock.from_local(datetime.combine(day, end, tzinfo=local.tzinfo))


def _after_working(start: datetime, amount: timedelta, unit: Unit | None = None) -> datetime:
    return clock.from_local(calendar.add_working_time(clock.to_local(start), amount, unit))


def due_for(complaint: Complaint, kind: DeadlineKind, started_at: datetime) -> datetime:
    """Working time is the working time of the complaint's unit (its own hours, if it has them)."""
    unit = complaint.unit if complaint is not None else None
    if kind == DeadlineKind.DISPATCH:
        return dispatch_due(started_at, unit)
    if kind == DeadlineKind.ANSWER:
        return answer_due(started_at)
    if kind == DeadlineKind.RETURN_VISIT:
        return return_visit_due(started_at, unit)
    if kind in (DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION):
        period = rule(kind, complaint.level).period
        # The first round counts from receipt; a second handling has its own clock from the reopening.
        base = complaint.received_at if complaint.round == 1 or kind == DeadlineKind.FIRST_RESPONSE else started_at
        return base + period
    period = rule(kind).period
    if kind in (DeadlineKind.PLAN_APPROVAL, DeadlineKind.PROGRESS):
        return _after_working(started_at, period, unit)
    if kind in (DeadlineKind.REGISTRATION, DeadlineKind.FINAL_DECISION):
        return complaint.received_at + period
    if kind == DeadlineKind.REVIEW:
        return started_at + period
    raise ValueError(kind)


def start_deadline(complaint: Complaint, kind: DeadlineKind, started_at: datetime) -> Deadline:
    deadline = Deadline(kind=kind, started_at=started_at, round=complaint.round)
    _set_due(deadline, due_for(complaint, kind, started_at), complaint.level)
    complaint.deadlines.append(deadline)
    _refresh_next_due(complaint)
    return deadline


def _set_due(deadline: Deadline, due: datetime, level: int | None = None) -> None:
    current = rule(deadline.kind, level)
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
    _set_due(deadline, due, complaint.level)
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


def is_overdue(complaint: Complaint) -> bool:
    return complaint.next_due_at is not None and complaint.next_due_at < clock.now()

