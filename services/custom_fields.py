"""Fields an organisation defines (订货日期, 交货金额, 楼栋 …): defined by the administrator or a
profile, for some categories or all; checked like the built-in fields; stored in Complaint.extra, so
the ledger filters on them by containment (extra @> '{"key": "value"}', served by a GIN index on
PostgreSQL). A field once used is retired, never deleted: old complaints keep showing its value."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Iterable, Mapping, Optional

from sqlalchemy import func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from extensions import db
from extensions import lazy_gettext as _l
from models import Category, Complaint, CustomField, FieldType
from services import audit, bounds, clock, kept

KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_TEXT = 200
MAX_CHOICES = 50
MAX_NUMBER = Decimal("1e12")   # beyond any order quantity or amount; keeps a typed 1e400 out of the database
FORM_PREFIX = "x_"             # the form's name of a field: x_<key>
FILTER_PREFIX = "f_"           # the ledger's query parameter of a field: f_<key>


class BadDefinition(ValueError):
    """A definition the service refuses (a malformed key, a choice field without choices …)."""


def _category_ids(categories: Optional[Iterable]) -> Optional[list[int]]:
    """Categories given as ids, codes or Category rows; None (or empty) means every category."""
    if not categories:
        return None
    ids = []
    for item in categories:
        if isinstance(item, Category):
            ids.append(item.id)
        elif isinstance(item, int):
            ids.append(item)
        else:
            found = db.session.scalar(select(Category.id).where(Category.code == str(item)))
            if found is None:
                raise BadDefinition(f"unknown category {item!r}")
            ids.append(found)
    return sorted(set(ids))


def define(key: str, label_zh: str, label_en: str, type, choices: Optional[Iterable[str]] = None,
           required: bool = False, categories: Optional[Iterable] = None) -> CustomField:
    """Create the field `key`, or bring an existing one to this definition (idempotent by key, so a
    profile may be loaded twice). In the caller's transaction; the change is in the admin audit."""
    if not KEY.fullmatch(key or ""):
        raise BadDefinition(f"the key {key!r} is not lower-case letters, digits and _ (at most 40)")
    kind = FieldType(type)
    options = [str(c).strip() for c in (choices or []) if str(c).strip()]
    if kind == FieldType.CHOICE and not options:
        raise BadDefinition(f"the choice field {key!r} has no choices")
    if len(options) > MAX_CHOICES or any(len(c) > 100 for c in options):
        raise BadDefinition(f"the field {key!r} has too many or too long choices")
    if not (label_zh or "").strip() or not (label_en or "").strip():
        raise BadDefinition(f"the field {key!r} needs a Chinese and an English label")
    wanted = {"label_zh": label_zh.strip()[:100], "label_en": label_en.strip()[:100], "type": kind,
              "choices": options if kind == FieldType.CHOICE else None, "required": bool(required),
              "category_ids": _category_ids(categories)}
    field = db.session.scalar(select(CustomField).where(CustomField.key == key))
    if field is None:
        last = db.session.scalar(select(func.max(CustomField.position))) or 0
        field = CustomField(key=key, active=True, position=last + 1, created_at=clock.now(), **wanted)
        db.session.add(field)
        db.session.flush()
        audit.record_admin("custom_field_defined", f"field {key}", audit.diff({}, audit.snapshot(field, wanted)))
        return field
    before = audit.snapshot(field, wanted)
    for name, value in wanted.items():
        setattr(field, name, value)
    changes = audit.diff(before, audit.snapshot(field, wanted))
    if changes:
        audit.record_admin("custom_field_changed", f"field {key}", changes)
    return field


def set_active(field: CustomField, active: bool) -> None:
    """Retire a field (no longer asked for; old values stay shown) or bring it back."""
    if field.active != active:
        field.active = active
        audit.record_admin("custom_field_restored" if active else "custom_field_retired", f"field {field.key}")


@dataclass(frozen=True)
class Definition:
    """A field's definition (models.CustomField) as plain values, kept between requests
    (services.kept): the registration form, the complaint's page and the ledger read them all."""
    id: int
    key: str
    label_zh: str
    label_en: str
    type: FieldType
    choices: Optional[tuple[str, ...]]
    required: bool
    category_ids: Optional[tuple[int, ...]]
    active: bool

    label = CustomField.label             # they read only the values above
    applies_to = CustomField.applies_to


def all_fields() -> tuple[Definition, ...]:
    """Every definition, active and retired, in the administrator's order (a short table)."""
    def load():
        rows = db.session.execute(select(CustomField.id, CustomField.key, CustomField.label_zh, CustomField.label_en,
                                         CustomField.type, CustomField.choices, CustomField.required,
                                         CustomField.category_ids, CustomField.active)
                                  .order_by(CustomField.position, CustomField.id))
        return tuple(Definition(r.id, r.key, r.label_zh, r.label_en, r.type,
                                tuple(r.choices) if r.choices is not None else None, r.required,
                                tuple(r.category_ids) if r.category_ids is not None else None, r.active)
                     for r in rows)
    return kept.kept("custom_fields", CustomField, load)


def active_fields() -> list[Definition]:
    return [f for f in all_fields() if f.active]


def fields_for(category: Optional[int | Category]) -> list[Definition]:
    """The active fields the registration of a complaint of `category` asks for."""
    category_id = category.id if isinstance(category, Category) else category
    return [f for f in active_fields() if f.applies_to(category_id)]


