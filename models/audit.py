"""The administrators' audit trail, and the append-only guard on both audit tables."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, DDL, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.complaint import ComplaintEvent
from models.org import User


class AdminAuditEntry(db.Model):
    """One change an administrator made: rules, calendar, unit hours, units, users, categories,
    routing, and the e-mail check. Written with the change, never updated or deleted."""
    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    remote_addr: Mapped[Optional[str]] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))          # e.g. "user_created", "rule_changed"
    target: Mapped[str] = mapped_column(String(200))          # what was changed, readable: "user staff3"
    changes: Mapped[Optional[dict]] = mapped_column(JSON)     # {"field": [before, after], ...}

    actor: Mapped[Optional[User]] = relationship(lazy="joined")

    __table_args__ = (Index("ix_admin_audit_at", "at", "id"),)


# PostgreSQL refuses any UPDATE or DELETE on the audit tables, whoever connects through the app.
# The same statements are in the migration; here they serve databases built with create_all()
# (DDL formats its text with %, hence the doubling).
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_audit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit table % is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql
"""


def append_only_trigger(table: str) -> str:
    return (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION refuse_audit_change()")


for _table in (ComplaintEvent.__table__, AdminAuditEntry.__table__):
    event.listen(_table, "after_create", DDL(APPEND_ONLY_FUNCTION.replace("%", "%%")).execute_if(dialect="postgresql"))
    event.listen(_table, "after_create", DDL(append_only_trigger(_table.name)).execute_if(dialect="postgresql"))
