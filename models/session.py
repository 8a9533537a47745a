"""Server-side sign-in sessions: the signed cookie holds only a random token, so a session can be
ended here (logout, timeouts, password change) and a copied cookie is useless afterwards."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class UserSession(db.Model):
    # SHA-256 of the cookie's token: the table alone does not let anyone sign in.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    address: Mapped[str] = mapped_column(String(64), default="")
