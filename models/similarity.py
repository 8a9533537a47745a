"""What the similarity of complaints keeps: each complaint's comparable terms (services.textsim),
and the early warnings of concentrated complaints (集中投诉预警) with the complaints of each."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import DDL, ForeignKey, Index, String, Text, event, text
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


# On PostgreSQL the GIN index holds each term with the 10 days it was written in (2891:银行): a lookup
# asks for its terms in the days of its window only, and reads what those days hold, not what every
# complaint of the years before sharing a word does (its cost stays that of a window, at any table size).
KEY_DAYS = 10
KEY_EPOCH = date(2000, 1, 1)
TERM_KEYS = f"""CREATE OR REPLACE FUNCTION complaint_term_keys(registered timestamp, terms text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS
$$ SELECT array(SELECT floor((registered::date - date '{KEY_EPOCH}') / {KEY_DAYS}.0)::int::text || ':' || term
                FROM unnest(terms) AS term) $$"""


def term_keys(terms, since: datetime, until: datetime) -> list[str]:
    """The keys of the index for `terms` written between `since` and `until` (complaint_term_keys)."""
    first, last = ((moment.date() - KEY_EPOCH).days // KEY_DAYS for moment in (since, until))
    return [f"{days}:{term}" for days in range(first, last + 1) for term in sorted(terms)]


class ComplaintTerms(db.Model):
    """The terms of a complaint's content and object, written at registration. Beside the complaint,
    not in it: the similar-complaints lookup reads this narrow table and its indexes only."""
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), primary_key=True)
    registered_at: Mapped[datetime]
    terms: Mapped[frozenset] = mapped_column(TermSet)

    __table_args__ = (
        Index("ix_complaint_terms_registered", "registered_at", "complaint_id"),
        # Without GIN's pending list (fastupdate): every lookup would read all of it, for each of its
        # keys (2,000 complaints waiting there made a lookup of 350 keys 137 ms instead of 0.7).
        Index("ix_complaint_terms_keys", text("complaint_term_keys(registered_at, terms)"),
              postgresql_using="gin", postgresql_with={"fastupdate": "off"}).ddl_if(dialect="postgresql"),
    )


event.listen(ComplaintTerms.__table__, "before_create", DDL(TERM_KEYS).execute_if(dialect="postgresql"))


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
