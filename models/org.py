"""The organisation: units (head office, branches, departments, service center) and their users."""
from __future__ import annotations

import enum
from datetime import time
from typing import Optional

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db


class UnitKind(str, enum.Enum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"
    DEPARTMENT = "department"
    SERVICE_CENTER = "service_center"


class Role(str, enum.Enum):
    STAFF = "staff"                      # first-contact staff 首问负责人
    LOBBY_MANAGER = "lobby_manager"      # 大堂经理
    BRANCH_HEAD = "branch_head"          # 网点主任
    DEPT_STAFF = "dept_staff"            # 责任部门经办人
    DEPT_HEAD = "dept_head"              # 部门负责人
    CENTER = "center"                    # 客户服务中心
    LEADER = "leader"                    # 分管领导
    ADMIN = "admin"                      # 系统管理员


def enum_column(enum_cls):
    """Enums stored as their string values, portable between SQLite and PostgreSQL."""
    return Enum(enum_cls, native_enum=False, length=32,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)


class Unit(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    # The unit's own working hours; None: the organisation's (WORKDAY_START / WORKDAY_END).
    work_start: Mapped[Optional[time]]
    work_end: Mapped[Optional[time]]
    # Units are deactivated, not deleted, once complaints or users point at them.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # 回避 for the whole unit: a complaint about it is never dispatched to it. Off (the administrator's
    # choice, e.g. for a branch that must answer for its own counter): only the person complained about
    # steps aside, and the unit handles the complaint itself.
    avoids_as_a_whole: Mapped[bool] = mapped_column(default=True, server_default=true())

    parent: Mapped[Optional[Unit]] = relationship(remote_side=[id])

    def display_name(self, locale: str) -> str:
        return self.name if locale.startswith("zh") else self.name_en

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    # Accounts are disabled, never deleted: complaints keep pointing at who handled them.
    active: Mapped[bool] = mapped_column(default=True)
    # Set when an administrator creates the account or resets its password (a one-time password).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The organisation's own title for the role (市场部经理 for a center account, 总经理 for a leader), from its profile.
    title: Mapped[Optional[str]] = mapped_column(String(50))

    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_authenticated(self) -> bool:
        # A User is current_user only once load_user accepted it (active). Flask-Login's default
        # reads is_active, and after a commit expired the object that cost a query per request.
        return True

    def set_password(self, password: str) -> None:
        # The method is configurable only so the test suite can hash cheaply.
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class Organisation(db.Model):
    """The one organisation this database serves, as its profile set it up: its name and the records
    of its own it keeps (the profile's `records:` section, e.g. the manufacturer's weekly 投诉统计表)."""
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(40))
    records: Mapped[dict] = mapped_column(JSON, default=dict)
