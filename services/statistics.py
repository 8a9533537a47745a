"""Complaint statistics as aggregate SQL: counts by dimension, trends by local week or month, the
on-time rate of every clock, handling time (average and 90th percentile), satisfaction, repeat and
collective complaints, recurring causes and the assessment of units.

Suggestions (建议, where the organisation keeps them) take the complaints' flow but are no complaints:
every figure here leaves them out, and the report counts them apart.

A period's figures are those of the complaints *registered* in it (a cohort): how many came in, how
many of them are closed, how fast, how satisfied. Every query is restricted by a SQL condition on
Complaint (the user's visibility from services.policy), so a unit only ever counts its own."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select, text, true
from sqlalchemy.orm import aliased

from extensions import db
from models import (Category, CauseKind, Complaint, ComplaintKind, ComplaintNature, ComplaintState, CorrectiveAction,
                    Deadline, DeadlineKind, RoutingRule, Satisfaction, Unit, UnitKind)
from services import clock, deadlines, penalties
from services.periods import Period, month_start, today
from services.sql import as_date, bucket, count_if, dialect, hours

SATISFIED = (Satisfaction.A, Satisfaction.B, Satisfaction.C)


def in_period(period: Period, scope: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(Complaint.registered_at >= period.utc_start, Complaint.registered_at < period.utc_end, scope)


IS_COMPLAINT = Complaint.nature == ComplaintNature.COMPLAINT
IS_MAJOR = Complaint.is_major   # the hybrid property: one definition of "major" for SQL and Python
IS_CLOSED = Complaint.state == ComplaintState.CLOSED
IS_SATISFIED = Complaint.satisfaction.in_(SATISFIED)
_late_decision = aliased(Deadline)
# Closed within the regulatory ceiling (15 days, or as extended): its final-decision clock was not missed.
CLOSED_ON_TIME = and_(IS_CLOSED, ~exists().where(
    _late_decision.complaint_id == Complaint.id, _late_decision.kind == DeadlineKind.FINAL_DECISION,
    _late_decision.met_at > _late_decision.due_at))


# ---------------------------------------------------------------------------------------------
# The figures


def rate(part: int, whole: int) -> Optional[float]:
    """part / whole, or None when there is nothing to divide by (a rate of nothing is not 0 %)."""
    return part / whole if whole else None


class Ratio:
    """A rate read off two counts of the same figures: `on_time_rate = Ratio("on_time", "judged")`."""

    def __init__(self, part: str, whole: str):
        self.part, self.whole = part, whole

    def __get__(self, figures, owner=None):
        if figures is None:
            return self
        return rate(getattr(figures, self.part), getattr(figures, self.whole))


class CohortRates:
    """The two rates of a cohort of complaints: closed on time, and satisfied among those who rated."""
    on_time_rate = Ratio("closed_on_time", "closed")
    satisfaction_rate = Ratio("satisfied", "rated")


@dataclass
class Row(CohortRates):
    """One line of a breakdown: the complaints registered in the period with this key."""
    key: object
    label: str
    received: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    major: int = 0


def _keys() -> dict:
    """Each breakdown's key as a SQL expression. The business line is derived from the category: the
    department its routing rule sends it to (个人金融 for fees, products and sales; 运营 for service
    and waiting; 信息科技 for the app)."""
    return {"unit": Complaint.unit_id, "department": Complaint.handling_unit_id, "category": Complaint.category_id,
            "business_line": RoutingRule.unit_id, "channel": Complaint.channel, "level": Complaint.level,
            "kind": Complaint.kind, "severity": case((IS_MAJOR, literal("major")), else_=literal("general"))}


def _measures():
    return (func.count(), count_if(IS_CLOSED), count_if(CLOSED_ON_TIME),
            count_if(Complaint.satisfaction.is_not(None)), count_if(IS_SATISFIED), count_if(IS_MAJOR))


def breakdowns(period: Period, scope, names=None) -> dict[str, dict]:
    """{breakdown: {key: (received, closed, closed_on_time, rated, satisfied, major)}}. On PostgreSQL one
    pass over the period's complaints (GROUPING SETS); elsewhere one GROUP BY per breakdown."""
    keys = {name: key for name, key in _keys().items() if names is None or name in names}
    base = (select().select_from(Complaint)
            .outerjoin(RoutingRule, RoutingRule.category_id == Complaint.category_id).where(in_period(period, scope)))
    result = {name: {} for name in keys}
    if dialect() == "postgresql" and len(keys) > 1:
        columns = list(keys.values())
        query = base.add_columns(*columns, func.grouping(*columns), *_measures()).group_by(
            func.grouping_sets(*columns))
        full = (1 << len(columns)) - 1
        masks = {full - (1 << (len(columns) - 1 - i)): name for i, name in enumerate(keys)}
        for row in db.session.execute(query):
            name = masks[row[len(columns)]]
            result[name][row[list(keys).index(name)]] = tuple(int(v) for v in row[len(columns) + 1:])
        return result
    for name, key in keys.items():
        for row in db.session.execute(base.add_columns(key, *_measures()).group_by(key)):
            result[name][row[0]] = tuple(int(v) for v in row[1:])
    return result


