"""Industry profiles: an organisation as data (profiles/NAME.yaml): its units, accounts, categories
and their departments, routing rules by object, severity criteria, deadline rules, notice templates
and extra fields. Each file is checked in full when it is read; a broken one is refused with the
file, the line and the reason, before anything is written.

Roles the product lacks are mapped onto its own (services.policy) with the organisation's title kept
on the account: 市场部经理 → center, 总经理 → leader, 分管领导 → leader, 综合部 → a department."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Optional

import yaml
from flask import current_app
from sqlalchemy import exists, select

from config import LANGUAGES
from extensions import db
from models import (Category, DeadlineKind, NoticeKind, NoticeTemplate, ObjectRoutingRule, Role,
                    RoutingRule, Unit, UnitKind, User)
from services import custom_fields, org_settings, policy, profile_records, rules
from services.organisation import ROLE_UNIT_KINDS, one_time_password
from services.passwords import password_problems

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"
PROFILES = ("bank", "manufacturer", "real-estate", "retail", "hotline", "insurer")
# The product's criteria of a major complaint (models.Complaint.is_major); a profile names those it uses.
SEVERITY_CRITERIA = ("collective", "litigation", "media", "compensation", "repeated")
FIELD_TYPES = ("text", "number", "money", "date", "choice")
SECTIONS = {"organisation": True, "units": True, "users": False, "plan_approval": False, "categories": True,
            "routing": False, "severity": False, "deadlines": False, "notice_templates": False, "extra_fields": False,
            "records": False}


class ProfileError(ValueError):
    """A profile file that cannot be used: where (file and line) and why."""

    def __init__(self, path: Path, line: Optional[int], reason: str):
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")


class _Reader:
    """The parsed profile and the line of every key and list item, by its path (("units", 2, "kind"))."""

    def __init__(self, path: Path):
        self.path = path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileError(path, None, "no such profile file") from None
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            self.data = loader.construct_document(node) if node is not None else None
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise ProfileError(path, mark.line + 1 if mark else None,
                               f"not valid YAML: {error.problem or error.context}") from None
        finally:
            loader.dispose()
        self.lines: dict[tuple, int] = {(): 1}
        if node is not None:
            self._mark(node, ())

    def _mark(self, node, where: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if where + (key.value,) in self.lines:   # YAML would silently keep the last one
                    raise ProfileError(self.path, key.start_mark.line + 1, f"'{key.value}' appears twice here")
                self.lines[where + (key.value,)] = key.start_mark.line + 1
                self._mark(value, where + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[where + (index,)] = item.start_mark.line + 1
                self._mark(item, where + (index,))

    def fail(self, where: tuple, reason: str):
        while where and where not in self.lines:
            where = where[:-1]
        raise ProfileError(self.path, self.lines.get(where), reason)


def _text(reader: _Reader, item: dict, where: tuple, key: str, required: bool = True,
          limit: int = 100) -> Optional[str]:
    value = item.get(key)
    if value is None:
        if required:
            reader.fail(where, f"'{key}' is missing")
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        reader.fail(where + (key,), f"'{key}' must be a text")
    if len(str(value)) > limit:
        reader.fail(where + (key,), f"'{key}' is longer than {limit} characters")
    return str(value).strip()


def _one_of(reader: _Reader, item: dict, where: tuple, key: str, allowed, required: bool = True):
    value = _text(reader, item, where, key, required)
    if value is not None:
        if value not in allowed:
            reader.fail(where + (key,), f"'{key}' is {value!r}; it must be one of: {', '.join(map(str, allowed))}")
        item[key] = value   # as a text, trimmed: `unit: 7` names the unit coded "7"
    return value


def _items(reader: _Reader, data: dict, section: str, keys: set[str]) -> list[dict]:
    items = data.get(section) or []
    if not isinstance(items, list):
        reader.fail((section,), f"'{section}' must be a list")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            reader.fail((section, index), f"each of '{section}' must be a mapping of keys")
        for key in item:
            if key not in keys:
                reader.fail((section, index, key), f"unknown key '{key}' in {section} (known: {', '.join(sorted(keys))})")
    return items


def _unique(reader: _Reader, items: list[dict], section: str, key: str) -> set:
    seen: set = set()
    for index, item in enumerate(items):
        if item[key] in seen:
            reader.fail((section, index, key), f"{key} {item[key]!r} appears twice in {section}")
        seen.add(item[key])
    return seen


def _minutes(reader: _Reader, item: dict, where: tuple, key: str) -> int:
    value = item.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        reader.fail(where + ((key,) if key in item else ()), f"'{key}' must be a whole number of minutes, 0 or more")
    return value


def load(name: str, directory: Path = PROFILE_DIR) -> dict:
    """The profile NAME from `directory`, checked. Raises ProfileError."""
    path = directory / f"{name}.yaml"
    if "/" in name or name.startswith("."):
        raise ProfileError(path, None, "a profile's name is a plain file name")
    try:
        stamp = (path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise ProfileError(path, None, f"no such profile (known: {', '.join(PROFILES)})") from None
    if stamp not in _checked:   # the tests seed the demo hundreds of times: read each file once
        _checked[stamp] = validate(_Reader(path))
        _checked[stamp]["name"] = name
    return _checked[stamp]


_checked: dict[tuple, dict] = {}


def validate(reader: _Reader) -> dict:
    data = reader.data
    if not isinstance(data, dict):
        reader.fail((), "a profile is a mapping of sections (organisation, units, users, categories …)")
    for key in data:
        if key not in SECTIONS:
            reader.fail((key,), f"unknown section '{key}' (known: {', '.join(SECTIONS)})")
    for key, required in SECTIONS.items():
        if required and key not in data:
            reader.fail((), f"the section '{key}' is missing")
    organisation = data["organisation"]
    if not isinstance(organisation, dict):
        reader.fail(("organisation",), "'organisation' must be a mapping with name and name_en")
    _text(reader, organisation, ("organisation",), "name")
    _text(reader, organisation, ("organisation",), "name_en")
    units = _check_units(reader, data)
    _check_users(reader, data, units)
    _check_plan_approval(reader, data)
    departments = sorted(code for code, unit in units.items() if unit["kind"] == UnitKind.DEPARTMENT.value)
    categories = _check_categories(reader, data, units, departments)
    _check_rules(reader, data)
    _validate_extra_fields(reader, data, categories)
    profile_records.check(reader, data, units)
    return data


def _check_units(reader: _Reader, data: dict) -> dict[str, dict]:
    """The tree: one head office, every other unit under one listed above it. Returns them by code."""
    units = _items(reader, data, "units", {"code", "name", "name_en", "kind", "parent"})
    listed: dict[str, dict] = {}
    for index, unit in enumerate(units):
        where = ("units", index)
        for key in ("code", "name", "name_en"):
            unit[key] = _text(reader, unit, where, key, limit=32 if key == "code" else 100)
        if unit["code"] in listed:
            reader.fail(where + ("code",), f"code {unit['code']!r} appears twice in units")
        _one_of(reader, unit, where, "kind", [k.value for k in UnitKind])
        parent = _text(reader, unit, where, "parent", required=False)
        if parent is None and unit["kind"] != UnitKind.HEAD_OFFICE.value:
            reader.fail(where, f"unit {unit['code']} needs a parent: only the head office stands alone")
        if parent is not None and parent not in listed:
            reader.fail(where + ("parent",), f"parent {parent!r} is not a unit listed above it")
        unit["parent"] = parent
        listed[unit["code"]] = unit
    if sum(unit["kind"] == UnitKind.HEAD_OFFICE.value for unit in units) != 1:
        reader.fail(("units",), "the units need exactly one head_office (the top of the tree)")
    return listed


def _check_users(reader: _Reader, data: dict, units: dict[str, dict]) -> None:
    """The demo accounts: each role in a kind of unit it belongs to (services.organisation)."""
    users = _items(reader, data, "users", {"username", "name", "role", "unit", "email", "title"})
    for index, user in enumerate(users):
        where = ("users", index)
        for key in ("username", "name"):
            user[key] = _text(reader, user, where, key, limit=64)
        _one_of(reader, user, where, "role", [r.value for r in Role])
        _one_of(reader, user, where, "unit", sorted(units))
        _text(reader, user, where, "email", required=False, limit=254)
        _text(reader, user, where, "title", required=False, limit=50)
        kind = units[user["unit"]]["kind"]
        if UnitKind(kind) not in ROLE_UNIT_KINDS[Role(user["role"])]:
            reader.fail(where + ("unit",), f"a {user['role']} account cannot sit in {user['unit']} (a {kind})")
    _unique(reader, users, "users", "username")


def _check_plan_approval(reader: _Reader, data: dict) -> None:
    """`plan_approval: {fallback: USERNAME, leaders: center|leader}`: the administrator's choice on 时限规则,
    seeded: the person named for a plan no seat may approve, and who approves a leader's own plan."""
    chosen = data.get("plan_approval")
    if chosen is None:
        return
    if not isinstance(chosen, dict):
        reader.fail(("plan_approval",), "'plan_approval' must be a mapping with fallback (and leaders)")
    for key in chosen:
        if key not in ("fallback", "leaders"):
            reader.fail(("plan_approval", key), f"unknown key '{key}' in plan_approval (known: fallback, leaders)")
    _one_of(reader, chosen, ("plan_approval",), "leaders", org_settings.LEADERS_PLANS, required=False)
    users = {user["username"]: user for user in data.get("users") or []}
    name = _one_of(reader, chosen, ("plan_approval",), "fallback", sorted(users))
    if Role(users[name]["role"]) not in policy.PLAN_FALLBACK_ROLES:
        reader.fail(("plan_approval", "fallback"), f"{name} is a {users[name]['role']}: a leader and the service "
                    "center are asked before the person named here; name someone else who may hold cases")


