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


# The database refuses any UPDATE or DELETE on the audit tables, whoever connects through the app:
# PostgreSQL with a trigger function, SQLite with a trigger per statement. The same statements are in
# the migrations (bba0c83b31b7, 7ebbbb43ccf7); here they serve databases built with create_all()
# (DDL formats its text with %, hence the doubling). On SQLite a batch migration that recreates one of
# these tables drops its triggers with the old table: such a migration must create them again.
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


# SQLite has no trigger functions: one trigger per statement kind, each aborting the statement.
SQLITE_EVENTS = ("UPDATE", "DELETE")


def sqlite_trigger_name(table: str, statement: str) -> str:
    return f"{table}_append_only_{statement.lower()}"


def sqlite_append_only_triggers(table: str) -> list[str]:
    return [f"CREATE TRIGGER {sqlite_trigger_name(table, statement)} BEFORE {statement} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'the audit table {table} is append-only'); END"
            for statement in SQLITE_EVENTS]


AUDIT_TABLES = (ComplaintEvent.__table__, AdminAuditEntry.__table__)
for _table in AUDIT_TABLES:
    event.listen(_table, "after_create", DDL(APPEND_ONLY_FUNCTION.replace("%", "%%")).execute_if(dialect="postgresql"))
    event.listen(_table, "after_create", DDL(append_only_trigger(_table.name)).execute_if(dialect="postgresql"))
    for _statement in sqlite_append_only_triggers(_table.name):
        event.listen(_table, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
