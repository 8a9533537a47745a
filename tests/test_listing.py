"""A list's row (blueprints.listing.ListRow) shows what the complaint's own page would say of it: its
link, the customer's masked numbers, names in the reader's language, who holds it, its clocks."""
import re

from sqlalchemy import select

from extensions import db
from models import Category, Unit
from services import identity
from tests.helpers import dispatch, register, user


def row_of(page: str, number: str) -> str:
    rows = [row for row in re.findall(r"<tr.*?</tr>", page, re.S) if f">{number}</a>" in row]
    assert len(rows) == 1, page
    return rows[0]


def cells(row: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in re.findall(r"<td.*?</td>", row, re.S)]


def test_a_department_queue_row_says_what_the_case_is_and_who_holds_it_in_the_readers_language(app, client_for, clock):
    center = client_for("center1")
    complaint = register(center, channel="phone")
    dispatch(center, complaint, "OPS")
    category = db.session.get(Category, complaint.category_id)
    ops = db.session.scalar(select(Unit).where(Unit.code == "OPS"))
    masked = identity.masked_numbers(complaint)
    assert masked

    head = client_for("depthead1")
    row = row_of(head.get("/department/").text, complaint.number)
    assert f'href="/complaints/{complaint.id}"' in row and head.get(f"/complaints/{complaint.id}").status_code == 200
    number, customer, kind, _level, state, owner, handler, holder, answer_by, next_due = cells(row)
    assert customer == f"{complaint.customer_name} {masked}"
    assert kind == category.name and owner == user("center1").name
    assert handler == "未指派" and holder == ops.name
    assert answer_by.startswith("剩 3 天") and next_due.startswith("剩") and "已超时" not in number

    clock.advance(days=10)   # past the answer's deadline
    row = row_of(head.get("/department/").text, complaint.number)
    assert 'class="overdue"' in row and cells(row)[0].endswith("已超时") and cells(row)[8].startswith("已超时")

    english = user("depthead1")
    english.locale = "en"
    db.session.commit()
    row = row_of(head.get("/department/").text, complaint.number)
    _number, _customer, kind, _level, _state, _owner, handler, holder, answer_by, _next = cells(row)
    assert kind == category.name_en and holder == ops.name_en
    assert handler == "Not assigned" and "overdue" in answer_by


def test_the_customer_ledger_lists_each_complaint_with_where_it_was_registered(app, client_for):
    center = client_for("center1")
    complaint = register(center, channel="phone")
    page = center.get("/ledger/customer", query_string={"mobile": complaint.customer_mobile}).text
    row = cells(row_of(page, complaint.number))
    assert row[2] == f"{complaint.customer_name} {identity.masked_numbers(complaint)}"
    assert row[5] == user("center1").unit.name


def test_a_pages_times_read_as_each_deadline_alone_would(app):
    """blueprints.ui.PageTimes (a list's rows: one time zone, each phrase translated once a page) says
    of every deadline what time_left and local_datetime say of it alone, across units and signs."""
    from datetime import datetime, timedelta

    from blueprints.ui import PageTimes, local_datetime, time_left
    now = datetime(2026, 3, 2, 15, 30)
    offsets = [timedelta(minutes=m) for m in (0, 1, 59, 60, 61, 47 * 60 + 59, 48 * 60, 72 * 60, 30 * 24 * 60)]
    dues = [now + sign * offset for offset in offsets for sign in (1, -1)]
    with app.test_request_context():
        times = PageTimes(now)
        for due in dues * 2:   # the second time from what the page kept
            assert times.left(due) == time_left(due, now) and times.local(due) == local_datetime(due)
        assert times.left(None) == "" and times.local(None) == ""
        assert times.left(now + timedelta(hours=3)) == "剩 3 小时" and times.local(now) == "2026-03-02 23:30"