def _check_categories(reader: _Reader, data: dict, units: dict[str, dict], departments: list[str]) -> set[str]:
    """The categories with their departments, and the routing rules by object. Returns the codes."""
    categories = _items(reader, data, "categories", {"code", "name", "name_en", "department"})
    for index, category in enumerate(categories):
        where = ("categories", index)
        for key in ("code", "name", "name_en"):
            category[key] = _text(reader, category, where, key, limit=32 if key == "code" else 100)
        _one_of(reader, category, where, "department", departments, required=False)
    codes = _unique(reader, categories, "categories", "code")
    for index, rule in enumerate(_items(reader, data, "routing", {"category", "object_unit", "keyword", "unit"})):
        where = ("routing", index)
        _one_of(reader, rule, where, "category", sorted(codes), required=False)
        _one_of(reader, rule, where, "object_unit", sorted(units), required=False)
        _text(reader, rule, where, "keyword", required=False)
        _one_of(reader, rule, where, "unit", departments)
        if not rule.get("object_unit") and not rule.get("keyword"):
            reader.fail(where, "a routing rule names the unit complained about, a keyword, or both")
    return codes


def _check_rules(reader: _Reader, data: dict) -> None:
    """Severity criteria, deadline rules and notice templates."""
    for index, item in enumerate(_items(reader, data, "severity", {"criterion", "description"})):
        _one_of(reader, item, ("severity", index), "criterion", SEVERITY_CRITERIA)
        _text(reader, item, ("severity", index), "description", required=False, limit=300)
    for index, item in enumerate(_items(reader, data, "deadlines", {
            "kind", "level", "period_minutes", "remind_before_minutes", "escalate_after_minutes"})):
        where = ("deadlines", index)
        kind = DeadlineKind(_one_of(reader, item, where, "kind", [k.value for k in DeadlineKind]))
        levels = sorted(level for clock, level in rules.DEFAULTS if clock == kind and level is not None)
        if levels and item.get("level") not in levels:
            reader.fail(where + (("level",) if "level" in item else ()),
                        f"the {kind.value} clock depends on the level: give 'level', one of {levels}")
        if not levels and item.get("level") is not None:
            reader.fail(where + ("level",), f"the {kind.value} clock is the same for every level: leave out 'level'")
        for key in ("period_minutes", "remind_before_minutes", "escalate_after_minutes"):
            _minutes(reader, item, where, key)
        if item["period_minutes"] == 0:
            reader.fail(where + ("period_minutes",), "'period_minutes' must be more than 0")
    for index, item in enumerate(_items(reader, data, "notice_templates", {"kind", "language", "subject", "body"})):
        where = ("notice_templates", index)
        _one_of(reader, item, where, "kind", [k.value for k in NoticeKind])
        _one_of(reader, item, where, "language", tuple(LANGUAGES))
        _text(reader, item, where, "subject", limit=300)
        _text(reader, item, where, "body", limit=5000)


