"""The choice lists of the forms: units, categories, colleagues (where to dispatch: services.routing).

The units and categories are read as plain values and kept between requests (services.kept): every
form and list offers them, and only an administrator changes them (a write to their tables raises
the kept values' version)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from extensions import db
from models import Category, Complaint, Unit, UnitKind, User
from services import kept, policy


@dataclass(frozen=True)
class Place:
    """A unit, as the forms name it."""
    id: int
    code: str
    name: str
    name_en: str
    kind: UnitKind
    active: bool
    avoids_as_a_whole: bool

    display_name = Unit.display_name   # it reads only the two names


@dataclass(frozen=True)
class Kind:
    """A category of complaints, as the forms name it."""
    id: int
    code: str
    name: str
    name_en: str
    active: bool

    display_name = Category.display_name   # it reads only the two names


def units() -> dict[int, Place]:
    """Every unit, active or not, by id in the order of their codes."""
    return kept.kept("units", Unit, lambda: {
        row.id: Place(row.id, row.code, row.name, row.name_en, row.kind, row.active, row.avoids_as_a_whole)
        for row in db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.name_en, Unit.kind, Unit.active,
                                             Unit.avoids_as_a_whole).order_by(Unit.code))})


def all_units() -> list[Place]:
    return list(units().values())


def categories() -> tuple[Kind, ...]:
    """Every category, active or not, by id."""
    return kept.kept("categories", Category, lambda: tuple(
        Kind(*row) for row in db.session.execute(select(Category.id, Category.code, Category.name, Category.name_en,
                                                        Category.active).order_by(Category.id))))


def active_categories() -> list[Kind]:
    return [category for category in categories() if category.active]


def colleagues(user: User) -> list[User]:
    """Staff a complaint registered by `user` may be about: the people of the same unit."""
    return list(db.session.scalars(select(User).where(User.unit_id == user.unit_id, User.active.is_(True))
                                   .order_by(User.id).limit(500)))


def possible_handlers(complaint: Complaint) -> list[User]:
    """Whom the head of the handling unit may assign the complaint to: its active people, not the one
    the complaint is about (回避)."""
    unit = complaint.handling_unit
    roles = policy.HANDLING_UNIT_ROLES.get(unit.kind, set()) if unit else set()
    return list(db.session.scalars(select(User).where(
        User.unit_id == complaint.handling_unit_id, User.role.in_(roles), User.active.is_(True),
        User.id != (complaint.object_user_id or 0)).order_by(User.id).limit(500)))
