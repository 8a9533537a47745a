"""Sign-in sessions kept in the database, for shared office PCs: an idle timeout
(SESSION_IDLE_MINUTES) and an absolute one (SESSION_ABSOLUTE_HOURS), both measured with the app's
clock, and ended here on logout so that a copied cookie is worth nothing afterwards."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, delete, or_, select, update

from extensions import db
from models import User, UserSession
from services import clock, kept

# Writing last_seen_at on every request would cost a write per page; once a minute is precise enough.
TOUCH_EVERY = timedelta(minutes=1)
# The worker's purge leaves a session this long after it ran out, so a request checking it just then
# (which would delete it itself) never finds its row gone under it.
PURGE_GRACE = timedelta(minutes=5)
PURGE_BATCH = 500          # rows deleted per transaction
PURGE_MAX_BATCHES = 20     # per run; the next run takes the rest


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def absolute_limit() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])


def start_session(user: User, address: str = "") -> str:
    """A new session for `user`; returns the token to keep in the signed cookie. Also forgets the
    user's sessions that have run out, so the table holds only live ones (and a few abandoned)."""
    now = clock.now()
    db.session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        or_(UserSession.last_seen_at < now - idle_limit(), UserSession.started_at < now - absolute_limit())))
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=_key(token), user_id=user.id, started_at=now, last_seen_at=now,
                               address=(address or "")[:64]))
    return token


_READ_WITH_USER = "session_read_with_user"   # db.session.info: the row signed_in_user read for check_session


@dataclass(frozen=True)
class _Session:
    """A session's row as check_session reads it: plain values (an ORM row cost a third of the
    statement below, on every request); its writes are statements of their own."""
    id: str | None
    user_id: int | None
    started_at: datetime | None
    last_seen_at: datetime | None


# _Session's columns. The statements are built once: building would cost as much as the query it saves.
_SESSION_COLUMNS = (UserSession.id, UserSession.user_id, UserSession.started_at, UserSession.last_seen_at)
_SIGNED_IN = (select(User, *_SESSION_COLUMNS, kept.VERSION_NOW)
              .outerjoin(UserSession, and_(UserSession.id == bindparam("key"), UserSession.user_id == User.id))
              .where(User.id == bindparam("user_id")))
_ONE_SESSION = select(*_SESSION_COLUMNS).where(UserSession.id == bindparam("key"))


def signed_in_user(user_id: int, token: str | None) -> User | None:
    """The user a signed-in request is for, read in one statement with what the request reads next:
    the session behind `token` (check_session takes it from here) and the kept settings' version
    (services.kept: the organisation's settings, which the navigation and the policy ask on every
    page, the forms' choices)."""
    if not token:
        return db.session.get(User, user_id)
    row = db.session.execute(_SIGNED_IN, {"key": _key(token), "user_id": user_id}).first()
    if row is None:
        return None
    user, *session_row, version = row
    db.session.info[_READ_WITH_USER] = _Session(*session_row)
    kept.remember_version(version)
    return user


@dataclass
class SessionState:
    alive: bool
    reason: str = ""                    # why it is over: "idle", "absolute" or "ended" (logout, elsewhere)
    ends_at: datetime | None = None     # when it will run out unless the user does something
    idle_ends: bool = True              # False when the absolute limit comes first: nothing extends it
    wrote: bool = False                 # the check ended or touched the session: the caller commits


def check_session(token: str | None, user_id: int, activity: bool = True) -> SessionState:
    """Whether the session behind `token` belongs to `user_id` and is still alive; an activity
    (any request but the page's own status poll) restarts the idle clock. `wrote` in the answer: it
    deleted the session or touched it, for the caller to commit."""
    key = _key(token) if token else None
    row = db.session.info.pop(_READ_WITH_USER, None)
    if row is None or row.id != key:
        row = db.session.execute(_ONE_SESSION, {"key": key}).first() if key else None
    if row is None or row.id is None or row.user_id != user_id:
        return SessionState(alive=False, reason="ended")
    now = clock.now()
    idle_end = row.last_seen_at + idle_limit()
    absolute_end = row.started_at + absolute_limit()
    if now >= idle_end or now >= absolute_end:
        end_session(token)
        return SessionState(alive=False, reason="absolute" if now >= absolute_end else "idle", wrote=True)
    touched = activity and now - row.last_seen_at >= TOUCH_EVERY
    if touched:
        db.session.execute(update(UserSession).where(UserSession.id == key).values(last_seen_at=now))
        idle_end = now + idle_limit()
    return SessionState(alive=True, ends_at=min(idle_end, absolute_end), idle_ends=idle_end <= absolute_end,
                        wrote=touched)


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(delete(UserSession).where(UserSession.id == _key(token)))


def end_other_sessions(user: User, keep_token: str | None) -> None:
    """After a password change, every other sign-in of the user ends."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_token:
        query = query.where(UserSession.id != _key(keep_token))
    db.session.execute(query)


def purge_expired(batch: int = PURGE_BATCH, max_batches: int = PURGE_MAX_BATCHES) -> int:
    """Delete the sessions nobody ended, which ran out (idle or absolute limit) more than PURGE_GRACE
    ago: `batch` rows per transaction, at most `max_batches` transactions. Returns how many went.
    Run by the worker every few minutes (worker.py); idempotent, and safe with several workers: on
    PostgreSQL each skips the rows another is deleting, and a row already gone is simply not counted."""
    purged = 0
    for _ in range(max_batches):
        cutoff = clock.now() - PURGE_GRACE
        expired = or_(UserSession.last_seen_at < cutoff - idle_limit(),
                      UserSession.started_at < cutoff - absolute_limit())
        chunk = select(UserSession.id).where(expired).limit(batch)
        if db.engine.dialect.name == "postgresql":
            chunk = chunk.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(chunk))
        if ids:
            purged += db.session.execute(delete(UserSession).where(UserSession.id.in_(ids), expired)).rowcount
        db.session.commit()
        if len(ids) < batch:
            break
    return purged
