"""The manufacturer's 投诉统计表: the order data typed at registration reach each complaint's printed
sheet in their places, the week's list and its Excel; the list is e-mailed to the market department's
manager once a week on the profile's day; the bank keeps no such sheet, and a user outside the case's
scope does not see it."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from extensions import db
from models import ComplaintEvent, OutboxMessage, StatisticsSheetMailing, User
from services import jobs, statistics_sheet
from services.demo import seed_demo
from tests.conftest import Client, _wipe
from tests.helpers import all_at_once, answer, category_id, dispatch, register

ORDER = {"x_customer_code": "KH-0417", "x_order_date": "2026-10-08", "x_maker": "二分厂",
         "x_ship_date": "2026-10-20", "x_product_name": "KFR-35GW 空调", "x_delivery_date": "2026-10-23",
         "x_unit_price": "2,350.5", "x_delivery_quantity": "40", "x_delivery_amount": "94020",
         "x_defect_quantity": "3", "x_invoice_date": "2026-10-25", "x_invoice_number": "No.33018821"}
# How the printed sheet shows each value (amounts with thousands and two decimals).
PRINTED = {"customer_code": "KH-0417", "order_date": "2026-10-08", "maker": "二分厂", "ship_date": "2026-10-20",
           "product_name": "KFR-35GW 空调", "delivery_date": "2026-10-23", "unit_price": "2,350.50",
           "delivery_quantity": "40", "delivery_amount": "94,020.00", "defect_quantity": "3",
           "invoice_date": "2026-10-25", "invoice_number": "No.33018821"}
LABELS = {"customer_code": "客户代号", "order_date": "订货日期", "maker": "制造单位", "ship_date": "交运日期",
          "product_name": "商品名称", "delivery_date": "交货日期", "unit_price": "单价", "delivery_quantity": "交货数量",
          "delivery_amount": "交货金额", "defect_quantity": "不良数量", "invoice_date": "发票日期",
          "invoice_number": "发票号码"}


def signed_in(app, username: str) -> Client:
    client = Client(app)
    assert client.login(username).status_code == 303
    return client


@pytest.fixture
def manufacturer(app):
    _wipe()
    seed_demo("manufacturer")
    return app


def register_order(app, **changes):
    data = dict(ORDER, category=str(category_id("product_quality")), object_text="KFR-35GW 空调压缩机异响",
                received_at="2026-11-24T09:30", customer_name="宁波佳惠电器")
    data.update(changes)
    return register(signed_in(app, "mkt1"), **data)


def cells(page: str) -> dict:
    """The printed sheet's cells by field, with the label just before each."""
    found = {}
    for label, key, value in re.findall(r'<th>([^<]*)</th><td[^>]*data-field="(\w+)"[^>]*>(.*?)</td>', page, re.S):
        found[key] = (label, re.sub(r"<[^>]+>", " ", value).strip())
    return found


def test_the_order_data_go_from_the_registration_form_to_the_printed_sheet(manufacturer):
    complaint = register_order(manufacturer)
    assert dispatch(signed_in(manufacturer, "mkt_mgr"), complaint, "QA").status_code == 303
    assert answer(signed_in(manufacturer, "qa1"), complaint, result="更换压缩机，补发两台。").status_code == 303
    manager = signed_in(manufacturer, "mkt_mgr")
    page = manager.get(f"/complaints/{complaint.id}").text
    assert f'href="/sheet/{complaint.id}"' in page

    sheet = manager.get(f"/sheet/{complaint.id}")
    assert sheet.status_code == 200
    found = cells(sheet.text)
    for key, value in PRINTED.items():
        assert found[key] == (LABELS[key], value), key
    assert found["received_on"] == ("受理日期", "2026-11-24")
    assert found["number"] == ("用户投诉编号", complaint.number)
    assert found["filled_unit"] == ("填表单位", "市场部") and found["filled_by"] == ("填表人", "冯雪")
    assert found["taken_on"][0] == "接单日期" and found["taken_on"][1] == "2026-11-24"
    assert found["handling_unit"][1] == "品质保证部" and found["taken_by"][0] == "接单人"
    assert found["taken_by"][1] in ("品质保证部", "张弛")   # the department, or whom it gave the case to
    assert "更换压缩机，补发两台。" in found["handling"][1]
    assert "市场部经理" in sheet.text and "print.css" in sheet.text   # the signatures, on the printed form's CSS
    viewed = db.session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "viewed")
        .order_by(ComplaintEvent.id.desc())).first()
    assert viewed.actor.username == "mkt_mgr"