def _clean(field: Definition, text: str):
    """The stored form of one typed value, or raise ValueError with the message to show."""
    if "\x00" in text:   # PostgreSQL's JSONB refuses it
        raise ValueError(_l("This text contains a character that is not allowed."))
    if field.type == FieldType.TEXT:
        if len(text) > MAX_TEXT:
            raise ValueError(_l("At most %(count)s characters.", count=MAX_TEXT))
        return text
    if field.type == FieldType.CHOICE:
        if text not in (field.choices or []):
            raise ValueError(_l("Choose one of the options."))
        return text
    if field.type == FieldType.DATE:
        try:
            return bounds.check_day(date.fromisoformat(text)).isoformat()
        except bounds.OutOfBounds as error:
            raise ValueError(_l("Enter a date from %(earliest)s to %(latest)s.", earliest=error.earliest,
                                latest=error.latest)) from None
        except ValueError:
            raise ValueError(_l("Enter a date as YYYY-MM-DD.")) from None
    money = field.type == FieldType.MONEY
    try:
        number = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(_l("Enter an amount in yuan, e.g. 1280.50.") if money else _l("Enter a number."))
    if abs(number) >= MAX_NUMBER or (money and number < 0):
        raise ValueError(_l("Enter an amount from 0 to 999,999,999,999.99.") if money else
                         _l("Enter a number smaller than a trillion."))
    places = -number.as_tuple().exponent if number.as_tuple().exponent < 0 else 0
    if places > (2 if money else 4):
        raise ValueError(_l("At most 2 decimal places (fen).") if money else _l("At most 4 decimal places."))
    return str(number.quantize(Decimal("0.01"))) if money else format(number.normalize(), "f")


def validate(values: Mapping[str, str], category: Optional[int | Category]) -> tuple[dict, dict]:
    """Check the typed values (by key) of the fields `category` asks for: (clean values to store, messages
    by key). Values of other fields are ignored (a form without script shows every category's fields)."""
    clean, errors = {}, {}
    for field in fields_for(category):
        text = str(values.get(field.key) or "").strip()
        if not text:
            if field.required:
                errors[field.key] = _l("Choose one of the options.") if field.type == FieldType.CHOICE \
                    else _l("This field is required for this category.")
            continue
        try:
            clean[field.key] = _clean(field, text)
        except ValueError as error:
            errors[field.key] = error.args[0]
    return clean, errors


def typed(formdata: Mapping, prefix: str = FORM_PREFIX) -> dict:
    """The values a form or a query string carries for the fields, by key (at most 1000 characters each)."""
    return {name[len(prefix):]: str(formdata.get(name) or "")[:1000] for name in formdata
            if name.startswith(prefix) and KEY.fullmatch(name[len(prefix):])}


def set_values(complaint: Complaint, clean: dict, category: Optional[int] = None) -> None:
    """Store the values of the fields `category` asks for (a blank removes one); the others, and
    retired fields' values, are kept. The change lands in the complaint's timeline through services.audit."""
    asked = {f.key for f in fields_for(category if category is not None else complaint.category_id)}
    values = {k: v for k, v in (complaint.extra or {}).items() if k not in asked}
    values.update(clean)
    complaint.extra = values or None


def shown(complaint: Complaint, fields: Iterable[Definition], locale: str) -> list[tuple[str, str]]:
    """(label, value) of each field the complaint has a value for, retired ones included."""
    values = complaint.extra or {}
    return [(f.label(locale), values[f.key]) for f in fields if values.get(f.key) not in (None, "")]


def values_of(complaint: Complaint, locale: str) -> list[tuple[str, str]]:
    """The case page's lines; a complaint without values costs no query."""
    return shown(complaint, all_fields(), locale) if complaint.extra else []


MAX_COLUMNS = 8   # a ledger or an export shows at most this many of the fields as columns


def columns_for(category) -> list[Definition]:
    """The ledger's and the export's extra columns: the fields of the category filtered to (active or
    retired: old complaints have values), or, unfiltered, those asked of every complaint."""
    try:
        category_id = int(category) if category else None
    except (TypeError, ValueError):
        category_id = None
    chosen = [f for f in all_fields() if (f.category_ids is None or (category_id in f.category_ids))
              and (f.active or category_id is not None)]
    return chosen[:MAX_COLUMNS]


def excel_value(field: Definition, value):
    """The cell of a value: a number or an amount as a number, a date as a date, text as text."""
    if value in (None, ""):
        return ""
    try:
        if field.type in (FieldType.NUMBER, FieldType.MONEY):
            return float(Decimal(value))
        if field.type == FieldType.DATE:
            return date.fromisoformat(value)
    except (InvalidOperation, ValueError):
        pass
    return str(value)


# The ledger's filters: an active text or choice field is a filter, f_<key>=value (exact match).

def filterable() -> list[Definition]:
    return [f for f in active_fields() if f.type in (FieldType.TEXT, FieldType.CHOICE)]


def check_filter(field: Definition, value: str) -> Optional[str]:
    """The message for a bad filter value, or None."""
    if "\x00" in value:
        return _l("This text contains a character that is not allowed.")
    if field.type == FieldType.CHOICE and value not in (field.choices or []):
        return _l("Choose one of the options.")
    if len(value) > 100:
        return _l("At most %(count)s characters.", count=100)
    return None


def has_value(key: str, value: str):
    """The SQL condition "the complaint's field `key` is `value`": a containment test on PostgreSQL
    (served by ix_complaint_extra_gin), json_extract on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        return type_coerce(Complaint.extra, JSONB).contains({key: value})
    return func.json_extract(Complaint.extra, f'$."{key}"') == value
