"""SQL building blocks that differ between PostgreSQL and SQLite: local time, calendar buckets,
durations, conditional counts."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func

from extensions import db
from services import clock


def dialect() -> str:
    return db.engine.dialect.name


def local(column):
    """The stored naive-UTC time as local wall-clock time, in SQL."""
    if dialect() == "postgresql":
        return func.timezone(clock.business_tz().key, func.timezone("UTC", column))
    # SQLite has no time zones: shift by the zone's offset (exact for zones without summer time).
    offset = clock.business_tz().utcoffset(datetime(2000, 1, 1))
    return func.datetime(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def bucket(column, grain: str):
    """The local week (its Monday) or month (its first day) a time falls in."""
    wall = local(column)
    if dialect() == "postgresql":
        return func.date_trunc(grain, wall)
    if grain == "week":
        return func.date(wall, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", wall)


def as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def hours(start, end):
    """end - start in hours, as a SQL number."""
    if dialect() == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def count_if(condition) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
