"""SQL building blocks that differ between PostgreSQL and SQLite: local time, calendar buckets,
durations, conditional counts."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, case, func, update

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


def claim(model, due: Select, still_claimable: ColumnElement, values: dict) -> list[int]:
    """Claim the rows of `model` whose ids `due` selects (with its LIMIT), in one conditional UPDATE
    setting `values`; returns the ids this transaction got. On PostgreSQL rows another worker is
    claiming are skipped, not waited for; on SQLite writers take turns. Either way a row is claimed
    by exactly one transaction."""
    if dialect() == "postgresql":
        # Lock the chunk first: inside the UPDATE's IN (...) PostgreSQL may rescan the LIMIT subquery
        # and claim every due row in one transaction (350 instead of 100, measured).
        ids = list(db.session.scalars(due.with_for_update(skip_locked=True)))
        if not ids:
            return []
        chosen = model.id.in_(ids)
    else:
        chosen = model.id.in_(due.scalar_subquery())
    return list(db.session.scalars(
        update(model).where(chosen, still_claimable).values(values)
        .returning(model.id).execution_options(synchronize_session=False)))
