"""Sign-in sessions on shared office PCs: idle and absolute timeouts kept on the server (moved with
the frozen clock), the warning with "stay signed in", switch user, and logout that makes a copied
cookie worthless."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import UserSession
from tests.conftest import START, Client


@pytest.fixture(autouse=True)
def real_limits(app):
    """The limits of a real deployment (the other tests' sessions never time out)."""
    app.config.update(SESSION_IDLE_MINUTES=15, SESSION_ABSOLUTE_HOURS=10, SESSION_WARNING_MINUTES=2)


def signed_out(response) -> bool:
    return response.status_code in (302, 303) and response.location.startswith("/login")


def test_idle_for_15_minutes_signs_out_with_the_reason(client_for, clock):
    client = client_for("staff1")
    clock.advance(minutes=14, seconds=59)
    assert client.get("/intake/").status_code == 200
    clock.advance(minutes=14, seconds=59)          # each request restarts the idle time
    assert client.get("/intake/").status_code == 200
    clock.advance(minutes=15)
    response = client.get("/intake/")
    assert signed_out(response)
    login = client.get(response.location)
    assert "15 分钟无操作，已自动退出" in login.text
    assert signed_out(client.get("/intake/"))     # stays signed out
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_the_absolute_limit_ends_even_a_busy_session(client_for, clock):
    client = client_for("staff1")
    for _ in range(50):                            # busy all day: a request every 14 minutes
        clock.advance(minutes=14)
        response = client.get("/intake/")
        if response.status_code != 200:
            break
    assert signed_out(response)
    assert timedelta(hours=10) <= clock.current - START < timedelta(hours=10, minutes=14)
    assert "最长 10 小时" in client.get("/login").text


def test_the_status_poll_warns_shortly_before_and_does_not_keep_the_session_alive(client_for, clock):
    client = client_for("staff1")
    headers = {"HX-Request": "true"}
    clock.advance(minutes=12)
    assert client.get("/session/status", headers=headers).text.strip() == ""     # nothing to say yet
    clock.advance(minutes=1, seconds=30)
    warning = client.get("/session/status", headers=headers).text
    assert 'data-testid="session-warning"' in warning and "保持登录" in warning
    assert "10:15" in warning                                                    # 10:00 + 15 minutes, local time
    clock.advance(minutes=1, seconds=30)                                         # polling is not activity
    ended = client.get("/session/status", headers=headers)
    assert ended.status_code == 204 and ended.headers["HX-Redirect"] == "/login"


def test_stay_signed_in_restarts_the_idle_time(client_for, clock):
    client = client_for("staff1")
    clock.advance(minutes=14)
    kept = client.post("/session/keepalive", headers={"HX-Request": "true"})
    assert kept.status_code == 200 and "session-warning" not in kept.text
    clock.advance(minutes=14)
    assert client.get("/intake/").status_code == 200


@pytest.mark.one_backend
def test_keepalive_needs_the_csrf_token(client_for):
    client = client_for("staff1")
    assert client.post("/session/keepalive", csrf=False).status_code == 400


def test_logout_makes_a_copied_cookie_useless(app, client_for):
    client = client_for("staff1")
    cookie = client.http.get_cookie("session").value
    thief = Client(app)
    thief.http.set_cookie("session", cookie)
    assert thief.get("/intake/").status_code == 200          # the copy works while the session lives
    client.post("/logout")
    assert signed_out(thief.get("/intake/"))


def test_switch_user_signs_out_and_hands_over_the_login_page(app, client_for):
    client = client_for("staff1")
    response = client.post("/switch-user")
    assert response.status_code == 303 and response.location == "/login"
    page = client.get("/login").text
    assert "张敏 已退出" in page and 'name="username"' in page
    assert signed_out(client.get("/intake/"))
    assert client.login("dept1").status_code == 303 and client.get("/department/").status_code == 200


@pytest.mark.one_backend
def test_every_signed_in_page_offers_switch_user(client_for):
    for username, page in [("staff1", "/intake/"), ("dept1", "/department/"), ("admin", "/admin/")]:
        assert 'data-testid="switch-user"' in client_for(username).get(page).text


@pytest.mark.one_backend
def test_the_login_page_has_no_remember_me(app):
    page = Client(app).get("/login").text
    assert "remember" not in page.lower() and "记住" not in page


def test_a_session_of_someone_else_does_not_sign_in(app, client_for):
    """The server-side session must belong to the user named in the cookie."""
    staff, dept = client_for("staff1"), client_for("dept1")
    with staff.http.session_transaction() as staff_session, dept.http.session_transaction() as dept_session:
        staff_session["sid"] = dept_session["sid"]
    assert signed_out(staff.get("/intake/"))


def test_an_expired_htmx_request_redirects_the_whole_page(client_for, clock):
    client = client_for("staff1")
    clock.advance(minutes=16)
    response = client.post("/intake/new/validate/customer_name", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login"


def _session_rows(*users_and_times) -> list[str]:
    """Session rows as sign-ins leave them: (username, started_at, last_seen_at)."""
    from tests.helpers import user
    ids = []
    for username, started, seen in users_and_times:
        row = UserSession(id=uuid.uuid4().hex * 2, user_id=user(username).id, started_at=started,
                          last_seen_at=seen, address="10.0.0.1")
        db.session.add(row)
        ids.append(row.id)
    db.session.commit()
    return ids


def _left() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(UserSession.id)))


