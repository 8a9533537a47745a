"""The audit: who changed what, when and from where. Complaint changes and views go in the
complaint's timeline (ComplaintEvent, written by services.timeline.log_event); administrators'
changes go in AdminAuditEntry. Both are append-only; this module only ever adds rows."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Optional

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, event, false, select
from sqlalchemy.orm import Session

from extensions import db
from models import AdminAuditEntry, Complaint, ComplaintEvent, User
from services import clock

_SNAPSHOTS = "complaint_snapshots"
# Bookkeeping every transition touches; the timeline shows the fields that mean something.
_UNAUDITED = {"version", "updated_at", "next_due_at", "submission_token"}


def remote_address() -> Optional[str]:
    """The client's address. Behind TRUSTED_PROXIES proxies ProxyFix has already put the
    forwarded one here; otherwise X-Forwarded-For is ignored, since any client can send it."""
    return request.remote_addr if has_request_context() else None


def jsonable(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj, fields) -> dict:
    return {name: jsonable(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """{"field": [before, after]} for each field whose value changed; a field only in `before` (a
    deletion: `after` is {}) becomes [value, None]."""
    names = list(after) + [name for name in before if name not in after]
    return {name: [before.get(name), after.get(name)] for name in names if before.get(name) != after.get(name)}


# The complaint's fields before a transition, so its timeline entry can say what changed.

def _complaint_fields() -> list[str]:
    return [column.key for column in Complaint.__table__.columns if column.key not in _UNAUDITED]


def _complaint_state(complaint: Complaint) -> dict:
    """The columns, and the severity they make (major when any criterion holds), as one field of its own."""
    state = snapshot(complaint, _complaint_fields())
    state["severity"] = "major" if complaint.is_major else "general"
    return state


def remember(complaint: Complaint) -> None:
    """Called as a transition starts (services.complaints._check)."""
    db.session.info.setdefault(_SNAPSHOTS, {})[complaint.id] = _complaint_state(complaint)


def complaint_changes(complaint: Complaint) -> Optional[dict]:
    """What changed since remember() (or the previous entry of the same transition), or None."""
    snapshots = db.session.info.get(_SNAPSHOTS, {})
    before = snapshots.get(complaint.id)
    if before is None:
        return None
    now = _complaint_state(complaint)
    snapshots[complaint.id] = now
    return diff(before, now) or None


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_snapshots(session: Session) -> None:
    session.info.pop(_SNAPSHOTS, None)


def record_admin(action: str, target: str, changes: Optional[dict] = None) -> AdminAuditEntry:
    """One administrator's change, in the caller's transaction (written with the change itself)."""
    actor = current_user if has_request_context() and current_user.is_authenticated else None
    entry = AdminAuditEntry(at=clock.now(), actor=actor, remote_addr=remote_address(), action=action,
                            target=target[:200], changes=changes or None)
    db.session.add(entry)
    return entry


def record_api_call(target: str, changes: Optional[dict] = None) -> AdminAuditEntry:
    """One call of the channels' API, whoever made it (a key, not a signed-in user)."""
    entry = AdminAuditEntry(at=clock.now(), actor=None, remote_addr=remote_address(), action="api_call",
                            target=target[:200], changes=changes or None)
    db.session.add(entry)
    return entry


# The audit page's questions.

@dataclass
class Filters:
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    username: str = ""
    number: str = ""
    action: str = ""


def _day_start(day: date) -> datetime:
    return clock.from_local(datetime.combine(day, time.min))


def complaint_events(filters: Filters) -> Select:
    """Timeline entries, newest first, with their complaint's number."""
    query = (select(ComplaintEvent, Complaint.number).join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
             .order_by(ComplaintEvent.at.desc(), ComplaintEvent.id.desc()))
    if filters.number:
        query = query.where(Complaint.number == filters.number.strip().upper())
    if filters.action:
        query = query.where(ComplaintEvent.action == filters.action)
    return _common(query, ComplaintEvent, filters)


def admin_entries(filters: Filters) -> Select:
    query = select(AdminAuditEntry).order_by(AdminAuditEntry.at.desc(), AdminAuditEntry.id.desc())
    if filters.action:
        query = query.where(AdminAuditEntry.action == filters.action)
    return _common(query, AdminAuditEntry, filters)


def _common(query: Select, model, filters: Filters) -> Select:
    if filters.date_from:
        query = query.where(model.at >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(model.at < _day_start(filters.date_to + timedelta(days=1)))
    if filters.username:
        user_id = db.session.scalar(select(User.id).where(User.username == filters.username.strip()))
        # An unknown name matches nothing (`actor_id == None` would match the system's entries).
        query = query.where(model.actor_id == user_id) if user_id is not None else query.where(false())
    return query


def page_of(query: Select, page: int, per_page: int) -> tuple[list, bool]:
    """One page and whether another follows; no COUNT over millions of rows."""
    rows = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page)).all()
    return rows[:per_page], len(rows) > per_page
