"""The pages that only read run in autocommit on PostgreSQL (blueprints.ui.reads_only): no BEGIN
before their first statement, no ROLLBACK after their last. What they write stands alone and is
kept; what needs a transaction (待我处理's planner setting) opens one; forms still write in one
transaction."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event, func, select

from extensions import db
from models import ComplaintEvent
from tests.helpers import dispatch, register

pytestmark = pytest.mark.usefixtures("postgresql_only")


@pytest.fixture
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("autocommit reads are PostgreSQL's (SQLite sends no BEGIN of its own)")


@contextmanager
def connection_states(probe: str | None = None):
    """For each statement run inside the block: (its first words, the connection in autocommit, a
    transaction open on it, and what `probe`, run on the same connection just before, answered)."""
    seen = []

    def note(_conn, cursor, statement, *_rest):
        raw = cursor.connection
        answer = raw.execute(probe).fetchone()[0] if probe else None
        seen.append((" ".join(statement.split()[:3]), raw.autocommit,
                     raw.info.transaction_status != TransactionStatus.IDLE, answer))
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


@pytest.mark.parametrize("user, path", [("dept1", "/department/"), ("head1", "/branch/"), ("center1", "/center/"),
                                        ("staff1", "/intake/"), ("staff1", "/intake/new"),
                                        ("staff1", "/session/status")])   # every open page asks every 30 s
def test_a_list_page_runs_each_statement_on_its_own_and_ends_with_no_rollback(app, client_for, user, path):
    client = client_for(user)
    with connection_states() as seen:
        response = client.get(path)
    assert response.status_code == 200
    assert seen, "the page read nothing"
    assert all(autocommit and not open_transaction for _words, autocommit, open_transaction, _ in seen), seen
    assert not any(words.startswith("ROLLBACK") for words, *_ in seen)


def test_a_form_read_in_autocommit_still_writes_in_one_transaction(app, client_for):
    staff = client_for("staff1")
    staff.get("/intake/new")   # the empty form, read in autocommit: its connection is back in the pool as it was
    with connection_states() as seen:
        complaint = register(staff, content="排队两小时无人理会，叫号系统失灵。")
    # The complaint, its clocks, history, notices and outbox (the day's number is taken apart, on a
    # connection of its own in autocommit: services.numbering).
    written = [entry for entry in seen if entry[0].startswith(("INSERT INTO complaint ", "WITH written"))]
    assert written and not any(autocommit for _words, autocommit, *_ in written), written
    assert all(open_transaction for _words, _ac, open_transaction, _ in written)
    assert complaint.number


def test_the_complaint_page_keeps_its_view_and_plans_its_similar_cases_for_their_values(app, client_for):
    staff = client_for("staff1")
    complaint = register(staff, content="自助取款机吞卡，等了一个小时没人处理。", object_text="自助取款机")
    register(staff, content="自助取款机吞卡，排队很久也没有人来处理。", object_text="自助取款机",
             customer_contact="13900139000")
    dispatch(staff, complaint)
    center = client_for("center1")
    views = select(func.count()).select_from(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                                  ComplaintEvent.action == "viewed")
    before = db.session.scalar(views)
    page = f"/complaints/{complaint.id}"
    # psycopg prepares a statement once it ran five times on a connection; the pool hands its few
    # connections out in turn (the registrations' numbering took one of its own).
    for _ in range(20):
        assert center.get(page).status_code == 200
    prepared = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH sharing%'"
    with connection_states(probe=prepared) as seen:
        response = center.get(page)
    assert response.status_code == 200
    lookup = [entry for entry in seen if entry[0].startswith("WITH sharing")]
    assert lookup, "the page looked for no similar cases"
    # Planned for its values: never prepared, however often it ran; needing no setting, it runs in
    # autocommit like every statement of the page, with no transaction to begin and end.
    assert all(times_prepared == 0 for *_rest, times_prepared in lookup), lookup
    assert all(autocommit and not open_transaction for _words, autocommit, open_transaction, _ in seen), seen
    db.session.rollback()   # the test's own transaction: what was committed since
    assert db.session.scalar(views) == before + 21


@pytest.mark.parametrize("path, read", [("/work/", "SELECT 0 AS"), ("/work/counts", "SELECT count(*) FILTER")])
def test_my_work_reads_its_groups_by_their_generic_plan_in_a_transaction_of_its_own(app, client_for, path, read):
    """待我处理 and its counts (every page's navigation), statements built once with their constants
    written: planned once per connection, with the setting for their transaction alone."""
    client = client_for("head1")
    with connection_states("SELECT current_setting('plan_cache_mode')") as seen:
        assert client.get(path).status_code == 200
    groups = [entry for entry in seen if entry[0].startswith(read)]
    assert groups and all(open_transaction and mode == "force_generic_plan" for _w, _ac, open_transaction, mode in groups)
    assert seen[0][3] == "auto", seen   # (signing in, before: as every statement of other pages)
    with connection_states("SELECT current_setting('plan_cache_mode')") as seen:
        assert client.get("/branch/").status_code == 200   # the connection back in the pool as it was
    assert {mode for *_rest, mode in seen} == {"auto"}