def _rows(found: dict, labels: list[tuple[object, str]], keep_empty: bool = True) -> list[Row]:
    """Rows in the order of `labels` (every possible key, so that zeros show), then any key not labelled."""
    rows = []
    for key, label in labels:
        counts = found.get(key)
        if counts is None and not keep_empty:
            continue
        rows.append(Row(key, label, *(counts or ())))
    labelled = {key for key, _ in labels}
    for key, counts in found.items():
        if key not in labelled:
            rows.append(Row(key, str(key) if key is not None else "—", *counts))
    return rows


def _units(kinds) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.kind.in_(kinds)).order_by(Unit.code)))


def label_rows(name: str, found: dict, locale: str, labels: dict) -> list[Row]:
    """A breakdown's rows in a fixed order with their display names; `labels` holds the UI's labels of
    channels, levels, kinds and severities."""
    if name == "unit":   # the branch / region of the regulator's table
        units = _units([UnitKind.BRANCH, UnitKind.SERVICE_CENTER, UnitKind.HEAD_OFFICE])
        return _rows(found, [(u.id, u.display_name(locale)) for u in units], keep_empty=False)
    if name in ("department", "business_line"):   # department: None when handled by the receiving unit
        units = _units([UnitKind.DEPARTMENT])
        return _rows(found, [(u.id, u.display_name(locale)) for u in units], keep_empty=False)
    if name == "category":
        categories = db.session.scalars(select(Category).order_by(Category.id))
        return _rows(found, [(c.id, c.display_name(locale)) for c in categories])
    return _rows(found, [(k, str(v)) for k, v in labels[name].items()])


def by(name: str, period: Period, scope, locale: str = "zh_CN", labels: Optional[dict] = None) -> list[Row]:
    """One breakdown on its own."""
    return label_rows(name, breakdowns(period, scope, [name])[name], locale, labels or {})


@dataclass
class Summary(CohortRates):
    received: int
    closed: int
    closed_on_time: int
    open: int
    overdue_now: int
    invalid: int
    withdrawn: int
    major: int
    repeated: int
    collective: int
    concentrated: int
    incidents: int
    regulator: int
    reopened: int
    reviews: int
    rated: int
    satisfied: int


def summary(period: Period, scope) -> Summary:
    now = clock.now()
    row = db.session.execute(select(
        func.count(), count_if(IS_CLOSED), count_if(CLOSED_ON_TIME), count_if(~IS_CLOSED),
        count_if(and_(~IS_CLOSED, Complaint.next_due_at < now)), count_if(Complaint.valid.is_(False)),
        count_if(Complaint.withdrawn_at.is_not(None)), count_if(IS_MAJOR), count_if(Complaint.repeated),
        count_if(Complaint.collective), count_if(Complaint.kind == ComplaintKind.CONCENTRATED),
        func.count(func.distinct(Complaint.incident_id)), count_if(Complaint.regulator_forwarded),
        count_if(Complaint.round > 1), count_if(Complaint.review_of_id.is_not(None)),
        count_if(Complaint.satisfaction.is_not(None)), count_if(IS_SATISFIED),
    ).where(in_period(period, scope))).one()
    return Summary(*(int(value or 0) for value in row))


def trend(period: Period, scope, grain: Optional[str] = None) -> list[tuple[date, int, int]]:
    """(first day of the local week or month, received, closed so far) for every bucket of the period."""
    grain = grain or period.grain
    week_or_month = bucket(Complaint.registered_at, grain)
    found = {as_date(b): (n, c) for b, n, c in db.session.execute(
        select(week_or_month, func.count(), count_if(IS_CLOSED)).where(in_period(period, scope))
        .group_by(week_or_month))}
    points, day = [], (period.start - timedelta(days=period.start.weekday()) if grain == "week"
                       else period.start.replace(day=1))
    while day < period.end:
        points.append((day, *found.get(day, (0, 0))))
        day = day + timedelta(days=7) if grain == "week" else month_start(day.year, day.month + 1)
    return points


@dataclass
class ClockRate:
    kind: DeadlineKind
    judged: int       # met, or past due and still open
    on_time: int
    running: int      # not yet due and not met
    rate = Ratio("on_time", "judged")

    @property
    def late(self) -> int:
        return self.judged - self.on_time


