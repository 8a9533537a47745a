"""The channels' API keys and the creations they asked for (idempotency)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.org import Unit, User, enum_column


class ApiChannel(str, enum.Enum):
    """Who calls the API with a key: it becomes the complaint's channel."""
    HOTLINE = "hotline"
    APP = "app"
    MINI_PROGRAM = "mini_program"
    PARTNER = "partner"


class ApiScope(str, enum.Enum):
    CREATE = "create"        # file a complaint
    ADD = "add"              # add information or evidence to one
    READ = "read"            # read a complaint's status and timeline, list a customer's complaints


class ApiKey(db.Model):
    """One channel's key. Only the SHA-256 of the secret is kept; the prefix finds the row."""
    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[ApiChannel] = mapped_column(enum_column(ApiChannel))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list] = mapped_column(JSON)                       # ApiScope values
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))      # the unit that receives its complaints
    created_at: Mapped[datetime]
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[Optional[datetime]]
    last_used_at: Mapped[Optional[datetime]]

    unit: Mapped[Unit] = relationship(lazy="joined")
    created_by: Mapped[Optional[User]] = relationship()

    def allows(self, scope: ApiScope) -> bool:
        return scope.value in (self.scopes or [])


class ApiFiling(db.Model):
    """A complaint filed through a key, under the caller's Idempotency-Key: the same key and body
    give the same complaint; the same key with another body is refused."""
    __tablename__ = "api_filing"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    created_at: Mapped[datetime]

    api_key: Mapped[ApiKey] = relationship()

    __table_args__ = (UniqueConstraint("api_key_id", "idempotency_key", name="uq_api_filing_key"),)
