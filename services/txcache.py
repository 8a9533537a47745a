"""What one transaction reads many times (deadline rules, calendar overrides, who leads a unit), read once.

A value lives in the SQLAlchemy session's `info` until the transaction ends or a flush writes a row
of its table, so a rule changed by an administrator — in this transaction or another process — is
seen by the next transaction, and nothing goes stale in long-lived worker sessions. (A change not
yet flushed is not seen: the services flush before they read back what they wrote.)"""
from __future__ import annotations

from typing import Callable, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from extensions import db

T = TypeVar("T")
_KEY = "txcache"
_TABLES: dict[str, tuple[type, ...]] = {}      # cache name → the models whose rows it holds


def cached(name: str, model: type | tuple[type, ...], load: Callable[[], T]) -> T:
    _TABLES[name] = model if isinstance(model, tuple) else (model,)
    store = db.session.info.setdefault(_KEY, {})
    if name not in store:
        store[name] = load()
    return store[name]


def get(name: str):
    """What this transaction keeps under `name` (cached or put), else None."""
    return db.session.info.get(_KEY, {}).get(name)


def put(name: str, model: type, value: T) -> T:
    """Keep a value read by another statement of this transaction, as cached() would have read it."""
    _TABLES[name] = (model,)
    db.session.info.setdefault(_KEY, {})[name] = value
    return value


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    # Only the outermost transaction's end: a savepoint released (registration's) or a flush is not the
    # end of the transaction; what was read before holds after it, and a row written inside it was
    # dropped by the flush that wrote it.
    if transaction.parent is None:
        session.info.pop(_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous) -> None:
    session.info.pop(_KEY, None)   # a savepoint's too: what was read inside it may be undone


@event.listens_for(Session, "after_flush")
def _rows_written(session: Session, _context) -> None:
    store = session.info.get(_KEY)
    if not store:
        return
    written = {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}
    for name in [n for n in store if written.intersection(_TABLES.get(n, ()))]:
        del store[name]
