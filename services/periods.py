"""Calendar periods of the reports: a week, month, quarter, year or custom range of local days in
APP_TIMEZONE, their codes in URLs (2026-W47, 2026-11, 2026-Q4, 2026) and the steps between them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

from services import bounds, clock

PERIOD_KINDS = ("week", "month", "quarter", "year", "custom")


class BadPeriod(ValueError):
    """The period in the URL is not one we understand."""


@dataclass(frozen=True)
class Period:
    """Local calendar days [start, end) in APP_TIMEZONE."""
    kind: str
    start: date
    end: date

    @property
    def code(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start:%Y-%m-%d}..{self.last_day:%Y-%m-%d}"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def utc_start(self) -> datetime:
        return clock.from_local(datetime.combine(self.start, time()))

    @property
    def utc_end(self) -> datetime:
        return clock.from_local(datetime.combine(self.end, time()))

    def previous(self) -> Period:
        return _shift(self, -1)

    def next(self) -> Period:
        return _shift(self, 1)

    @property
    def grain(self) -> str:
        """Trends by week for up to two months, by month beyond."""
        return "week" if (self.end - self.start).days <= 62 else "month"


def month_start(year: int, month: int) -> date:
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _shift(period: Period, steps: int) -> Period:
    if period.kind == "week":
        return week(period.start + timedelta(weeks=steps))
    if period.kind in ("month", "quarter"):
        months = 1 if period.kind == "month" else 3
        start = month_start(period.start.year, period.start.month + steps * months)
        return Period(period.kind, start, month_start(start.year, start.month + months))
    if period.kind == "year":
        return Period("year", date(period.start.year + steps, 1, 1), date(period.start.year + steps + 1, 1, 1))
    length = period.end - period.start
    return Period("custom", period.start + steps * length, period.end + steps * length)


def week(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=7))


def month(day: date) -> Period:
    start = day.replace(day=1)
    return Period("month", start, month_start(start.year, start.month + 1))


def quarter(day: date) -> Period:
    start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period("quarter", start, month_start(start.year, start.month + 3))


def year(day: date) -> Period:
    return Period("year", date(day.year, 1, 1), date(day.year + 1, 1, 1))


def today() -> date:
    return clock.to_local(clock.now()).date()


def latest_complete(kind: str) -> Period:
    """The last finished period of a kind: on 1 December the monthly report is November's."""
    current = {"week": week, "month": month, "quarter": quarter, "year": year}[kind](today())
    return current.previous()


def parse_period(text: Optional[str], start: Optional[str] = None, end: Optional[str] = None,
                 default_kind: str = "month") -> Period:
    """2026-W47, 2026-11, 2026-Q4, 2026, or start/end dates (both inclusive); none: the current
    period of `default_kind`. Only days within services.bounds (BadPeriod("bounds") otherwise)."""
    period = _parse_period(text, start, end, default_kind)
    _within_bounds(period.end - timedelta(days=1))
    return period


def _within_bounds(day: date) -> date:
    try:
        return bounds.check_day(day)
    except bounds.OutOfBounds as error:
        raise BadPeriod("bounds") from error


def _parse_period(text: Optional[str], start: Optional[str], end: Optional[str], default_kind: str) -> Period:
    if start or end:
        try:
            first, last = date.fromisoformat(start or ""), date.fromisoformat(end or "")
        except ValueError:
            raise BadPeriod("dates") from None
        if last < first or (last - first).days > 3 * 366:
            raise BadPeriod("range")
        return Period("custom", _within_bounds(first), _within_bounds(last) + timedelta(days=1))
    text = (text or "").strip()
    if not text:
        return {"week": week, "month": month, "quarter": quarter, "year": year}[default_kind](today())
    try:
        if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", text):
            return week(_within_bounds(date.fromisocalendar(int(m[1]), int(m[2]), 1)))
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            return month(_within_bounds(date(int(m[1]), int(m[2]), 1)))
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            return quarter(_within_bounds(date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1)))
        if re.fullmatch(r"\d{4}", text):
            return year(_within_bounds(date(int(text), 1, 1)))
    except BadPeriod:
        raise
    except ValueError:
        pass
    raise BadPeriod("format")