def _validate_extra_fields(reader: _Reader, data: dict, category_codes: set) -> None:
    fields = _items(reader, data, "extra_fields", {"name", "label", "type", "choices", "required", "categories"})
    for index, field in enumerate(fields):
        where = ("extra_fields", index)
        name = _text(reader, field, where, "name", limit=40)
        if not name.isidentifier() or not name.isascii():
            reader.fail(where + ("name",), f"'name' {name!r} must be letters, digits and _ (an identifier)")
        label = field.get("label")
        if not isinstance(label, dict) or set(label) != {"zh", "en"}:
            reader.fail(where + ("label",) if "label" in field else where, "'label' needs exactly zh and en")
        for language in ("zh", "en"):
            _text(reader, label, where + ("label",), language)
        kind = _one_of(reader, field, where, "type", FIELD_TYPES)
        choices = field.get("choices")
        if kind == "choice":
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
                reader.fail(where + ("choices",) if "choices" in field else where,
                            "a choice field needs 'choices', a list of texts")
        elif choices is not None:
            reader.fail(where + ("choices",), f"only a choice field has 'choices' (this one is {kind})")
        if not isinstance(field.get("required", False), bool):
            reader.fail(where + ("required",), "'required' must be true or false")
        for position, code in enumerate(field.get("categories") or []):
            if code not in category_codes:
                reader.fail(where + ("categories", position), f"category {code!r} is not among the categories")
    _unique(reader, fields, "extra_fields", "name")


