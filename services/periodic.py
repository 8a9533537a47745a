"""The periodic reports flowing up the organisation, where its profile keeps them (records:
monthly_reports, quarterly_analysis; the retail chain's 客户服务投诉统计分析制度): each month every unit
of the chain's first level (the stores) reports on the month before by its due day, the next level
(operations) by its own, the top (the service center) its summary; each quarter the levels below the
top write an analysis in five parts, read by the top.

Here: the chain and the due dates, the rows of a period (made once, by the sweep or the first page
that asks), who may see, write and read a report, the two state changes (submit, which freezes the
figures, and mark as read), and the sweep's reminders, each claimed once. The figures are
services.periodic_figures'."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import ColumnElement, and_, false, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from extensions import db, savepoint
from extensions import lazy_gettext as _l
from models import PeriodicReport, ReportKind, Role, Unit, User
from services import calendar, clock, notify, org_settings, periods, policy, sql
from services.errors import Refused
from services.labels import REPORT_KIND_LABELS
from services.periodic_figures import compute_figures

MONTHLY_KEY, QUARTERLY_KEY, ANNUAL_KEY = "monthly_reports", "quarterly_analysis", "annual_report"
SETTING = {ReportKind.QUARTERLY: QUARTERLY_KEY, ReportKind.ANNUAL: ANNUAL_KEY}
# The five parts of the written analysis, in the order the procedure names them.
PARTS = ("causes", "methods", "successes", "improvements", "support")
MIN_ANALYSIS = 500       # characters in all (不少于500字)
MAX_PART = 5000
MAX_COMMENT = 1000
MAX_ANNUAL = 20000
WRITER_ROLES = policy.BRANCH_ROLES | policy.DEPARTMENT_ROLES | {Role.CENTER}


# ---------------------------------------------------------------------------------------------
# The chain and its due dates


def chain() -> list[dict]:
    """The monthly chain, from the first level up: [{unit_kind, due_day}, …]; empty where the
    organisation keeps no periodic reports."""
    return list(org_settings.record_setting(MONTHLY_KEY) or [])


def enabled() -> bool:
    return bool(chain())


def top_level() -> int:
    return len(chain()) - 1


def levels(kind: ReportKind) -> list[int]:
    """The levels that write a report of `kind`: every one for the monthly report; for the
    quarterly analysis, every one below the top (which reads them); the annual report, the top alone
    (for the leaders); each where the profile keeps it."""
    if kind == ReportKind.MONTHLY:
        return list(range(len(chain())))
    if not chain() or not org_settings.record_setting(SETTING[kind]):
        return []
    return list(range(top_level())) if kind == ReportKind.QUARTERLY else [top_level()]


def level_of(unit: Unit) -> Optional[int]:
    for index, step in enumerate(chain()):
        if step["unit_kind"] == unit.kind.value:
            return index
    return None


def period_of(kind: ReportKind, today: date) -> periods.Period:
    """The period reported on at `today`: the month, quarter or year before."""
    return {ReportKind.MONTHLY: periods.month, ReportKind.QUARTERLY: periods.quarter,
            ReportKind.ANNUAL: periods.year}[kind](today).previous()


def due_date(kind: ReportKind, level: int, period: periods.Period) -> date:
    """The due day of the month after the period (a local day in the business time zone)."""
    if kind == ReportKind.MONTHLY:
        day = chain()[level]["due_day"]
    else:
        day = org_settings.record_setting(SETTING[kind])["due_day"]
    return period.end.replace(day=day)


def remind_day(due: date) -> date:
    """The working day before the due date (the calendar day before, when none is found in a fortnight)."""
    day = due - timedelta(days=1)
    for _ in range(14):
        if calendar.is_workday(day):
            return day
        day -= timedelta(days=1)
    return due - timedelta(days=1)


def parse_period(report: PeriodicReport) -> periods.Period:
    return periods.parse_period(report.period)


# ---------------------------------------------------------------------------------------------
# The rows of a period


def ensure_reports(today: Optional[date] = None) -> int:
    """The rows of the periods reported on now, one per unit of each level, made once whoever asks
    at the same time (the unique key decides). Where there is no report of a kind yet (the profile
    has just switched it on), a level whose due date has passed starts with the next period instead
    of being overdue from its first day. Returns how many were made; the caller commits."""
    if not enabled():
        return 0
    today = today or periods.today()
    units = list(db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)))
    made = 0
    for kind in ReportKind:
        period = period_of(kind, today)
        have = set(db.session.scalars(select(PeriodicReport.unit_id).where(
            PeriodicReport.kind == kind, PeriodicReport.period == period.code)))
        started = bool(have) or db.session.scalar(
            select(PeriodicReport.id).where(PeriodicReport.kind == kind).limit(1)) is not None
        for level in levels(kind):
            if not started and due_date(kind, level, period) < today:
                continue
            for unit in units:
                if unit.id in have or level_of(unit) != level:
                    continue
                try:
                    with savepoint():
                        db.session.add(PeriodicReport(kind=kind, unit_id=unit.id, period=period.code, level=level,
                                                      due_date=due_date(kind, level, period), created_at=clock.now()))
                        db.session.flush()
                    made += 1
                except IntegrityError:   # another process made it first
                    pass
    return made


def status(report: PeriodicReport, today: Optional[date] = None) -> str:
    """submitted, overdue (past its due date and not submitted) or due."""
    if report.submitted_at is not None:
        return "submitted"
    return "overdue" if (today or periods.today()) > report.due_date else "due"


def on_time(report: PeriodicReport) -> Optional[bool]:
    """Whether it came in by its due date (None while not submitted)."""
    if report.submitted_at is None:
        return None
    return clock.to_local(report.submitted_at).date() <= report.due_date


# ---------------------------------------------------------------------------------------------
# Who sees, writes and reads


def user_level(user: User) -> Optional[int]:
    if user.role not in WRITER_ROLES:
        return None
    return level_of(user.unit)


def visible_reports(user: User) -> ColumnElement[bool]:
    """A SQL condition on PeriodicReport: the user's unit's reports and those of the levels below;
    the leaders read every one."""
    if user.role == Role.LEADER:
        return true()
    level = user_level(user)
    if level is None:
        return false()
    return or_(PeriodicReport.unit_id == user.unit_id, PeriodicReport.level < level)


def can_view(user: User, report: PeriodicReport) -> bool:
    if user.role == Role.LEADER:
        return True
    level = user_level(user)
    return level is not None and (report.unit_id == user.unit_id or report.level < level)


def can_write(user: User, report: PeriodicReport) -> bool:
    return report.submitted_at is None and user.role in WRITER_ROLES and user.unit_id == report.unit_id


def reader_level(report: PeriodicReport) -> Optional[int]:
    """Who reads it: the next level up for a monthly report, the top for an analysis; the leaders
    (None) for the top's own summary."""
    if report.kind == ReportKind.QUARTERLY:
        return top_level()
    if report.kind == ReportKind.ANNUAL:
        return None
    return report.level + 1 if report.level < top_level() else None


