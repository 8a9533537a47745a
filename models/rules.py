"""Rules the administrator may change: deadline rules, the working-calendar overrides and the
settings of the rules that count (the repeat rule's similarity)."""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Date, Float, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.complaint import DeadlineKind
from models.org import enum_column


class DeadlineRule(db.Model):
    """Overrides the built-in default of one clock (services.rules.DEFAULTS), per level where the
    clock depends on it. A change applies to clocks started afterwards; running ones keep their time."""
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DeadlineKind] = mapped_column(enum_column(DeadlineKind))
    level: Mapped[Optional[int]]
    period_minutes: Mapped[int]
    remind_before_minutes: Mapped[int]
    escalate_after_minutes: Mapped[int]

    __table_args__ = (UniqueConstraint("kind", "level", name="uq_deadline_rule_kind_level"),)


class CalendarOverride(db.Model):
    """A day the official holiday calendar gets wrong for us (or does not know yet)."""
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")


class RuleSetting(db.Model):
    """A number an administrator sets for a rule, by its key (services.severity.REPEAT_SIMILARITY:
    how alike complaints must be written for the repeat rule). No row: the deployment's default."""
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class SettingsVersion(db.Model):
    """One row: a number raised by every transaction that writes a setting each process keeps between
    requests (services.kept). No row yet: version 0."""
    __tablename__ = "settings_version"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(db.BigInteger, default=0)
