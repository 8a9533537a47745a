"""The working calendar: Chinese working days (public holidays and adjusted working days, 调休)
and the working hours of the day, in the business time zone."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar
from flask import current_app
from sqlalchemy import select

from extensions import db
from models import CalendarOverride, Unit
from services import clock, kept


def is_workday(day: date) -> bool:
    """The administrator's override for the day, else the official calendar (chinesecalendar)."""
    override = _overrides().get(day)
    if override is not None:
        return override
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # Years the package does not know yet: Monday to Friday until the official list is out
        # (the administrator enters it as overrides meanwhile).
        return day.weekday() < 5


def _overrides() -> dict[date, bool]:
    """The override list, kept between requests until a setting changes (services.kept)."""
    return kept.kept("calendar_overrides", CalendarOverride, lambda: dict(
        db.session.execute(select(CalendarOverride.day, CalendarOverride.workday)).all()))


def working_hours(unit: Unit | None = None) -> tuple[time, time]:
    """The unit's working hours if it has its own, else the organisation's."""
    if unit is not None and unit.work_start and unit.work_end:
        return unit.work_start, unit.work_end
    cfg = current_app.config
    return time.fromisoformat(cfg["WORKDAY_START"]), time.fromisoformat(cfg["WORKDAY_END"])


def in_working_hours(local: datetime, unit: Unit | None = None) -> bool:
    start, end = working_hours(unit)
    return is_workday(local.date()) and start <= local.time() < end


def next_working_start(local: datetime, unit: Unit | None = None) -> datetime:
    """The next moment work starts, strictly after `local` (same tzinfo as given)."""
    start, _ = working_hours(unit)
    day = local.date()
    if local.time() >= start:
        day += timedelta(days=1)
    while not is_workday(day):
        day += timedelta(days=1)
    return datetime.combine(day, start, tzinfo=local.tzinfo)


def add_working_time(local: datetime, amount: timedelta, unit: Unit | None = None) -> datetime:
    """`local` plus `amount` of working time: the clock runs only in the unit's working hours."""
    _, end = working_hours(unit)
    moment, remaining = local, amount
    while True:
        if not in_working_hours(moment, unit):
            moment = next_working_start(moment, unit)
        day_end = datetime.combine(moment.date(), end, tzinfo=moment.tzinfo)
        if moment + remaining <= day_end:
            return moment + remaining
        remaining -= day_end - moment
        moment = day_end


def next_working_moment(utc: datetime, unit: Unit | None = None) -> datetime:
    """`utc` itself if it falls in the unit's working hours, else the next working start (naive UTC)."""
    local = clock.to_local(utc)
    if in_working_hours(local, unit):
        return utc
    return clock.from_local(next_working_start(local, unit))
