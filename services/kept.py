"""What every request reads and an administrator rarely changes (the deadline rules, the calendar
overrides, the notice and SMS templates, the repeat rule's setting, the organisation's settings, the
units, categories, people, custom fields and routing rules the forms offer), kept in each process
between requests behind one version number.

The number is one row (models.SettingsVersion). A flush that writes a row of a kept table raises it
in its own transaction, so the other processes see the new number when the change commits, and not
before; each transaction reads the number once (without flushing; like services.txcache, it sees a
change another committed meanwhile in its next transaction), and a process whose kept values are of
another number drops them all and reads them again. A transaction that wrote a kept table
reads its own values (per transaction, services.txcache) and keeps none of them for the others: it
may still roll back. The values kept are plain ones (no ORM rows): they outlive the session."""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from extensions import db
from models import (CalendarOverride, Category, CustomField, DeadlineRule, NoticeTemplate, ObjectRoutingRule, Organisation,
                    RoutingRule, RuleSetting, SettingsVersion, SmsTemplate, Unit, User)
from services import sql, txcache

T = TypeVar("T")
KEPT_TABLES = (DeadlineRule, CalendarOverride, RuleSetting, NoticeTemplate, SmsTemplate, Organisation,
               Unit, User, Category, CustomField, RoutingRule, ObjectRoutingRule)   # (services.choices, routing)
_VERSION = "kept_version"      # the number as this transaction read it (session.info)
_WRITTEN = "kept_written"      # this transaction wrote a kept table (session.info)
_STORE = "kept"                # the process's values, by app (app.extensions)


# The number as a column another statement may read with its own (services.sessions: the signed-in user's).
VERSION_NOW = select(SettingsVersion.value).where(SettingsVersion.id == 1).scalar_subquery()


def remember_version(value: int | None) -> None:
    """The number, read by another statement of this transaction: kept() need not read it again."""
    db.session.info[_VERSION] = value or 0


def kept(name: str, model: type | tuple[type, ...], load: Callable[[], T]) -> T:
    """The value `load` reads from `model`'s table (or tables), kept between requests until a setting changes."""
    session = db.session
    if session.info.get(_WRITTEN):
        return txcache.cached(name, model, load)
    version = session.info.get(_VERSION)
    if version is None:
        version = session.info[_VERSION] = session.connection().execute(select(VERSION_NOW)).scalar() or 0
    store = current_app.extensions.get(_STORE)
    if store is None or store[0] != version:
        store = current_app.extensions[_STORE] = (version, {})
    values = store[1]
    if name not in values:
        values[name] = load()
    return values[name]


def _raise_version(connection) -> None:
    bump = sql.insert_on_conflict(SettingsVersion, connection.dialect.name).values(id=1, value=1)
    connection.execute(bump.on_conflict_do_update(index_elements=[SettingsVersion.id],
                                                  set_={"value": SettingsVersion.value + 1}))


@event.listens_for(Session, "after_flush")
def _settings_written(session: Session, _context) -> None:
    if session.info.get(_WRITTEN):
        return   # raised once per transaction is enough
    if any(isinstance(obj, KEPT_TABLES) for obj in (*session.new, *session.dirty, *session.deleted)):
        _raise_version(session.connection())
        session.info[_WRITTEN] = True


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:   # a savepoint's end is not the transaction's: what it wrote may yet roll back
        session.info.pop(_VERSION, None)
        session.info.pop(_WRITTEN, None)