def can_mark_read(user: User, report: PeriodicReport) -> bool:
    if report.submitted_at is None or report.read_at is not None:
        return False
    reader = reader_level(report)
    if reader is None:
        return user.role == Role.LEADER
    return user_level(user) == reader


def lower_reports(report: PeriodicReport) -> list[PeriodicReport]:
    """The reports of the same kind and period from the levels below, lowest level first."""
    return list(db.session.scalars(
        select(PeriodicReport).join(Unit, Unit.id == PeriodicReport.unit_id)
        .where(PeriodicReport.kind == report.kind, PeriodicReport.period == report.period,
               PeriodicReport.level < report.level)
        .order_by(PeriodicReport.level, Unit.code)))


# ---------------------------------------------------------------------------------------------
# The state changes


def figures_of(report: PeriodicReport) -> dict:
    """The frozen figures of a submitted report; before that, computed now."""
    if report.figures is not None:
        return report.figures
    return compute_figures(report, parse_period(report), top=report.level == top_level(),
                           lower=[lower_entry(one) for one in lower_reports(report)])


def lower_entry(report: PeriodicReport) -> dict:
    """What a report of the level above shows of one below: when it came in, and its figures."""
    figures = report.figures or {}
    return {"unit_id": report.unit_id, "unit": report.unit.name, "unit_en": report.unit.name_en,
            "level": report.level, "due_date": report.due_date.isoformat(),
            "submitted_on": clock.to_local(report.submitted_at).date().isoformat() if report.submitted_at else None,
            "on_time": on_time(report), "overdue": status(report) == "overdue",
            "summary": figures.get("summary")}


