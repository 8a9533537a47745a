"""A customer's earlier complaints, found by any of their numbers (services.identity) through the
indexed columns: those the viewer may open (services.policy) and a count of the others."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, Select, false, func, not_, or_, select

from extensions import db
from models import Complaint, ComplaintState, User
from services import clock, policy
from services.identity import Numbers

RECENT = timedelta(days=365)   # closed complaints count as the customer's history for a year
SHOWN_AT_MOST = 10


def of_customer(numbers: Numbers) -> ColumnElement[bool]:
    """The complaints of the customer with any of these numbers (an equality per indexed column)."""
    if not numbers:
        return false()
    return or_(*(column == value for column, value in (
        (Complaint.customer_mobile, numbers.mobile), (Complaint.customer_id_number, numbers.id_number),
        (Complaint.customer_account, numbers.account)) if value))


@dataclass
class History:
    shown: list          # the complaints the viewer may open, newest first
    more_shown: bool     # more than SHOWN_AT_MOST of those: the customer page lists them all
    others: int          # the customer's complaints the viewer may not open


def recent(viewer: User, numbers: Numbers) -> History:
    """The customer's open complaints and those registered in the last year, as the registration
    form shows them while the number is typed."""
    if not numbers:
        return History([], False, 0)
    recent_or_open = or_(Complaint.state != ComplaintState.CLOSED,
                         Complaint.registered_at >= clock.now() - RECENT)
    where = (of_customer(numbers), recent_or_open)
    visible = policy.visible_complaints(viewer)
    shown = list(db.session.scalars(select(Complaint).where(*where, visible)
                                    .order_by(Complaint.registered_at.desc(), Complaint.id.desc())
                                    .limit(SHOWN_AT_MOST + 1)))
    others = db.session.scalar(select(func.count()).select_from(Complaint).where(*where, not_(visible)))
    return History(shown[:SHOWN_AT_MOST], len(shown) > SHOWN_AT_MOST, others)


def all_of(numbers: Numbers) -> Select:
    """Every complaint of the customer, newest first (the caller narrows it to what the user sees)."""
    return (select(Complaint).where(of_customer(numbers))
            .order_by(Complaint.registered_at.desc(), Complaint.id.desc()))


def hidden_count(viewer: User, numbers: Numbers) -> int:
    """How many of the customer's complaints `viewer` may not open."""
    if not numbers:
        return 0
    return db.session.scalar(select(func.count()).select_from(Complaint)
                             .where(of_customer(numbers), not_(policy.visible_complaints(viewer))))
