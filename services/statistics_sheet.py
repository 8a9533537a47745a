"""The manufacturer's 投诉统计表 (records: statistics_sheet: {unit, weekday}): one sheet per complaint in
the seed's layout (who received it and filled it in, the customer code, the order data, the handling,
the result and the signatures), the list of a week's complaints (page and Excel), and that list
e-mailed each week to the managers of the profile's unit.

The weekly e-mail: on the profile's ISO weekday (1 Monday … 7 Sunday, business time zone) or later in
the same week, if not yet sent, the list of the last complete week (Monday to Sunday) goes to the
unit's active users whose title names them a manager (经理, or "manager"); a unit without one gets it
to every active user. One row per week (StatisticsSheetMailing, its week unique) is the claim: two
workers, or two runs, send it once."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

import xlsxwriter
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from extensions import db, lazy_gettext as _l, savepoint
from models import Complaint, CustomField, FieldType, StatisticsSheetMailing, Unit, User
from services import clock, custom_fields, handling_form, notify, org_settings, periods, policy
from services.labels import SATISFACTION_LABELS, STATE_LABELS

RECORD = "statistics_sheet"
CUSTOMER_CODE = "customer_code"
# The order data in the seed's order, two to a line of the printed sheet.
ORDER_FIELDS = ("order_date", "maker", "ship_date", "product_name", "delivery_date", "unit_price",
                "delivery_quantity", "delivery_amount", "defect_quantity", None, "invoice_date", "invoice_number")
MANAGER_WORDS = ("经理", "manager")
# The week's list and its Excel, as the e-mail links them (blueprints/statistics_sheet serves them).
PAGE_PATH, EXCEL_PATH = "/sheet/weekly", "/sheet/weekly.xlsx"


def setting() -> Optional[dict]:
    """{unit, weekday} where the organisation keeps the 投诉统计表, else None."""
    value = org_settings.record_setting(RECORD)
    return value if isinstance(value, dict) else None


def unit() -> Optional[Unit]:
    """The unit that keeps the sheet (the manufacturer's 市场部): its manager signs it."""
    chosen = setting()
    return db.session.scalar(select(Unit).where(Unit.code == chosen["unit"])) if chosen else None


# One complaint's sheet ------------------------------------------------------------------------------

@dataclass
class Entry:
    label: str
    value: Any
    key: str


def _fields() -> dict[str, CustomField]:
    return {f.key: f for f in custom_fields.all_fields()}


def _shown(field: Optional[CustomField], value) -> str:
    if value in (None, ""):
        return ""
    if field is not None and field.type == FieldType.MONEY:
        try:
            return f"{Decimal(value):,.2f}"
        except InvalidOperation:
            pass
    return str(value)


def entry(fields: dict, complaint: Complaint, key: Optional[str], locale: str) -> Optional[Entry]:
    """The label and the shown value of the organisation's field `key` (None: an empty cell)."""
    if key is None:
        return None
    field = fields.get(key)
    label = field.label(locale) if field is not None else key
    return Entry(label, _shown(field, (complaint.extra or {}).get(key)), key)


def order_lines(complaint: Complaint, locale: str) -> list[tuple[Optional[Entry], Optional[Entry]]]:
    fields = _fields()
    entries = [entry(fields, complaint, key, locale) for key in ORDER_FIELDS]
    return list(zip(entries[0::2], entries[1::2]))


def customer_code(complaint: Complaint, locale: str) -> Entry:
    return entry(_fields(), complaint, CUSTOMER_CODE, locale)


def taken_by(complaint: Complaint) -> str:
    """接单人: whoever the handling department gave the case to, else the department itself."""
    if complaint.assignee is not None:
        return complaint.assignee.name
    return complaint.handling_unit.name if complaint.handling_unit is not None else ""


def handling(complaint: Complaint) -> list[handling_form.Round]:
    return handling_form.rounds(complaint)


# The week's list ------------------------------------------------------------------------------------

def week(code: Optional[str]) -> periods.Period:
    """The ISO week of `code` (2026-W48), the current one without; periods.BadPeriod otherwise."""
    period = periods.parse_period(code or None, default_kind="week")
    if period.kind != "week":
        raise periods.BadPeriod("week")
    return period


def complaints_of(period: periods.Period, user: Optional[User] = None) -> list[Complaint]:
    """The complaints received (受理) in the week, oldest first: those `user` may see, or all."""
    condition = and_(Complaint.received_at >= period.utc_start, Complaint.received_at < period.utc_end)
    if user is not None:
        condition = and_(condition, policy.visible_complaints(user))
    return list(db.session.scalars(select(Complaint).where(condition).order_by(Complaint.received_at, Complaint.id)))


def _local_day(moment: Optional[datetime]) -> Optional[date]:
    return clock.to_local(moment).date() if moment else None


def _field_value(fields: dict, key: str):
    field = fields.get(key)
    return lambda c: custom_fields.excel_value(field, (c.extra or {}).get(key)) if field else ""


def columns() -> list[tuple]:
    """(header, width, value of a complaint): the list's main columns, on the page and in Excel."""
    fields = _fields()

    def label(key: str, fallback):
        return fields[key].label_zh if key in fields else str(fallback)
    return [
        (_l("Date received"), 11, lambda c: _local_day(c.received_at)),
        (_l("Complaint number"), 18, lambda c: c.number),
        (_l("Customer"), 14, lambda c: c.customer_name),
        (label(CUSTOMER_CODE, _l("Customer code")), 12, _field_value(fields, CUSTOMER_CODE)),
        (label("product_name", _l("Product")), 16, _field_value(fields, "product_name")),
        (label("defect_quantity", _l("Defective quantity")), 9, _field_value(fields, "defect_quantity")),
        (_l("Category"), 12, lambda c: c.category.name),
        (_l("Handling department"), 14, lambda c: c.handling_unit.name if c.handling_unit else ""),
        (_l("Taken by"), 10, taken_by),
        (_l("State"), 12, lambda c: str(STATE_LABELS[c.state])),
        (_l("Handling result"), 40, lambda c: c.result or ""),
        (_l("Return visit"), 8, lambda c: str(SATISFACTION_LABELS[c.satisfaction]) if c.satisfaction else ""),
        (_l("Date closed"), 11, lambda c: _local_day(c.closed_at)),
    ]


def text(value) -> str:
    """A cell as the page and the e-mail show it: a day as 2026-11-24, 3 defects as 3 (not 3.0)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def rows(complaints: list[Complaint]) -> tuple[list[str], list[list]]:
    """The headers (in Chinese, as the sheet is kept) and one row per complaint."""
    with force_locale("zh_CN"):
        chosen = columns()
        return [str(header) for header, _w, _v in chosen], [[value(c) for _h, _w, value in chosen] for c in complaints]


def workbook(period: periods.Period, complaints: list[Complaint]) -> bytes:
    """The week's list as .xlsx: numbers as numbers, days as dates, nothing a formula."""
    headers, values = rows(complaints)
    widths = [width for _h, width, _v in columns()]
    stream = io.BytesIO()
    book = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "default_date_format": "yyyy-mm-dd"})
    with force_locale("zh_CN"):
        sheet = book.add_worksheet(str(_l("Complaint statistics sheet")))
        title = str(_l("%(organisation)s complaint statistics sheet, week %(week)s (%(start)s to %(end)s)",
                       organisation=org_settings.display_name(english=False), week=period.code,
                       start=period.start.isoformat(), end=period.last_day.isoformat()))
    sheet.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 13}))
    bold = book.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
    for index, header in enumerate(headers):
        sheet.set_column(index, index, widths[index])
        sheet.write_string(2, index, header, bold)
    for number, row in enumerate(values, start=3):
        sheet.write_row(number, 0, row)
    sheet.freeze_panes(3, 0)
    sheet.autofilter(2, 0, max(2 + len(values), 3), len(headers) - 1)
    book.close()
    return stream.getvalue()