def analysis_problem(parts: dict) -> Optional[str]:
    """Why a written analysis is not accepted yet (None when it is): every part written, 500
    characters in all."""
    if any(not (parts.get(name) or "").strip() for name in PARTS):
        return _l("Write each of the five parts.")
    total = sum(len((parts.get(name) or "").strip()) for name in PARTS)
    if total < MIN_ANALYSIS:
        return _l("The analysis has %(count)s characters; it needs at least %(minimum)s in all.",
                  count=total, minimum=MIN_ANALYSIS)
    return None


def submit_report(report: PeriodicReport, user: User, parts: dict) -> None:
    """Submit: the text kept, the figures frozen as they are now (the caller commits). Refused when it
    is not the user's to submit, already submitted, or an analysis that falls short."""
    if not can_write(user, report):
        raise Refused(_l("This report is not yours to submit, or it was submitted already."))
    if report.kind == ReportKind.QUARTERLY:
        problem = analysis_problem(parts)
        if problem:
            raise Refused(problem, field="analysis")
        text = {name: parts[name].strip() for name in PARTS}
    else:
        text = {"comment": (parts.get("comment") or "").strip()}
        if not text["comment"]:
            raise Refused(_l("Write the unit's analysis."), field="comment")
    figures = figures_of(report)
    now = clock.now()
    # Claimed with a conditional UPDATE: of two submissions at once, one freezes the report.
    done = db.session.execute(
        update(PeriodicReport).where(PeriodicReport.id == report.id, PeriodicReport.submitted_at.is_(None))
        .values(submitted_at=now, submitted_by_id=user.id, figures=figures, parts=text)
        .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise Refused(_l("This report is not yours to submit, or it was submitted already."))
    db.session.expire(report)


def mark_read(report: PeriodicReport, user: User) -> None:
    if not can_mark_read(user, report):
        raise Refused(_l("This report is not yours to mark as read, or it was read already."))
    db.session.execute(
        update(PeriodicReport).where(PeriodicReport.id == report.id, PeriodicReport.read_at.is_(None))
        .values(read_at=clock.now(), read_by_id=user.id).execution_options(synchronize_session=False))
    db.session.expire(report)


# ---------------------------------------------------------------------------------------------
# The reminders


def sweep() -> dict:
    """Run by the worker's tick: the period's rows made, then a reminder to the unit the (working) day
    before the due date and one on the due date, each while not submitted and each claimed once."""
    if not enabled():
        return {"report_reminders": 0}
    today = periods.today()
    ensure_reports(today)
    db.session.commit()
    pending = list(db.session.scalars(select(PeriodicReport).where(
        PeriodicReport.submitted_at.is_(None), PeriodicReport.due_date >= today,
        or_(PeriodicReport.reminded_at.is_(None), PeriodicReport.due_reminded_at.is_(None)))))
    before = [r.id for r in pending if r.reminded_at is None and remind_day(r.due_date) <= today < r.due_date]
    on_the_day = [r.id for r in pending if r.due_reminded_at is None and r.due_date == today]
    sent = _claim_and_send(PeriodicReport.reminded_at, before, "periodic_reminder")
    sent += _claim_and_send(PeriodicReport.due_reminded_at, on_the_day, "periodic_due_today")
    db.session.commit()
    return {"report_reminders": sent}


def _claim_and_send(column, ids: list[int], template: str) -> int:
    if not ids:
        return 0
    claimable = and_(column.is_(None), PeriodicReport.submitted_at.is_(None))
    claimed = sql.claim(PeriodicReport, select(PeriodicReport.id).where(PeriodicReport.id.in_(ids), claimable),
                        claimable, {column: clock.now()})
    for report in db.session.scalars(select(PeriodicReport).where(PeriodicReport.id.in_(claimed))):
        link = f"{current_app.config['PUBLIC_URL']}/periodic/{report.id}"
        for user in unit_writers(report.unit_id):
            message = notify.queue_email(user, template, report=report, link=link, REPORT_KIND_LABELS=REPORT_KIND_LABELS)
            message.next_attempt_at = calendar.next_working_moment(message.next_attempt_at, user.unit)
    return len(claimed)


def unit_writers(unit_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.unit_id == unit_id, User.active.is_(True), User.role.in_(WRITER_ROLES)).order_by(User.id)))
