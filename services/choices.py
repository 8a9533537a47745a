"""The choice lists of the forms: units, colleagues, categories (where to dispatch: services.routing)."""
from __future__ import annotations


from sqlalchemy import select

from extensions import db
from models import Category, Complaint, Unit, User
from services import policy


def all_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).order_by(Unit.code)))


def colleagues(user: User) -> list[User]:
    """Staff a complaint registered by `user` may be about: the people of the same unit."""
    return list(db.session.scalars(select(User).where(User.unit_id == user.unit_id, User.active.is_(True))
                                   .order_by(User.id).limit(500)))


def active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.id)))


def possible_handlers(complaint: Complaint) -> list[User]:
    """Whom the head of the handling unit may assign the complaint to: its active people, not the one
    the complaint is about (回避)."""
    unit = complaint.handling_unit
    roles = policy.HANDLING_UNIT_ROLES.get(unit.kind, set()) if unit else set()
    return list(db.session.scalars(select(User).where(
        User.unit_id == complaint.handling_unit_id, User.role.in_(roles), User.active.is_(True),
        User.id != (complaint.object_user_id or 0)).order_by(User.id).limit(500)))
