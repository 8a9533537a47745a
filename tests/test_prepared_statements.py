"""A request's transaction ends with a ROLLBACK of its own (services.sql), so that the driver keeps the
statements it prepared: planned once per connection, not in every request."""
import pytest
from sqlalchemy import event, select, text

from extensions import db
from models import Complaint, Incident
from services import clock, sql
from tests.helpers import executed, user


def end_of_request(keeping: bool) -> None:
    """What the app's teardown does after a request, then Flask-SQLAlchemy's."""
    if keeping:
        sql.roll_back_keeping_prepared_statements()
    db.session.remove()


def backend() -> int:
    return db.session.scalar(text("SELECT pg_backend_pid()"))


@pytest.mark.parametrize("keeping", [True, False])
def test_a_statement_read_in_five_requests_is_prepared_only_when_the_request_ends_with_its_own_rollback(app, keeping):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    pid = backend()
    end_of_request(keeping)
    for number in range(6):
        assert backend() == pid   # one pooled connection, as a web process has between two requests
        db.session.execute(select(Complaint.id).where(Complaint.number == f"nothing-{number}")).all()
        end_of_request(keeping)
    prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("FROM complaint" in statement for statement in prepared) == keeping


def test_what_a_request_wrote_without_committing_is_still_undone(app):
    db.session.add(Incident(title="left uncommitted", opened_at=clock.now(), opened_by=user("center1")))
    db.session.flush()
    end_of_request(keeping=True)
    assert db.session.scalar(select(Incident).where(Incident.title == "left uncommitted")) is None


@pytest.mark.parametrize("path, for_the_values", [("/ledger/?q=排队", True), ("/reports/", True), ("/audit/", True),
                                                   ("/center/", False), ("/work/", False)])
def test_searches_and_reports_are_planned_for_their_values(app, client_for, path, for_the_values):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    center = client_for("center1")
    with executed() as runs:
        assert center.get(path).status_code == 200
    assert any("force_custom_plan" in run.statement for run in runs) == for_the_values


@pytest.mark.parametrize("path, workers", [("/reports/", "2"), ("/ledger/?q=排队", "2"),
                                           ("/center/", "0"), ("/work/counts", "0")])
def test_only_the_reports_and_searches_read_with_parallel_workers(app, client_for, path, workers):
    """The app's connections start without parallel workers (app._connection_settings): a page's
    statements read a few hundred rows. The reports' aggregates over months take PostgreSQL's own
    number back for their transaction (1.5–5 times as fast at 1,000,000 complaints)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("parallel workers are PostgreSQL's")
    center = client_for("center1")
    seen = []

    def note(_conn, cursor, statement, *_rest):
        if "FROM complaint" in statement:   # the page's own reading, after any settings
            seen.append(cursor.connection.execute("SHOW max_parallel_workers_per_gather").fetchone()[0])
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert center.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert seen and set(seen) == {workers}, seen