# The weekly e-mail ----------------------------------------------------------------------------------

EMAIL_COLUMNS = 10   # received on … state: the handling result and the dates after it are on the page


def recipients(unit_code: str) -> list[User]:
    """The unit's active users whose title names a manager; every active user of the unit without one."""
    users = list(db.session.scalars(select(User).join(Unit, User.unit_id == Unit.id).where(
        Unit.code == unit_code, User.active.is_(True)).order_by(User.id)))
    managers = [u for u in users if any(word in (u.title or "").lower() for word in MANAGER_WORDS)]
    return [u for u in (managers or users) if u.email]


def due_week(today: date, weekday: int) -> Optional[periods.Period]:
    """The week whose list is due by `today`: the last complete one, from its weekday on."""
    if today.isoweekday() < weekday:
        return None
    return periods.week(today).previous()


def send_weekly() -> dict:
    """The job: queue the week's list to the managers once, when due. In the caller's app context; commits."""
    chosen = setting()
    if chosen is None:
        return {"statistics_sheet": "off"}
    period = due_week(periods.today(), chosen.get("weekday", 1))
    if period is None or db.session.scalar(select(StatisticsSheetMailing.id).where(
            StatisticsSheetMailing.week_start == period.start)) is not None:
        db.session.rollback()
        return {"statistics_sheet": "not due"}
    users = recipients(chosen["unit"])
    found = complaints_of(period)
    claim = StatisticsSheetMailing(week_start=period.start, sent_at=clock.now(), recipients=len(users),
                                   complaints=len(found))
    try:
        with savepoint():
            db.session.add(claim)
            db.session.flush()
    except IntegrityError:   # another worker claimed this week meanwhile
        db.session.rollback()
        return {"statistics_sheet": "not due"}
    _headers, values = rows(found)
    base = current_app.config["PUBLIC_URL"]
    page, excel = f"{base}{PAGE_PATH}?week={period.code}", f"{base}{EXCEL_PATH}?week={period.code}"
    lines = [" | ".join(text(value) for value in row[:EMAIL_COLUMNS]) for row in values]
    for user in users:
        notify.queue_email(user, "statistics_sheet", period=period, lines=lines, count=len(found),
                           page=page, excel=excel, link="")
    db.session.commit()
    return {"statistics_sheet": period.code, "recipients": len(users), "complaints": len(found)}