def test_the_weeks_list_and_its_excel_show_each_complaint_received_that_week(manufacturer):
    inside = register_order(manufacturer)
    register_order(manufacturer, received_at="2026-11-22T23:30", x_customer_code="KH-0001")   # a Sunday: W47
    manager = signed_in(manufacturer, "mkt_mgr")
    page = manager.get("/sheet/weekly?week=2026-W48")
    assert page.status_code == 200
    assert inside.number in page.text and "KH-0417" in page.text and "KFR-35GW 空调" in page.text
    assert "<td>3</td>" in page.text   # 不良数量 as typed, not 3.0
    assert "KH-0001" not in page.text
    assert "KH-0001" in manager.get("/sheet/weekly?week=2026-W47").text

    excel = manager.get("/sheet/weekly.xlsx?week=2026-W48")
    assert excel.status_code == 200 and excel.headers["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(excel.data)).active
    assert "2026-W48" in sheet["A1"].value and "华东电器制造有限公司" in sheet["A1"].value
    headers = [c.value for c in sheet[3]]
    assert headers[:6] == ["受理日期", "投诉编号", "客户", "客户代号", "商品名称", "不良数量"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert len(rows) == 1
    [row] = rows
    assert row[0] == datetime(2026, 11, 24) and row[1] == inside.number and row[3] == "KH-0417"
    assert row[4] == "KFR-35GW 空调" and row[5] == 3   # a number, as typed
    assert row[7] == "" or row[7] is None   # not yet dispatched


@pytest.mark.parametrize("week", ["2025-W53", "2026-11", "9999-W52", "a\x00b", "x" * 300])
def test_a_week_that_makes_no_sense_is_refused_with_a_message(manufacturer, week):
    manager = signed_in(manufacturer, "mkt_mgr")
    page = manager.get("/sheet/weekly", query_string={"week": week})
    assert page.status_code == 400
    assert "\x00" in week or 'data-testid="week-error"' in page.text   # a NUL is refused before any page
    assert manager.get("/sheet/weekly.xlsx", query_string={"week": week}).status_code == 400


def test_a_user_outside_the_cases_scope_neither_prints_nor_lists_it(manufacturer):
    complaint = register_order(manufacturer)
    assert dispatch(signed_in(manufacturer, "mkt_mgr"), complaint, "QA").status_code == 303
    south = signed_in(manufacturer, "south1")   # another department's staff
    assert south.get(f"/sheet/{complaint.id}").status_code == 404
    assert complaint.number not in south.get("/sheet/weekly?week=2026-W48").text
    assert signed_in(manufacturer, "qa1").get(f"/sheet/{complaint.id}").status_code == 200
    assert signed_in(manufacturer, "admin").get("/sheet/weekly").status_code == 403


def test_the_bank_keeps_no_statistics_sheet(app, client_for):
    complaint = register(client_for("staff1"))
    center = client_for("center1")
    assert "statistics-sheet-link" not in center.get(f"/complaints/{complaint.id}").text
    assert "statistics-sheet-nav" not in center.get("/reports/").text
    for url in (f"/sheet/{complaint.id}", "/sheet/weekly", "/sheet/weekly.xlsx?week=2026-W48"):
        assert center.get(url).status_code == 404, url
    assert jobs.send_statistics_sheet() == {"statistics_sheet": "off"}
    assert db.session.scalar(select(func.count()).select_from(StatisticsSheetMailing)) == 0


def sheet_mails() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("投诉统计表"))
                                   .order_by(OutboxMessage.id)))


