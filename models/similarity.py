"""What the similarity of complaints keeps: each complaint's comparable terms (services.textsim),
and the early warnings of concentrated complaints (集中投诉预警) with the complaints of each."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from extensions import db
from models.complaint import Complaint, Incident
from models.org import User


class TermSet(TypeDecorator):
    """A set of terms: a text array on PostgreSQL (a GIN index finds the rows sharing one), a
    space-separated text on SQLite. Read back as a frozenset either way."""
    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(ARRAY(Text) if dialect.name == "postgresql" else Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return sorted(value) if dialect.name == "postgresql" else " ".join(sorted(value))

    def process_result_value(self, value, dialect):
        if not value:
            return frozenset()
        return frozenset(value) if dialect.name == "postgresql" else frozenset(value.split())


class ComplaintTerms(db.Model):
    """The terms of a complaint's content and object, written at registration. Beside the complaint,
    not in it: the similar-complaints lookup reads this narrow table and its indexes only."""
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), primary_key=True)
    registered_at: Mapped[datetime]
    terms: Mapped[frozenset] = mapped_column(TermSet)

    __table_args__ = (
        Index("ix_complaint_terms_registered", "registered_at", "complaint_id"),
        Index("ix_complaint_terms_gin", "terms", postgresql_using="gin").ddl_if(dialect="postgresql"),
    )


class WaveAlert(db.Model):
    """One early warning: similar complaints from many customers, units or channels in a short time.
    Raised once per wave (its first complaint is unique), it grows as the wave does, and ends when
    the center opens the incident that links its complaints, or dismisses it."""
    id: Mapped[int] = mapped_column(primary_key=True)
    seed_complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    raised_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    complaints: Mapped[int]
    shared_words: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[Optional[int]] = mapped_column(ForeignKey("incident.id"))
    dismissed_at: Mapped[Optional[datetime]]
    dismissed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    incident: Mapped[Optional[Incident]] = relationship()
    dismissed_by: Mapped[Optional[User]] = relationship()

    __table_args__ = (Index("ix_wave_alert_open", "raised_at",
                            sqlite_where=db.text("incident_id IS NULL AND dismissed_at IS NULL"),
                            postgresql_where=db.text("incident_id IS NULL AND dismissed_at IS NULL")),)


class WaveAlertMember(db.Model):
    """A complaint counted in an alert; in one alert at most."""
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("wave_alert.id"), index=True)

    complaint: Mapped[Complaint] = relationship()