# Writing a profile into the database

def has_organisation() -> bool:
    return bool(db.session.scalar(select(exists().where(Unit.id.isnot(None)))))


def apply(profile: dict, with_accounts: bool, password: Optional[str] = None) -> dict[str, Unit]:
    """Create the profile's organisation (the caller commits). With accounts: the demo accounts with
    `password`; they must choose a new one at the first sign-in outside a demo (DEMO_ACCOUNTS=0)."""
    organisation = profile["organisation"]
    org_settings.save(organisation["name"], organisation["name_en"], profile["name"], profile["records"],
                      _severity(profile))
    units: dict[str, Unit] = {}
    for item in profile["units"]:
        units[item["code"]] = Unit(code=item["code"], name=item["name"], name_en=item["name_en"],
                                   kind=UnitKind(item["kind"]), parent=units.get(item.get("parent")))
        db.session.add(units[item["code"]])
    accounts: dict[str, User] = {}
    if with_accounts:
        for item in profile.get("users") or []:
            user = User(username=item["username"], name=item["name"], role=Role(item["role"]),
                        email=item.get("email") or f"{item['username']}@example.com", unit=units[item["unit"]],
                        title=item.get("title"), locale="zh_CN")
            user.set_password(password)
            user.must_change_password = not current_app.config.get("DEMO_ACCOUNTS", True)
            db.session.add(user)
            accounts[user.username] = user
    if profile.get("plan_approval"):
        _apply_plan_approval(profile["plan_approval"], accounts)
    categories: dict[str, Category] = {}
    for item in profile["categories"]:
        categories[item["code"]] = Category(code=item["code"], name=item["name"], name_en=item["name_en"])
        db.session.add(categories[item["code"]])
        if item.get("department"):
            db.session.add(RoutingRule(category=categories[item["code"]], unit=units[item["department"]]))
    for item in profile.get("routing") or []:
        db.session.add(ObjectRoutingRule(category=categories.get(item.get("category")),
                                         object_unit=units.get(item.get("object_unit")),
                                         object_keyword=item.get("keyword"), unit=units[item["unit"]]))
    for item in profile.get("deadlines") or []:
        rules.set_rule(DeadlineKind(item["kind"]), item.get("level"), rules.Rule(
            *(timedelta(minutes=item[key]) for key in ("period_minutes", "remind_before_minutes",
                                                       "escalate_after_minutes"))))
    for item in profile.get("notice_templates") or []:
        # The migrations may have stored the product's default wording already: the profile's replaces it.
        kind = NoticeKind(item["kind"])
        template = db.session.scalar(select(NoticeTemplate).where(
            NoticeTemplate.kind == kind, NoticeTemplate.language == item["language"]))
        if template is None:
            template = NoticeTemplate(kind=kind, language=item["language"])
            db.session.add(template)
        template.subject, template.body = item["subject"], item["body"]
    apply_extra_fields(profile)
    db.session.flush()
    return units


