"""Small factories shared by the tests."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import event, select, text

from extensions import db
from models import CapaRecord, Category, Channel, Complaint, Unit, User
from services.registration import Registration
from tests.conftest import START, complaint_form

CUSTOMER = "wang@example.com"


def category_id(code: str) -> int:
    return db.session.scalar(select(Category.id).where(Category.code == code))


def unit_id(code: str) -> int:
    return db.session.scalar(select(Unit.id).where(Unit.code == code))


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def register(client, **changes) -> Complaint:
    """Register a complaint through the form, as the client's user; returns it fresh from the database."""
    changes.setdefault("category", str(category_id("waiting")))
    response = client.post("/intake/new", data=complaint_form(**changes))
    assert response.status_code == 303, response.text
    complaint_id = int(response.location.rsplit("/", 1)[1])
    db.session.expire_all()
    return db.session.get(Complaint, complaint_id)


def version_of(client, complaint_id: int) -> str:
    page = client.get(f"/complaints/{complaint_id}?actions=all").text   # every form, "more actions" too
    return re.search(r'name="\w+-version" type="hidden" value="(\d+)"', page).group(1)


def dispatch(client, complaint, unit_code="OPS", assignee=0, note=""):
    return client.act(complaint.id, "dispatch", {
        "unit": unit_id(unit_code), "assignee": assignee, "note": note,
        "version": version_of(client, complaint.id)})


def answer(client, complaint, **changes):
    data = {"cause": "高峰期只开了两个窗口。", "result": "已向客户致歉并说明原因。",
            "corrective_action": "高峰期增开窗口。", "preventive_action": "按客流排班，每周复核。",
            "version": version_of(client, complaint.id)}
    data.update(changes)
    return client.act(complaint.id, "answer", data)


def give_result(client, complaint, result="已电话告知客户处理结果并致歉。", channel="phone"):
    return client.act(complaint.id, "result", {
        "result": result, "channel": channel, "version": version_of(client, complaint.id)})


def visit(client, complaint, rating="B", comment="客户表示接受。"):
    return client.act(complaint.id, "visit", {
        "rating": rating, "comment": comment, "version": version_of(client, complaint.id)})


# The hotline's 纠正及预防措施记录表 as its department fills it in (tests/test_capa_signoff.py).
CAPA_RECORD = {"cause": "抄表员误读燃气表读数。", "correction": "已重新抄表并退还多收的燃气费。",
               "preventive": "抄表后由班长抽查复核，每月培训一次。", "responsible": "潘婷", "due_date": "2026-11-30"}


def capa_record_of(complaint) -> CapaRecord:
    db.session.expire_all()
    return db.session.scalar(select(CapaRecord).where(CapaRecord.complaint_id == complaint.id))


def capa_signed_off(department, leader, complaint) -> None:
    """The department files the complaint's record and the leader (分管领导) signs it off."""
    assert department.post(f"/reports/capa/new/{complaint.id}", data=CAPA_RECORD).status_code == 303
    record = capa_record_of(complaint)
    assert leader.post(f"/reports/capa/{record.id}/signoff", data={}).status_code == 303


class Run(NamedTuple):
    statement: str
    parameters: object


@contextmanager
def executed():
    """The SQL statements run inside the block, in order, each with its parameters: [Run]."""
    runs: list[Run] = []

    def keep(_conn, _cursor, statement, parameters, *_rest):
        runs.append(Run(statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield runs
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def nav_counts(client) -> str:
    """The navigation's counted links as read (the counts sit in boxes of their own)."""
    return re.sub(r"<[^>]+>", "", client.get("/work/counts").text)


def fresh(complaint) -> Complaint:
    """The complaint as the next request sees it: a new transaction (services.kept reads the settings'
    version once per transaction), every row read again."""
    db.session.commit()
    return db.session.get(Complaint, complaint.id)


def registration(**changes) -> Registration:
    """What services.registration.register_complaint takes, for tests that call it directly."""
    data = dict(customer_name="王建国", customer_contact=CUSTOMER, channel=Channel.COUNTER,
                received_at=START - timedelta(minutes=5), content="在柜台排队等候超过一小时，无人解释原因。",
                demand="希望支行道歉。", object_text="城东支行营业厅", category_id=category_id("waiting"), level=2)
    data.update(changes)
    return Registration(**data)


def all_at_once(app, work, times: int) -> list:
    """Run `work()` in `times` threads released together, each in its own app context and database
    session, as so many worker processes would; returns what each returned. Any error fails here."""
    barrier = threading.Barrier(times)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(work())
            except Exception as exc:  # surfaced below, in the test's thread
                errors.append(exc)
            finally:
                db.session.remove()
    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def plan_of(query) -> str:
    """PostgreSQL's plan of `query` (a SQLAlchemy statement), its values written into the text."""
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    return "\n".join(db.session.execute(text("EXPLAIN " + sql)).scalars())
