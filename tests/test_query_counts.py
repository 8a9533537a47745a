"""No list page runs a query per row: the count of SQL statements stays the same with 2 or 22
complaints on the page (N+1 guard)."""
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from extensions import db
from tests.helpers import dispatch, executed, register


@contextmanager
def counting(target, event_name: str):
    """Counts the `event_name` events of `target` inside the block: [n]."""
    count = [0]

    def counter(*_args, **_kwargs):
        count[0] += 1
    event.listen(target, event_name, counter)
    try:
        yield count
    finally:
        event.remove(target, event_name, counter)


def statements(client, url) -> int:
    with counting(db.engine, "before_cursor_execute") as count:
        assert client.get(url).status_code == 200
    return count[0]


@pytest.mark.parametrize("username, url", [
    ("staff1", "/intake/"), ("head1", "/branch/"), ("dept1", "/department/"), ("center1", "/center/"),
    ("center1", "/center/visits"), ("head1", "/branch/approvals"), ("staff1", "/work/"), ("center1", "/work/"),
])
def test_list_pages_run_a_fixed_number_of_queries(client_for, username, url):
    staff = client_for("staff1")

    def add(n):
        for _ in range(n):
            complaint = register(staff, solved_on_spot="y" if url == "/center/visits" else "",
                                 on_spot_result="当场解决", media="y" if "approvals" in url else "")
            if url == "/department/":
                dispatch(staff, complaint)
            if "approvals" in url:
                staff.act(complaint.id, "plan", {"steps": "s", "responsible": "r", "due_date": "2026-11-30",
                                                 "version": complaint.version})
    client = client_for(username)
    add(2)
    few = statements(client, url)
    add(20)
    many = statements(client, url)
    assert many == few, f"{url}: {few} statements with 2 complaints, {many} with 22"
    assert many <= 12


def test_registering_a_much_repeated_complaint_costs_no_more_than_a_fourth_repeat(client_for):
    """The repeat detection counts complainants in the database and loads only the complaints it
    newly marks, so the 25th complaint about an ATM costs what the 4th does: the same statements,
    and no older complaint loaded."""
    from models import Complaint
    from tests.conftest import complaint_form
    from tests.helpers import category_id
    staff = client_for("staff1")
    same = {"object_text": "ATM 机吞卡", "category": str(category_id("system_app"))}

    def register_costs(n: int) -> tuple[int, int]:
        with counting(db.engine, "before_cursor_execute") as count, counting(Complaint, "load") as loaded:
            response = staff.post("/intake/new", data=complaint_form(customer_contact=f"138{n:08d}", **same))
            assert response.status_code == 303
        return count[0], loaded[0]
    for n in range(3):                  # the third makes them all major
        register_costs(n)
    fourth = register_costs(3)
    for n in range(4, 24):
        register_costs(n)
    assert register_costs(24) == fourth == (fourth[0], 0)


# What registering one complaint through the form costs at most, in SQL statements (34 on PostgreSQL
# before issue 20): the user with the settings' version (services.kept; the form's categories and
# fields come from the process), the complaint (its INSERT does nothing if the token is in already: no
# read of the token before, no savepoint), the day's number, the similarity lookup and the repeat
# count; on PostgreSQL the clocks with the registration's history in one statement, and the number
# with the rest (tracking access, customer message, outbox, terms) in another, taken after the row
# and its history are written, so that a failure there leaves no gap. SQLite writes each table
# apart, and the five clocks one by one.
REGISTRATION_STATEMENTS = {"sqlite": 16, "postgresql": 9}
WRITTEN_ONCE = ("complaint_event", "deadline", "customer_access", "customer_message", "outbox_message",
                "complaint_terms")


def test_registering_a_complaint_takes_a_fixed_few_statements(app, client_for):
    """Every row of a registration goes in with the others of its table (a statement per table, not
    per row), and the settings every registration reads come from the process, not the database."""
    from tests.conftest import complaint_form
    staff = client_for("staff1")
    assert staff.post("/intake/new", data=complaint_form()).status_code == 303   # the settings are read once
    with executed() as runs:
        response = staff.post("/intake/new", data=complaint_form(customer_contact="13900139000",
                                                                 object_text="城西支行自助银行"))
    ran = [" ".join(run.statement.split()) for run in runs]
    assert response.status_code == 303
    dialect = db.engine.dialect.name
    for table in WRITTEN_ONCE if dialect == "postgresql" else ():
        # (SQLite's driver gives back the ids of several rows in order only one row at a time.)
        inserts = [s for s in ran if f"INSERT INTO {table} " in s]
        assert len(inserts) == 1, f"{len(inserts)} statements insert into {table}"
    updates = [s for s in ran if "UPDATE complaint " in s]
    assert len(updates) == 1 and "UPDATE complaint SET number=" in updates[0], updates
    history = next(s for s in ran if "INSERT INTO complaint_event " in s)
    assert (dialect != "postgresql") or "INSERT INTO deadline " in history, "the clocks go in with the history"
    budget = REGISTRATION_STATEMENTS[dialect]
    assert len(ran) <= budget, "\n".join([f"{len(ran)} statements, at most {budget}:", *ran])


def test_a_complaints_page_reads_with_the_complaint_which_of_its_lists_hold_anything(client_for):
    """Whether each of the complaint's lists (answers, contacts, attachments, …) holds anything, and
    its clocks, come in the complaint's own statement (blueprints/complaints/routes.py): the page
    reads the lists that hold something, a statement each, and no other."""
    staff = client_for("staff1")
    complaint = register(staff)
    page = f"/complaints/{complaint.id}"
    center = client_for("center1")
    center.get(page)

    def lists_read(runs) -> list[str]:
        return [found.group(1) for found in (re.match(r"SELECT (\w+)\.id,", run.statement) for run in runs)
                if found and found.group(1) not in ("user", "complaint", "complaint_event")]
    with executed() as runs:
        shown = center.get(page)
    # How the notice went out, found by the addresses of the access read with the complaint.
    assert shown.status_code == 200 and 'data-testid="customer-deliveries"' in shown.text
    # A registered complaint has its customer's notice, and the notice's e-mail (its customer's
    # tracking access too, read with the complaint).
    assert sorted(lists_read(runs)) == ["customer_message", "outbox_message"]
    # Besides them: signed in, the complaint, its view in the audit history, its timeline, its
    # similar cases.
    assert len(runs) == 5 + 2, [run.statement[:40] for run in runs]
    assert staff.act(complaint.id, "contact", {"channel": "phone", "content": "已致电客户，说明正在核实。"}).status_code == 303
    assert "已致电客户，说明正在核实。" in center.get(page).text
    with executed() as runs:
        assert center.get(page).status_code == 200
    assert sorted(lists_read(runs)) == ["contact_log", "customer_message", "outbox_message"]
    assert len(runs) == 5 + 3
