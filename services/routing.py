"""Where a complaint may be dispatched, to whom, and where it is suggested to go: the most specific
routing rule by object that matches it, else its category's department.

All of it is read as plain values and kept between requests (services.kept): the dispatch form of
every registered complaint offers it, and it changes only when an administrator edits a unit, a
person or a rule (a write to their tables raises the kept values' version)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import Complaint, ObjectRoutingRule, RoutingRule, Unit, UnitKind, User
from services import choices, kept, policy
from services.choices import Place


@dataclass(frozen=True)
class ObjectRule:
    """A routing rule by object (models.ObjectRoutingRule), with its units."""
    id: int
    category_id: Optional[int]
    object_unit: Optional[Place]
    object_keyword: Optional[str]
    unit: Place

    describe = ObjectRoutingRule.describe   # it reads only the object's unit and word

    def matches(self, complaint: Complaint) -> bool:
        return (self.category_id in (None, complaint.category_id)
                and (self.object_unit is None or self.object_unit.id == complaint.object_unit_id)
                and (not self.object_keyword or self.object_keyword.casefold() in (complaint.object_text or "").casefold()))

    def specificity(self) -> tuple:
        """Sort key, most specific first: a rule naming the category before one for any category, one
        naming the unit complained about before a word only, a longer word before a shorter, then the oldest."""
        return (self.category_id is None, self.object_unit is None, self.object_keyword is None,
                -len(self.object_keyword or ""), self.id)


@dataclass(frozen=True)
class Handler:
    """Someone who may handle a complaint dispatched to their unit (policy.may_handle_for)."""
    id: int
    unit_id: int
    name: str


@dataclass(frozen=True)
class Directory:
    destinations: tuple[Place, ...]       # the active departments, then the active branches, each by code
    handlers: dict[int, tuple[Handler, ...]]   # of each destination, by id
    category_units: dict[int, Place]      # a category's department (RoutingRule)
    object_rules: tuple[ObjectRule, ...]  # most specific first


@dataclass
class Suggestion:
    """Where dispatching a complaint is suggested to go, and why: a routing rule by object, or (rule
    None) the category's department."""
    unit: Place
    rule: Optional[ObjectRule] = None


def directory() -> Directory:
    return kept.kept("dispatch_directory", (Unit, User, RoutingRule, ObjectRoutingRule), _read_directory)


def _read_directory() -> Directory:
    units = choices.units()
    destinations = tuple(sorted((u for u in units.values() if u.active and u.kind in policy.HANDLING_UNIT_ROLES),
                                key=lambda u: (u.kind != UnitKind.DEPARTMENT, u.code)))
    people: dict[int, list[Handler]] = {unit.id: [] for unit in destinations}
    for p in db.session.execute(select(User.id, User.unit_id, User.name, User.role, User.active)
                                .where(User.active.is_(True)).order_by(User.id)):
        if p.unit_id in people and policy.may_handle_for(p, units[p.unit_id]):   # the dispatch's own check
            people[p.unit_id].append(Handler(p.id, p.unit_id, p.name))
    rules = db.session.execute(select(ObjectRoutingRule.id, ObjectRoutingRule.category_id,
                                      ObjectRoutingRule.object_unit_id, ObjectRoutingRule.object_keyword,
                                      ObjectRoutingRule.unit_id))
    return Directory(
        destinations=destinations,
        handlers={unit: tuple(found) for unit, found in people.items()},
        category_units={category: units[unit] for category, unit in
                        db.session.execute(select(RoutingRule.category_id, RoutingRule.unit_id))},
        object_rules=tuple(sorted((ObjectRule(r.id, r.category_id, units.get(r.object_unit_id), r.object_keyword,
                                              units[r.unit_id]) for r in rules), key=ObjectRule.specificity)))


def destinations(excluding: Optional[int] = None) -> list[Place]:
    """The units a complaint may be dispatched to (the active departments, then the active
    branches), without `excluding` (the complaint's receiving unit)."""
    return [u for u in directory().destinations if u.id != excluding]


def handlers_of(unit_id: Optional[int]) -> tuple[Handler, ...]:
    """Who may handle a complaint dispatched to this unit (none if it is not a destination)."""
    return directory().handlers.get(unit_id, ())


def category_department(category_id: int) -> Optional[Place]:
    """The category's routing department (its default), if it has one."""
    return directory().category_units.get(category_id)


def matching_object_rules(complaint: Complaint) -> list[ObjectRule]:
    """The routing rules by object that match the complaint, most specific first."""
    return [rule for rule in directory().object_rules if rule.matches(complaint)]


def suggested_department(complaint: Complaint) -> Optional[Suggestion]:
    """The unit of the most specific routing rule by object that matches the complaint, else its
    category's department. A deactivated department, or the unit the complaint is about (回避), is
    never suggested; the next candidate is."""
    candidates = [Suggestion(rule.unit, rule) for rule in matching_object_rules(complaint)]
    default = category_department(complaint.category_id)
    if default is not None:
        candidates.append(Suggestion(default))
    for candidate in candidates:
        unit = candidate.unit
        if unit.active and unit.kind == UnitKind.DEPARTMENT and not (
                unit.id == complaint.object_unit_id and unit.avoids_as_a_whole):
            return candidate
    return None
