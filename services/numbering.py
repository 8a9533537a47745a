"""Complaint numbers: TS-YYYYMMDD-NNNN from a per-day counter."""
from __future__ import annotations

import functools
from datetime import date

from sqlalchemy import bindparam

from extensions import db
from models import DailyCounter
from services import sql

PREFIX = "TS"
# What a number is written with, in either case (a search is case-blind).
NUMBER_CHARACTERS = frozenset(PREFIX.lower() + PREFIX.upper() + "0123456789-")


def may_occur_in_a_number(text: str) -> bool:
    """Whether `text` could be part of a complaint number (TS-20261124-0007, 1124-00, ts-2026)."""
    return set(text) <= NUMBER_CHARACTERS


def next_number(day: date) -> str:
    """The day's next number, the counter bumped atomically by one upsert. On PostgreSQL the
    bump commits at once on its own connection, in autocommit (one round trip, no BEGIN and COMMIT):
    the counter row stays locked only for that statement, not for the whole registration, so
    registrations don't queue behind each other (a registration that fails after this point leaves
    its number unused, as a database sequence would). SQLite has one writer at a time anyway, and a
    second connection would wait for this one's write lock."""
    if sql.dialect() == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as own:
            value = own.execute(_bump("postgresql"), {"day": day}).scalar_one()
    else:
        value = db.session.execute(_bump(sql.dialect()), {"day": day}).scalar_one()
    return f"{PREFIX}-{day:%Y%m%d}-{value:04d}"


@functools.cache
def _bump(dialect: str):
    """The counter's upsert, the day a parameter: built once (building it cost half of taking a number)."""
    stmt = sql.insert_on_conflict(DailyCounter, dialect).values(day=bindparam("day"), value=1)
    return stmt.on_conflict_do_update(index_elements=[DailyCounter.day], set_={"value": DailyCounter.value + 1}
                                      ).returning(DailyCounter.value)
