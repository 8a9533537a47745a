"""The choice lists of the forms: units, colleagues, departments, categories."""
from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models import Category, Unit, UnitKind, User


def all_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).order_by(Unit.code)))


def colleagues(user: User) -> list[User]:
    """Staff a complaint registered by `user` may be about: the people of the same unit."""
    return list(db.session.scalars(select(User).where(User.unit_id == user.unit_id, User.active.is_(True))
                                   .order_by(User.id).limit(500)))


def department_choices() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.DEPARTMENT, Unit.active.is_(True))
                                   .order_by(Unit.code)))


def active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.id)))