def _on_time_columns(now: datetime):
    judged = or_(Deadline.met_at.is_not(None), Deadline.due_at < now)
    on_time = and_(Deadline.met_at.is_not(None), Deadline.met_at <= Deadline.due_at)
    return count_if(judged), count_if(on_time), count_if(~judged)


def on_time_by_clock(period: Period, scope) -> list[ClockRate]:
    """Each kind of clock on the period's complaints: how many were judged and how many met in time."""
    query = (select(Deadline.kind, *_on_time_columns(clock.now())).join(Complaint, Complaint.id == Deadline.complaint_id)
             .where(in_period(period, scope)).group_by(Deadline.kind))
    found = {kind: (j, o, r) for kind, j, o, r in db.session.execute(query)}
    return [ClockRate(kind, *map(int, found[kind])) for kind in DeadlineKind if kind in found]


@dataclass
class HandlingTime:
    closed: int
    average_hours: Optional[float]
    p90_hours: Optional[float]


def handling_time(period: Period, scope) -> HandlingTime:
    """From receipt to closing, over the period's closed complaints: the average and the 90th percentile
    (interpolated, as PostgreSQL's percentile_cont)."""
    duration = hours(Complaint.received_at, Complaint.closed_at)
    where = and_(in_period(period, scope), IS_CLOSED, Complaint.closed_at.is_not(None))
    if dialect() == "postgresql":
        n, average, p90 = db.session.execute(select(
            func.count(), func.avg(duration), func.percentile_cont(0.9).within_group(duration)).where(where)).one()
        return HandlingTime(n, _float(average), _float(p90))
    n, average = db.session.execute(select(func.count(), func.avg(duration)).where(where)).one()
    if not n:
        return HandlingTime(0, None, None)
    # SQLite has no percentile: read just the two ordered values around the position, and interpolate.
    position = 0.9 * (n - 1)
    below = int(position)
    values = list(db.session.scalars(select(duration).where(where).order_by(duration).limit(2).offset(below)))
    upper = values[1] if len(values) > 1 else values[0]
    return HandlingTime(n, _float(average), values[0] + (position - below) * (upper - values[0]))


def _float(value) -> Optional[float]:
    return float(value) if value is not None else None


def satisfaction(period: Period, scope) -> list[tuple[Satisfaction, int]]:
    found = dict(db.session.execute(select(Complaint.satisfaction, func.count()).where(
        in_period(period, scope), Complaint.satisfaction.is_not(None)).group_by(Complaint.satisfaction)).all())
    return [(rating, found.get(rating, 0)) for rating in Satisfaction]


def causes(period: Period, scope) -> list[tuple[CauseKind, int, int]]:
    """The causes found by the departments (corrective actions of the period's complaints), most
    frequent first: (cause, actions, distinct complaints)."""
    query = (select(CorrectiveAction.cause_kind, func.count(), func.count(func.distinct(CorrectiveAction.complaint_id)))
             .join(Complaint, Complaint.id == CorrectiveAction.complaint_id).where(in_period(period, scope))
             .group_by(CorrectiveAction.cause_kind).order_by(func.count().desc(), CorrectiveAction.cause_kind))
    return [(kind, int(n), int(c)) for kind, n, c in db.session.execute(query)]


@dataclass
class HotSpot:
    category: str
    object_text: str
    complaints: int
    customers: int


def hot_spots(period: Period, scope, locale: str, limit: int = 10) -> list[HotSpot]:
    """What is complained about again and again: the same object in the same category, 2+ times."""
    customers = func.count(func.distinct(Complaint.customer_contact))
    query = (select(Complaint.category_id, Complaint.object_text, func.count(), customers)
             .where(in_period(period, scope)).group_by(Complaint.category_id, Complaint.object_text)
             .having(func.count() >= 2).order_by(func.count().desc(), Complaint.object_text).limit(limit))
    rows = db.session.execute(query).all()
    names = {c.id: c.display_name(locale) for c in db.session.scalars(select(Category))}
    return [HotSpot(names.get(cat, "?"), text, int(n), int(k)) for cat, text, n, k in rows]


@dataclass
class Assessment:
    """A unit's figures for the assessment (考核)."""
    unit: Unit
    received: int = 0
    judged: int = 0
    on_time: int = 0
    reopened: int = 0
    rated: int = 0
    satisfied: int = 0
    overdue_now: int = 0
    actions_overdue: int = 0
    penalties_decided: int = 0      # where the organisation keeps penalties (处罚意见): decided in the period
    penalties_executed: int = 0     # … and executed in it
    on_time_rate = Ratio("on_time", "judged")      # the clocks it answers for, not the cohort's closings
    reopen_rate = Ratio("reopened", "received")
    satisfaction_rate = Ratio("satisfied", "rated")

    @property
    def missed(self) -> int:
        return self.judged - self.on_time


