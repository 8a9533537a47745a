"""The administrator's changes to the organisation: units, users, categories and their routing,
and the e-mail check. Each one checks what must hold, makes the change and writes the admin audit
entry in the caller's transaction (the caller commits)."""
from __future__ import annotations

import secrets
from email.message import EmailMessage
from typing import Optional

from flask import current_app
from sqlalchemy import exists, func, or_, select

from extensions import db, lazy_gettext as _l
from models import Category, Complaint, ObjectRoutingRule, Role, RoutingRule, Unit, UnitKind, User
from services import audit, handover, notify, policy
from services.errors import Refused

# Which kind of unit each role belongs to; the administrator may sit anywhere.
ROLE_UNIT_KINDS = {
    Role.STAFF: {UnitKind.BRANCH}, Role.LOBBY_MANAGER: {UnitKind.BRANCH}, Role.BRANCH_HEAD: {UnitKind.BRANCH},
    Role.DEPT_STAFF: {UnitKind.DEPARTMENT}, Role.DEPT_HEAD: {UnitKind.DEPARTMENT},
    Role.CENTER: {UnitKind.SERVICE_CENTER}, Role.LEADER: {UnitKind.HEAD_OFFICE}, Role.ADMIN: set(UnitKind),
}
UNIT_FIELDS = ("code", "name", "name_en", "kind", "parent_id", "active", "avoids_as_a_whole")
USER_FIELDS = ("username", "name", "email", "role", "unit_id", "active", "must_change_password", "title")
CATEGORY_FIELDS = ("code", "name", "name_en", "active", "department_id")
OBJECT_RULE_FIELDS = ("category_id", "object_unit_id", "object_keyword", "unit_id")
# No 0/O, 1/l/I: the one-time password is read off a screen and typed.
_PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# Units

def create_unit(code: str, name: str, name_en: str, kind: UnitKind, parent: Optional[Unit]) -> Unit:
    if db.session.scalar(select(Unit.id).where(func.lower(Unit.code) == code.lower())) is not None:
        raise Refused(_l("Another unit has this code."), "code")
    unit = Unit(code=code, name=name, name_en=name_en, kind=kind, active=True)
    _place(unit, parent)
    db.session.add(unit)
    db.session.flush()
    audit.record_admin("unit_created", f"unit {code}", audit.diff({}, audit.snapshot(unit, UNIT_FIELDS)))
    return unit


def update_unit(unit: Unit, name: str, name_en: str, parent: Optional[Unit], avoids_as_a_whole: bool = True) -> None:
    """Rename, move under another parent, or set whether 回避 takes in the whole unit."""
    before = audit.snapshot(unit, UNIT_FIELDS)
    unit.name, unit.name_en, unit.avoids_as_a_whole = name, name_en, avoids_as_a_whole
    _place(unit, parent)
    _record_unit("unit_changed", unit, before)


def _place(unit: Unit, parent: Optional[Unit]) -> None:
    if parent is None:
        if unit.kind != UnitKind.HEAD_OFFICE:
            raise Refused(_l("Every unit but the head office is part of another unit."), "parent")
    else:
        if not parent.active:
            raise Refused(_l("That unit is deactivated."), "parent")
        ancestor = parent
        while ancestor is not None:   # the tree must stay a tree
            if ancestor is unit:
                raise Refused(_l("A unit cannot be moved under itself or one of its own units."), "parent")
            ancestor = ancestor.parent
    unit.parent = parent


def set_unit_active(unit: Unit, active: bool) -> None:
    if not active:
        if db.session.scalar(select(exists().where(User.unit_id == unit.id, User.active.is_(True)))):
            raise Refused(_l("Move or disable this unit's users first."))
        if db.session.scalar(select(exists().where(Unit.parent_id == unit.id, Unit.active.is_(True)))):
            raise Refused(_l("Deactivate or move the units under it first."))
    elif unit.parent is not None and not unit.parent.active:
        raise Refused(_l("Reactivate the unit it is part of first."))
    before = audit.snapshot(unit, UNIT_FIELDS)
    unit.active = active
    _record_unit("unit_activated" if active else "unit_deactivated", unit, before)


def delete_unit(unit: Unit) -> None:
    """Only a unit nothing refers to: no users, complaints, sub-units or routing rules. Anything
    else is deactivated instead, so the records keep pointing at it."""
    used = (exists().where(User.unit_id == unit.id), exists().where(Unit.parent_id == unit.id),
            exists().where(RoutingRule.unit_id == unit.id),
            exists().where(or_(ObjectRoutingRule.unit_id == unit.id, ObjectRoutingRule.object_unit_id == unit.id)),
            exists().where(or_(Complaint.unit_id == unit.id, Complaint.handling_unit_id == unit.id,
                               Complaint.object_unit_id == unit.id)))
    if any(db.session.scalar(select(condition)) for condition in used):
        raise Refused(_l("This unit has users, complaints, sub-units or routing rules; deactivate it instead."))
    audit.record_admin("unit_deleted", f"unit {unit.code}", audit.diff(audit.snapshot(unit, UNIT_FIELDS), {}))
    db.session.delete(unit)


