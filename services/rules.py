"""The deadline rules: built-in defaults from the spec, overridden by the administrator's rows.
What a period means depends on the clock: calendar time for most, working time for progress notes
and plan approval, working days for the return visit (see services.deadlines)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import DeadlineKind, DeadlineRule
from services import kept

K = DeadlineKind
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    period: timedelta
    remind_before: timedelta
    escalate_after: timedelta


DEFAULTS: dict[tuple[DeadlineKind, Optional[int]], Rule] = {
    (K.REGISTRATION, None): Rule(15 * M, 0 * M, 0 * M),
    (K.DISPATCH, None): Rule(30 * M, 10 * M, 30 * M),          # in working hours; see deadlines.dispatch_due
    (K.FIRST_RESPONSE, 1): Rule(1 * H, 15 * M, 1 * H),
    (K.FIRST_RESPONSE, 2): Rule(2 * H, 15 * M, 1 * H),
    (K.FIRST_RESPONSE, 3): Rule(4 * H, 15 * M, 1 * H),
    (K.RESOLUTION, 1): Rule(24 * H, 4 * H, 24 * H),
    (K.RESOLUTION, 2): Rule(48 * H, 4 * H, 24 * H),
    (K.RESOLUTION, 3): Rule(72 * H, 4 * H, 24 * H),
    (K.ANSWER, None): Rule(3 * D, 1 * D, 1 * D),                # calendar days
    (K.PLAN_APPROVAL, None): Rule(8 * H, 2 * H, 4 * H),         # working time: one working day
    (K.PROGRESS, None): Rule(30 * M, 0 * M, 2 * H),             # working time
    (K.RETURN_VISIT, None): Rule(2 * D, 4 * H, 1 * D),          # working days
    (K.FINAL_DECISION, None): Rule(15 * D, 3 * D, 1 * D),       # the regulatory ceiling
    (K.REVIEW, None): Rule(30 * D, 3 * D, 1 * D),
    (K.AGREED, None): Rule(1 * D, 1 * D, 1 * D),               # from the start of the plan's date: its end
    (K.CAPA_SIGNOFF, None): Rule(8 * H, 2 * H, 4 * H),          # working time: the 分管领导 signs off in a working day
    (K.CAPA_RECORD, None): Rule(3 * D, 1 * D, 1 * D),           # calendar days: the department's record
}


def rule(kind: DeadlineKind, level: Optional[int] = None) -> Rule:
    key = (kind, level) if (kind, level) in DEFAULTS else (kind, None)
    return _stored_rules().get(key) or DEFAULTS[key]


def _stored_rules() -> dict[tuple, Rule]:
    """The administrator's rules, kept between requests until a setting changes (services.kept)."""
    def load():
        return {(row.kind, row.level): Rule(row.period_minutes * M, row.remind_before_minutes * M,
                                            row.escalate_after_minutes * M)
                for row in db.session.scalars(select(DeadlineRule))}
    return kept.kept("deadline_rules", DeadlineRule, load)


def set_rule(kind: DeadlineKind, level: Optional[int], new: Rule) -> DeadlineRule:
    row = db.session.scalar(select(DeadlineRule).where(
        DeadlineRule.kind == kind, DeadlineRule.level == level if level is not None else DeadlineRule.level.is_(None)))
    if row is None:
        row = DeadlineRule(kind=kind, level=level)
        db.session.add(row)
    row.period_minutes = int(new.period / M)
    row.remind_before_minutes = int(new.remind_before / M)
    row.escalate_after_minutes = int(new.escalate_after / M)
    return row