def test_the_worker_purges_abandoned_sessions_in_bounded_batches(app, clock):
    from services import sessions
    from services.queue import queue
    from tests.test_worker import run_worker
    clock.advance(hours=12)
    now = clock.current
    idle = _session_rows(*[("staff1", now - timedelta(minutes=40), now - timedelta(minutes=21))] * 3)
    busy_all_day = _session_rows(("dept1", now - timedelta(hours=10, minutes=6), now - timedelta(minutes=1)))
    just_ran_out = _session_rows(("center1", now - timedelta(minutes=30), now - timedelta(minutes=16)))   # grace
    alive = _session_rows(("head1", now - timedelta(hours=2), now - timedelta(minutes=3)))
    # Bounded: two rows per transaction, one transaction per run; the next run takes the rest.
    assert sessions.purge_expired(batch=2, max_batches=1) == 2
    assert len(_left() & set(idle + busy_all_day)) == 2
    # The worker's job (as the cron scheduler enqueues it) takes what is left, and only that.
    queue().enqueue("services.jobs.purge_expired")
    run_worker()
    assert _left() == set(just_ran_out + alive)
    assert sessions.purge_expired() == 0                    # idempotent: nothing twice
    clock.advance(minutes=5)                                # the grace is over for the one that just ran out
    queue().enqueue("services.jobs.purge_expired")
    run_worker()
    assert _left() == set(alive)


def test_two_workers_purging_at_once_delete_each_row_once(app, clock):
    import threading
    from services import sessions
    clock.advance(hours=1)
    now = clock.current
    expired = _session_rows(*[("staff1", now - timedelta(minutes=50), now - timedelta(minutes=30))] * 40)
    alive = _session_rows(("staff2", now - timedelta(minutes=10), now - timedelta(minutes=1)))
    counts, errors = [], []

    def purge():
        try:
            with app.app_context():
                counts.append(sessions.purge_expired(batch=7))
        except Exception as exc:   # noqa: BLE001 - reported below
            errors.append(exc)
    workers = [threading.Thread(target=purge) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == [] and sum(counts) == len(expired)
    assert _left() == set(alive)


def _session_cookies(response) -> list[str]:
    return [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]


@pytest.mark.one_backend
def test_the_session_cookie_ends_with_the_browser(app, clock):
    """On a shared PC, closing the browser must end the sign-in: the cookie never carries an expiry
    (the idle limit is kept on the server, see the tests above)."""
    client = Client(app)
    signed_in = client.login("staff1")
    assert signed_in.status_code == 303
    later = [client.get("/intake/"), client.post("/language", data={"locale": "en"}), client.get("/intake/")]
    cookies = _session_cookies(signed_in) + [c for response in later for c in _session_cookies(response)]
    assert len(cookies) >= 2            # the sign-in's and the language change's at least
    for cookie in cookies:
        assert "expires=" not in cookie.lower() and "max-age" not in cookie.lower(), cookie


@pytest.mark.one_backend
def test_after_an_english_user_switches_user_the_sign_in_page_is_chinese_again(app, client_for):
    client = client_for("staff1")
    client.post("/language", data={"locale": "en"})
    assert "My complaints" in client.get("/intake/").text
    client.post("/switch-user")
    page = client.get("/login").text
    assert "张敏 已退出" in page and 'lang="zh-CN"' in page and "登录" in page
    assert client.login("dept1").status_code == 303
    assert 'lang="zh-CN"' in client.get("/department/").text   # the next person's own language