def _record_unit(action: str, unit: Unit, before: dict) -> None:
    db.session.flush()
    audit.record_admin(action, f"unit {unit.code}", audit.diff(before, audit.snapshot(unit, UNIT_FIELDS)))


# Users

def one_time_password() -> str:
    """12 random characters in 3 groups, with upper and lower case and a digit."""
    while True:
        chars = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(12))
        if any(c.isupper() for c in chars) and any(c.islower() for c in chars) and any(c.isdigit() for c in chars):
            return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


def _check_placement(role: Role, unit: Unit) -> None:
    if not unit.active:
        raise Refused(_l("That unit is deactivated."), "unit")
    if unit.kind not in ROLE_UNIT_KINDS[role]:
        raise Refused(_l("This role does not belong in that kind of unit."), "unit")


def create_user(username: str, name: str, email: str, role: Role, unit: Unit, title: str = "") -> tuple[User, str]:
    """A new account with a one-time password, to be changed at the first sign-in. Returns both;
    the password is shown once and stored only as its hash. `title`: the organisation's word for the role."""
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise Refused(_l("This username is taken."), "username")
    _check_placement(role, unit)
    password = one_time_password()
    user = User(username=username, name=name, email=email, role=role, unit=unit, locale="zh_CN", active=True,
                must_change_password=True, title=title or None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record_admin("user_created", f"user {username}", audit.diff({}, audit.snapshot(user, USER_FIELDS)))
    return user, password


def update_user(user: User, name: str, email: str, role: Role, unit: Unit, by: User,
                title: Optional[str] = None) -> None:
    """`title` None keeps the account's title; "" clears it."""
    if user.id == by.id and role != user.role:
        raise Refused(_l("You cannot change your own role."), "role")
    if unit.id != user.unit_id or role != user.role:
        _check_placement(role, unit)
    before = audit.snapshot(user, USER_FIELDS)
    user.name, user.email, user.role, user.unit = name, email, role, unit
    if title is not None:
        user.title = title or None
    _record_user("user_changed", user, before)


def set_user_active(user: User, active: bool, by: User) -> None:
    """Accounts are disabled, never deleted: the complaints keep pointing at who handled them."""
    if user.id == by.id and not active:
        raise Refused(_l("You cannot disable your own account."))
    cases = [] if active else handover.open_cases_of(user)
    if cases:
        # No case may rest on an account nobody reads: hand them over first (the user's page offers it).
        raise Refused(_l("Hand over the open cases of this account first: %(numbers)s",
                         numbers=", ".join(c.number for c in cases[:20]) + (" …" if len(cases) > 20 else "")))
    before = audit.snapshot(user, USER_FIELDS)
    user.active = active
    _record_user("user_enabled" if active else "user_disabled", user, before)


def reset_password(user: User) -> str:
    password = one_time_password()
    before = audit.snapshot(user, USER_FIELDS)
    user.set_password(password)
    user.must_change_password = True
    _record_user("password_reset", user, before)
    return password


def _record_user(action: str, user: User, before: dict) -> None:
    db.session.flush()
    audit.record_admin(action, f"user {user.username}", audit.diff(before, audit.snapshot(user, USER_FIELDS)))


# Categories and routing

def _category_state(category: Category) -> dict:
    rule = db.session.scalar(select(RoutingRule).where(RoutingRule.category_id == category.id)) \
        if category.id else None
    state = audit.snapshot(category, CATEGORY_FIELDS[:-1])
    state["department_id"] = rule.unit_id if rule else None
    return state


def create_category(code: str, name: str, name_en: str, active: bool, department: Optional[Unit]) -> Category:
    if db.session.scalar(select(Category.id).where(func.lower(Category.code) == code.lower())) is not None:
        raise Refused(_l("Another category has this code."), "code")
    category = Category(code=code, name=name, name_en=name_en, active=active)
    db.session.add(category)
    db.session.flush()
    _route(category, department)
    audit.record_admin("category_created", f"category {code}", audit.diff({}, _category_state(category)))
    return category


def update_category(category: Category, name: str, name_en: str, active: bool, department: Optional[Unit]) -> None:
    before = _category_state(category)
    category.name, category.name_en, category.active = name, name_en, active
    _route(category, department)
    db.session.flush()
    audit.record_admin("category_changed", f"category {category.code}",
                       audit.diff(before, _category_state(category)))


def _route(category: Category, department: Optional[Unit]) -> None:
    """The routing rule: complaints of the category are suggested to go to `department` (None: no suggestion)."""
    if department is not None and (department.kind != UnitKind.DEPARTMENT or not department.active):
        raise Refused(_l("Choose an active department."), "department")
    rule = db.session.scalar(select(RoutingRule).where(RoutingRule.category_id == category.id))
    if department is None:
        if rule is not None:
            db.session.delete(rule)
    elif rule is None:
        db.session.add(RoutingRule(category_id=category.id, unit_id=department.id))
    else:
        rule.unit_id = department.id


# Routing rules by the complaint's object (投诉对象)

def _check_object_rule(rule: ObjectRoutingRule, category: Optional[Category], object_unit: Optional[Unit],
                       keyword: str, unit: Unit) -> None:
    if object_unit is None and not keyword:
        raise Refused(_l("Name the unit complained about, a word of what the complaint is about, "
                         "or both."), "object_keyword")
    if object_unit is not None and not object_unit.active:
        raise Refused(_l("That unit is deactivated."), "object_unit")
    if unit.kind != UnitKind.DEPARTMENT or not unit.active:
        raise Refused(_l("Choose an active department."), "unit")
    if not db.session.scalar(select(exists().where(User.unit_id == unit.id, User.active.is_(True),
                                                   User.role.in_(policy.DEPARTMENT_ROLES)))):
        raise Refused(_l("This department has nobody who could answer; add its staff first."), "unit")
    if object_unit is not None and object_unit.id == unit.id:
        raise Refused(_l("A unit never handles complaints about itself (回避); choose another department."), "unit")
    same = select(ObjectRoutingRule.id).where(
        ObjectRoutingRule.category_id.is_(None) if category is None else ObjectRoutingRule.category_id == category.id,
        ObjectRoutingRule.object_unit_id.is_(None) if object_unit is None
        else ObjectRoutingRule.object_unit_id == object_unit.id,
        func.lower(func.coalesce(ObjectRoutingRule.object_keyword, "")) == keyword.lower())
    if rule.id is not None:
        same = same.where(ObjectRoutingRule.id != rule.id)
    if db.session.scalar(same) is not None:
        raise Refused(_l("A rule for this category and object exists already; change that one."), "object_keyword")


def save_object_rule(rule: Optional[ObjectRoutingRule], category: Optional[Category], object_unit: Optional[Unit],
                     keyword: str, unit: Unit) -> ObjectRoutingRule:
    """Create (rule None) or change a routing rule by object. `keyword` is matched, ignoring case,
    anywhere in the complaint's object text; blank: any text."""
    keyword = " ".join(keyword.split())
    created = rule is None
    rule = rule or ObjectRoutingRule()
    _check_object_rule(rule, category, object_unit, keyword, unit)
    before = {} if created else audit.snapshot(rule, OBJECT_RULE_FIELDS)
    rule.category, rule.category_id = category, category.id if category else None
    rule.object_unit, rule.object_unit_id = object_unit, object_unit.id if object_unit else None
    rule.object_keyword = keyword or None
    rule.unit, rule.unit_id = unit, unit.id
    db.session.add(rule)
    db.session.flush()
    audit.record_admin("routing_rule_created" if created else "routing_rule_changed", f"routing rule {rule.id}",
                       audit.diff(before, audit.snapshot(rule, OBJECT_RULE_FIELDS)))
    return rule


def delete_object_rule(rule: ObjectRoutingRule) -> None:
    """A rule is configuration, not a record: it goes, and the admin audit keeps what it was."""
    audit.record_admin("routing_rule_deleted", f"routing rule {rule.id}",
                       audit.diff(audit.snapshot(rule, OBJECT_RULE_FIELDS), {}))
    db.session.delete(rule)


# The e-mail check

def send_test_email(to: str) -> None:
    """Send one message now through the configured SMTP server (not the outbox), so the
    administrator sees at once whether the settings work. Raises OSError with the server's answer."""
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = str(_l("Test e-mail from the complaint handling system"))
    message.set_content(str(_l("The e-mail settings work: this message reached you through %(server)s:%(port)s.",
                               server=cfg["MAIL_SERVER"], port=cfg["MAIL_PORT"])))
    try:
        notify.smtp_send(message)
    except OSError as exc:
        audit.record_admin("mail_checked", f"mail {to}", {"result": [None, str(exc)[:500]]})
        raise
    audit.record_admin("mail_checked", f"mail {to}", {"result": [None, "sent"]})


def mail_settings() -> dict:
    cfg = current_app.config
    return {"server": cfg["MAIL_SERVER"], "port": cfg["MAIL_PORT"], "tls": cfg["MAIL_USE_TLS"],
            "username": cfg["MAIL_USERNAME"] or "", "sender": cfg["MAIL_DEFAULT_SENDER"]}
