"""The complaint's timeline: one entry per change and per view, with who, when and from where."""
from __future__ import annotations

from typing import Optional

from extensions import db
from models import Complaint, ComplaintEvent, User
from models.complaint import CUSTOMER_NUMBER_COLUMNS
from services import audit, clock, sql


def log_event(complaint: Complaint, actor: Optional[User], action: str, detail: Optional[str] = None,
              changes: Optional[dict] = None) -> ComplaintEvent:
    """One timeline entry: who, when, from where, and (for a transition) each field before and after."""
    if changes is None:
        changes = audit.complaint_changes(complaint)
    # (The actor's key as well as the actor: a view and a registration's entries are written past the unit of
    # work, services.sql.insert_together.)
    entry = ComplaintEvent(complaint_id=complaint.id, at=clock.now(), actor=actor,
                           actor_id=actor.id if actor is not None else None, action=action,
                           detail=detail, remote_addr=audit.remote_address(), changes=changes)
    db.session.add(entry)
    return entry


FULL_NUMBERS = "full_numbers"   # the detail of a view that showed the customer's numbers whole


def record_view(complaint: Complaint, viewer: User, full_numbers: bool = False) -> None:
    """A view; one of a page showing the customer's mobile, ID or account number whole says so."""
    shown = full_numbers and any(getattr(complaint, column) for column in CUSTOMER_NUMBER_COLUMNS)
    # Written at once by a statement of its own, not by the page's next query's flush: the unit of
    # work cost more than the statement (services.sql.insert_together).
    sql.insert_together([log_event(complaint, viewer, "viewed", FULL_NUMBERS if shown else None)])
