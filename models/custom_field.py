"""Fields an organisation defines for its complaints (订单数据, 项目/楼栋/房号 …): their definitions
here, their values in Complaint.extra (JSONB with a GIN index on PostgreSQL, JSON on SQLite)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.org import enum_column


class FieldType(str, enum.Enum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    CHOICE = "choice"


class CustomField(db.Model):
    __tablename__ = "custom_field"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)   # the value's key in Complaint.extra
    label_zh: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100))
    type: Mapped[FieldType] = mapped_column(enum_column(FieldType))
    choices: Mapped[Optional[list]] = mapped_column(JSON)           # the options of a choice field
    required: Mapped[bool] = mapped_column(default=False)
    category_ids: Mapped[Optional[list]] = mapped_column(JSON)      # None: every category
    active: Mapped[bool] = mapped_column(default=True)              # retired, never deleted once used
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]

    def label(self, locale: str) -> str:
        return self.label_zh if str(locale).startswith("zh") else self.label_en

    def applies_to(self, category_id: Optional[int]) -> bool:
        return self.category_ids is None or category_id in self.category_ids