def test_the_weekly_list_goes_to_the_market_manager_once_on_monday(manufacturer, clock):
    # The test clock starts on Tuesday 24 November: last week's list is due and goes at once.
    register_order(manufacturer, received_at="2026-11-18T10:00", x_customer_code="KH-0047")
    assert jobs.send_statistics_sheet()["statistics_sheet"] == "2026-W47"
    [first] = sheet_mails()
    assert first.to_addr == "mkt_mgr@example.com"   # the 市场部经理; not 市场部专员 mkt1
    assert "2026-W47" in first.subject and "KH-0047" in first.body_text and "/sheet/weekly.xlsx?week=2026-W47" in first.body_text

    this_week = register_order(manufacturer)   # received on Tuesday 24 November: week 48
    assert jobs.send_statistics_sheet() == {"statistics_sheet": "not due"}
    clock.set(datetime(2026, 11, 29, 15, 50))   # Sunday 23:50 in Shanghai: week 48 is not over
    assert jobs.send_statistics_sheet() == {"statistics_sheet": "not due"}
    assert len(sheet_mails()) == 1
    clock.advance(minutes=20)                   # Monday 30 November 00:10
    assert jobs.send_statistics_sheet()["statistics_sheet"] == "2026-W48"
    assert jobs.send_statistics_sheet() == {"statistics_sheet": "not due"}   # a second run, or worker
    mails = sheet_mails()
    assert len(mails) == 2 and "2026-W48" in mails[1].subject and this_week.number in mails[1].body_text
    clock.advance(days=3)
    assert jobs.send_statistics_sheet() == {"statistics_sheet": "not due"}
    assert len(sheet_mails()) == 2
    assert db.session.scalars(select(StatisticsSheetMailing.week_start).order_by(StatisticsSheetMailing.id)).all() == [
        date(2026, 11, 16), date(2026, 11, 23)]


def test_two_workers_at_once_send_the_weeks_list_once(manufacturer):
    db.session.commit()

    def run() -> str:
        try:
            return jobs.send_statistics_sheet()["statistics_sheet"]
        except OperationalError:   # SQLite: a writer that waited too long; PostgreSQL waits for the claim
            db.session.rollback()
            return "busy"
    results = all_at_once(manufacturer, run, 4)
    assert results.count("2026-W47") == 1
    if db.engine.dialect.name == "postgresql":
        assert sorted(results) == ["2026-W47"] + ["not due"] * 3
    assert len(sheet_mails()) == 1
    assert db.session.scalar(select(func.count()).select_from(StatisticsSheetMailing)) == 1


def test_without_a_manager_every_active_user_of_the_unit_is_told(manufacturer):
    manager = db.session.scalar(select(User).where(User.username == "mkt_mgr"))
    manager.title = None
    db.session.commit()
    assert [u.username for u in statistics_sheet.recipients("MKT")] == ["mkt_mgr", "mkt1"]
    manager.active = False
    db.session.commit()
    assert [u.username for u in statistics_sheet.recipients("MKT")] == ["mkt1"]


# Where the manufacturer keeps it: who prints a case's sheet (whoever sees the case, 404 otherwise, as
# the case page) and who reads the week's list (everyone but the administrator, each their own cases).
ACCESS = [("mkt1", 200, 200), ("mkt_mgr", 200, 200), ("gm", 200, 200), ("qa1", 200, 200), ("qahead", 200, 200),
          ("sales1", 404, 200), ("east1", 404, 200), ("prod1", 404, 200), ("admin", 404, 403)]


@pytest.mark.one_backend
def test_who_prints_the_sheet_and_reads_the_weeks_list(manufacturer):
    complaint = register_order(manufacturer)
    assert dispatch(signed_in(manufacturer, "mkt_mgr"), complaint, "QA").status_code == 303
    for username, sheet, week in ACCESS:
        client = signed_in(manufacturer, username)
        got = (client.get(f"/sheet/{complaint.id}").status_code, client.get("/sheet/weekly").status_code,
               client.get("/sheet/weekly.xlsx?week=2026-W48").status_code)
        assert got == (sheet, week, week), username
        listed = client.get("/sheet/weekly?week=2026-W48").text
        assert (complaint.number in listed) == (sheet == 200), username
    anonymous = Client(manufacturer)
    assert anonymous.get(f"/sheet/{complaint.id}").location.startswith("/login")
    assert anonymous.get("/sheet/weekly").location.startswith("/login")


@pytest.mark.one_backend
def test_extreme_weeks_never_fail_with_a_server_error(manufacturer):
    from tests.test_fuzz import QUERY_PARAMETERS, fuzz_get
    complaint = register_order(manufacturer)
    manager = signed_in(manufacturer, "mkt_mgr")
    for endpoint, url in (("statistics_sheet.week_list", "/sheet/weekly"),
                          ("statistics_sheet.week_excel", "/sheet/weekly.xlsx"),
                          ("statistics_sheet.print_sheet", f"/sheet/{complaint.id}")):
        fuzz_get(manager, url, QUERY_PARAMETERS[endpoint])