def assessment(period: Period, scope=None) -> list[Assessment]:
    """Branches (and the service center) for the complaints they received; departments for those
    dispatched to them. The on-time rate counts the clocks each answers for: a department its answer (and
    its record's) clock, a receiving unit every other clock."""
    scope = scope if scope is not None else true()
    _tune_session()
    now = clock.now()
    where = in_period(period, scope)
    result = []
    for unit_column, kinds_on, units in (
            (Complaint.unit_id, Deadline.kind.not_in(deadlines.DEPARTMENT_CLOCKS),
             _units([UnitKind.BRANCH, UnitKind.SERVICE_CENTER])),
            (Complaint.handling_unit_id, Deadline.kind.in_(deadlines.DEPARTMENT_CLOCKS),
             _units([UnitKind.DEPARTMENT]))):
        counts = {row[0]: row[1:] for row in db.session.execute(
            select(unit_column, func.count(), count_if(Complaint.round > 1),
                   count_if(Complaint.satisfaction.is_not(None)), count_if(IS_SATISFIED),
                   count_if(and_(~IS_CLOSED, Complaint.next_due_at < now)))
            .where(where).group_by(unit_column))}
        clocks = {row[0]: row[1:] for row in db.session.execute(
            select(unit_column, *_on_time_columns(now)[:2]).join(Complaint, Complaint.id == Deadline.complaint_id)
            .where(where, kinds_on).group_by(unit_column))}
        for unit in units:
            received, reopened, rated, satisfied, overdue = counts.get(unit.id, (0, 0, 0, 0, 0))
            judged, on_time = clocks.get(unit.id, (0, 0))
            result.append(Assessment(unit, int(received), int(judged), int(on_time), int(reopened), int(rated),
                                     int(satisfied), int(overdue)))
    overdue_actions = dict(db.session.execute(
        select(CorrectiveAction.unit_id, func.count()).where(
            CorrectiveAction.done_at.is_(None), CorrectiveAction.due_date < today())
        .group_by(CorrectiveAction.unit_id)).all())
    penalised = penalties.counts_by_unit(period) if penalties.enabled() else {}
    for row in result:
        row.actions_overdue = int(overdue_actions.get(row.unit.id, 0))
        row.penalties_decided, row.penalties_executed = penalised.get(row.unit.id, (0, 0))
    return result


@dataclass
class Report:
    """Everything the statistics page and the periodic reports show, for one period and scope."""
    period: Period
    summary: Summary
    trend: list
    by: dict = field(default_factory=dict)        # dimension name -> rows
    clocks: list = field(default_factory=list)
    handling: Optional[HandlingTime] = None
    satisfaction: list = field(default_factory=list)
    causes: list = field(default_factory=list)
    hot_spots: list = field(default_factory=list)
    suggestions: Optional[Suggestions] = None     # where the organisation keeps them


@dataclass
class Suggestions:
    """The period's suggestions, counted apart from the complaints."""
    received: int
    closed: int

    @property
    def open(self) -> int:
        return self.received - self.closed


def suggestions(period: Period, scope) -> Suggestions:
    received, closed = db.session.execute(select(func.count(), count_if(IS_CLOSED)).where(
        in_period(period, scope), Complaint.nature == ComplaintNature.SUGGESTION)).one()
    return Suggestions(int(received or 0), int(closed or 0))


def build_report(period: Period, scope, locale: str, labels: dict, count_suggestions: bool = False) -> Report:
    """`labels`: the display labels of channels, levels, kinds and severities (from the UI layer). The
    figures are the complaints'; with `count_suggestions`, the suggestions are counted beside them."""
    _tune_session()
    apart = suggestions(period, scope) if count_suggestions else None
    scope = and_(scope, IS_COMPLAINT)
    found = breakdowns(period, scope)
    return Report(
        period=period, summary=summary(period, scope), trend=trend(period, scope),
        by={name: label_rows(name, counts, locale, labels) for name, counts in found.items()},
        clocks=on_time_by_clock(period, scope), handling=handling_time(period, scope),
        satisfaction=satisfaction(period, scope), causes=causes(period, scope),
        hot_spots=hot_spots(period, scope, locale), suggestions=apart)


def _tune_session() -> None:
    """These are short aggregate queries over index-only scans: PostgreSQL's JIT compilation (chosen
    for their large estimated cost) takes longer than it saves."""
    if dialect() == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))
