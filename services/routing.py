"""Where dispatching a complaint is suggested to go: the most specific routing rule by object that
matches it, else its category's department."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import or_, select

from extensions import db
from models import Complaint, ObjectRoutingRule, RoutingRule, Unit, UnitKind


@dataclass
class Suggestion:
    """Where dispatching a complaint is suggested to go, and why: a routing rule by object, or (rule
    None) the category's department."""
    unit: Unit
    rule: Optional[ObjectRoutingRule] = None


def category_department(category_id: int) -> Optional[Unit]:
    """The category's routing department (its default), if it has one."""
    rule = db.session.scalar(select(RoutingRule).where(RoutingRule.category_id == category_id))
    return rule.unit if rule else None


def _specificity(rule: ObjectRoutingRule) -> tuple:
    """Sort key, most specific first: a rule naming the category before one for any category, one
    naming the unit complained about before a word only, a longer word before a shorter, then the oldest."""
    return (rule.category_id is None, rule.object_unit_id is None, rule.object_keyword is None,
            -len(rule.object_keyword or ""), rule.id)


def matching_object_rules(complaint: Complaint) -> list[ObjectRoutingRule]:
    """The routing rules by object that match the complaint, most specific first."""
    rules = db.session.scalars(select(ObjectRoutingRule).where(or_(
        ObjectRoutingRule.category_id.is_(None), ObjectRoutingRule.category_id == complaint.category_id)))
    about = (complaint.object_text or "").casefold()
    return sorted((rule for rule in rules
                   if (rule.object_unit_id is None or rule.object_unit_id == complaint.object_unit_id)
                   and (not rule.object_keyword or rule.object_keyword.casefold() in about)), key=_specificity)


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
