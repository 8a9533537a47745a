"""The database goes away while people work (restart, failover, a cut network). The app runs
against PostgreSQL through a TCP proxy that the test cuts and restores: meanwhile users get a
503 page in their language, nothing is half-written, and afterwards the app answers again by
itself (the pool checks a connection that lay idle before using it: services.sql.ping_when_idle)."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from extensions import db
from models import Complaint, ComplaintEvent, DailyCounter, Deadline
from tests.conftest import POSTGRES_URL, Client, _schemas_ready, complaint_form, make_app
from tests.faults import TcpProxy
from tests.helpers import user

pytestmark = pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL")


@pytest.fixture
def proxied(database_urls, redis_url, smtp_server):
    target = make_url(POSTGRES_URL)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    with make_app(POSTGRES_URL, redis_url, smtp_server).app_context():   # the schema, made once
        db.engine.dispose()
    _schemas_ready.add(url)                                              # the same database behind the proxy
    app = make_app(url, redis_url, smtp_server)
    with app.app_context():
        yield app, proxy
        db.session.remove()
        db.engine.dispose()
    proxy.close()


def counts() -> tuple:
    db.session.rollback()
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Complaint, Deadline, ComplaintEvent, DailyCounter))


def test_users_see_a_friendly_page_while_the_database_is_down_and_the_app_recovers_by_itself(proxied):
    app, proxy = proxied
    staff = Client(app)
    staff.login("staff1")
    assert staff.get("/intake/").status_code == 200

    proxy.cut()
    page = staff.get("/intake/")
    assert page.status_code == 503
    assert "暂时无法使用" in page.text and "Traceback" not in page.text
    form = complaint_form()
    assert staff.post("/intake/new", data=form).status_code == 503

    proxy.restore()                                    # no restart of the app, no manual step
    assert staff.get("/intake/").status_code == 200
    assert staff.post("/intake/new", data=form).status_code == 303    # the same form, sent again
    assert counts()[0] == 1


@pytest.mark.parametrize("idle_long_enough", [True, False])
def test_a_connection_dropped_while_it_lay_idle_is_replaced_before_a_request_uses_it(proxied, monkeypatch,
                                                                                   idle_long_enough):
    """services.sql.ping_when_idle: a connection back in the pool for IDLE_BEFORE_PING is checked
    before its next request, which then never sees that the database dropped it; one used again at
    once is not (the round trip pool_pre_ping made on every request): its request gets the 503 page,
    and the pool is replaced for the next."""
    from services import sql
    app, proxy = proxied
    staff = Client(app)
    staff.login("staff1")
    assert staff.get("/intake/").status_code == 200
    proxy.cut()                  # the database restarts: the pool's connections are gone
    proxy.restore()
    monkeypatch.setattr(sql, "IDLE_BEFORE_PING", 0.0 if idle_long_enough else 3600.0)
    assert staff.get("/intake/").status_code == (200 if idle_long_enough else 503)
    assert staff.get("/intake/").status_code == 200


def test_the_503_page_speaks_the_users_language(proxied):
    app, proxy = proxied
    user("dept1").locale = "en"
    db.session.commit()
    clerk = Client(app)
    clerk.login("dept1")
    proxy.cut()
    page = clerk.get("/department/")
    assert page.status_code == 503
    assert "Temporarily unavailable" in page.text
    proxy.restore()


def test_a_registration_cut_off_halfway_leaves_nothing_behind(proxied):
    app, proxy = proxied
    staff = Client(app)
    staff.login("staff1")
    before = counts()
    # The connection drops after the complaint row was inserted, when its history is written.
    proxy.cut_on(b"INSERT INTO complaint_event")
    response = staff.post("/intake/new", data=complaint_form())
    assert proxy.cut_seen.is_set()
    assert response.status_code == 503
    assert counts() == before                          # no complaint, no deadline, no number used