def _apply_plan_approval(chosen: dict, accounts: dict[str, User]) -> None:
    """The administrator's choice of plan approvers as the profile sets it; without the demo accounts
    nobody is named (the administrator is warned of a plan waiting on nobody: services.stuck_plans)."""
    named = accounts.get(chosen["fallback"])
    if named is not None:
        db.session.flush()   # its id
    org_settings.set_plan_approval(chosen.get("leaders") or org_settings.LEADERS_PLANS[0],
                                   named.id if named is not None else None)


def _severity(profile: dict) -> list[dict]:
    """The criteria of a major complaint the organisation applies, with its descriptions (services.severity
    reads them back); a profile without the section applies all the product's."""
    if "severity" not in profile:
        return [{"criterion": name} for name in SEVERITY_CRITERIA]
    return [{"criterion": item["criterion"], **({"description": item["description"]} if item.get("description")
                                                 else {})} for item in profile.get("severity") or []]


def apply_extra_fields(profile: dict) -> None:
    """The organisation's own fields (the manufacturer's order data, …), created or brought to the
    profile's definition (services.custom_fields.define is idempotent by key)."""
    for field in profile.get("extra_fields") or []:
        custom_fields.define(field["name"], field["label"]["zh"], field["label"]["en"], field["type"],
                             choices=field.get("choices"), required=bool(field.get("required")),
                             categories=field.get("categories"))


def describe(name: str) -> dict[str, Any]:
    """A short summary of a profile, for the command line."""
    profile = load(name)
    return {"organisation": profile["organisation"]["name"], "units": len(profile["units"]),
            "users": len(profile.get("users") or []), "categories": len(profile["categories"])}


def set_up(name: str, username: str, email: str, password: Optional[str]) -> tuple[str, bool]:
    """A real deployment's first set-up from the profile NAME: everything but the demo accounts, and
    one administrator in the head office who must choose a new password at the first sign-in unless
    `password` is given. Refused (ValueError) on a database that holds an organisation already.
    Returns the password and whether it was generated."""
    profile = load(name)
    if has_organisation():
        raise ValueError("This database holds an organisation already; set-up is for an empty one.")
    problems = password_problems(password, username) if password is not None else []
    if problems:
        raise ValueError(" ".join(str(problem) for problem in problems))
    generated = password is None
    password = password or one_time_password()
    units = apply(profile, with_accounts=False)
    head_office = next(units[u["code"]] for u in profile["units"] if u["kind"] == UnitKind.HEAD_OFFICE.value)
    admin = User(username=username, name="系统管理员", email=email or f"{username}@example.com", role=Role.ADMIN,
                 unit=head_office, locale="zh_CN", must_change_password=generated)
    admin.set_password(password)
    db.session.add(admin)
    db.session.commit()
    return password, generated
