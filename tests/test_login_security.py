"""Sign-in limits, the password policy and the forced change of initial or reset passwords."""
import pytest
from flask_babel import force_locale

from extensions import db
from services.demo import DEMO_PASSWORD
from services.passwords import password_problems
from tests.conftest import Client
from tests.helpers import user

LOCKED = "登录失败次数过多"


def attempt(client: Client, username: str, password: str = "wrong-password"):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": client.csrf()})


@pytest.mark.one_backend
def test_five_failures_lock_the_account_name_even_for_the_right_password(app):
    client = Client(app)
    for _ in range(5):
        assert attempt(client, "staff1").status_code == 422
    locked = attempt(client, "staff1", DEMO_PASSWORD)
    assert locked.status_code == 429 and LOCKED in locked.text
    assert Client(app).login("staff2").status_code == 303      # other accounts are not affected


@pytest.mark.one_backend
def test_the_lockout_does_not_reveal_whether_the_account_exists(app):
    client = Client(app)
    answers = {}
    for name in ("staff1", "nobody-here"):
        statuses = [attempt(client, name).status_code for _ in range(6)]
        answers[name] = statuses, LOCKED in attempt(client, name).text
    assert answers["staff1"] == answers["nobody-here"] == ([422] * 5 + [429], True)


@pytest.mark.one_backend
def test_successful_sign_ins_do_not_count(app):
    client = Client(app)
    for _ in range(8):
        assert client.login("staff1").status_code == 303
        client.post("/logout")


@pytest.mark.one_backend
def test_many_failures_from_one_address_lock_it_for_every_name(app):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "8 per 15 minutes"
    client = Client(app)
    for index in range(8):
        assert attempt(client, f"guess{index}").status_code == 422
    assert attempt(client, "staff1", DEMO_PASSWORD).status_code == 429


@pytest.mark.one_backend
def test_the_limits_are_counted_in_redis(app):
    """Several web processes share the count: it lives in REDIS_URL, not in the process."""
    from redis import Redis
    attempt(Client(app), "staff1")
    keys = Redis.from_url(app.config["REDIS_URL"]).keys("LIMITS:*")
    assert any(b"account:staff1" in key for key in keys)



@pytest.mark.one_backend
def test_while_the_limits_store_fails_signing_in_and_every_page_still_work(app, client_for, monkeypatch):
    """Redis gone (or failing) under the limiter: pages are answered, never a 500; sign-ins are
    then counted in the process's memory."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from extensions import limiter

    def broken(*_args, **_kwargs):
        raise RedisConnectionError("Connection refused")
    monkeypatch.setattr(limiter._storage, "incr", broken)
    monkeypatch.setattr(limiter._storage, "get", broken)
    monkeypatch.setattr(limiter._storage, "get_moving_window", broken, raising=False)
    monkeypatch.setattr(limiter._storage, "check", broken)
    staff = client_for("staff1")
    for _ in range(3):
        assert attempt(Client(app), "staff2").status_code == 422      # wrong password: the form again
        assert staff.get("/intake/").status_code == 200
    assert Client(app).login("head1").status_code == 303

@pytest.mark.parametrize("password, problem", [
    ("Ab1-short", "at least 10"),
    ("alllowercaseletters", "three of"),
    ("ALLCAPS1234567", "three of"),                  # capitals and digits: two kinds only
    ("Staff1-Winter-2026", "username"),
    ("Password123!", "common"),
    ("Qwerty!2026", "common"),
])
@pytest.mark.one_backend
def test_the_password_policy(app, password, problem):
    with app.test_request_context(), force_locale("en"):
        messages = [str(m) for m in password_problems(password, "staff1")]
    assert any(problem in m for m in messages), messages


@pytest.mark.parametrize("password", ["Winter-lake-2026", "Moon 湖边的小屋 2026", "correct horse battery Staple"])
@pytest.mark.one_backend
def test_good_passwords_pass(app, password):
    assert password_problems(password, "staff1") == []


def mark_for_change(username: str) -> None:
    user(username).must_change_password = True
    db.session.commit()


@pytest.mark.one_backend
def test_an_initial_password_must_be_changed_before_anything_else(app, client_for):
    mark_for_change("staff1")
    client = Client(app)
    response = client.login("staff1")
    assert response.status_code == 303 and response.location == "/password"
    for page in ["/intake/", "/intake/new", "/complaints/1", "/"]:
        blocked = client.get(page)
        assert blocked.status_code == 302 and blocked.location == "/password", page
    assert client.get("/password").status_code == 200


@pytest.mark.one_backend
def test_changing_the_password_checks_the_policy_and_frees_the_account(app):
    mark_for_change("staff1")
    client = Client(app)
    client.login("staff1")
    client.token = client.csrf()
    weak = client.post("/password", data={"current_password": DEMO_PASSWORD, "new_password": "staff1staff1",
                                          "confirm_password": "staff1staff1"})
    assert weak.status_code == 422 and "密码中不能包含用户名" in weak.text
    wrong = client.post("/password", data={"current_password": "nope", "new_password": "Winter-lake-2026",
                                           "confirm_password": "Winter-lake-2026"})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    done = client.post("/password", data={"current_password": DEMO_PASSWORD, "new_password": "Winter-lake-2026",
                                          "confirm_password": "Winter-lake-2026"})
    assert done.status_code == 303 and done.location == "/work/"
    assert client.get("/work/").status_code == 200
    db.session.expire_all()
    assert user("staff1").must_change_password is False
    assert Client(app).login("staff1", "Winter-lake-2026").status_code == 303
    assert Client(app).login("staff1", DEMO_PASSWORD).status_code == 422


def test_a_password_change_ends_the_other_sign_ins(app, client_for):
    elsewhere = client_for("staff1")
    here = client_for("staff1")
    here.post("/password", data={"current_password": DEMO_PASSWORD, "new_password": "Winter-lake-2026",
                                 "confirm_password": "Winter-lake-2026"})
    assert here.get("/intake/").status_code == 200
    assert elsewhere.get("/intake/").status_code == 302


@pytest.mark.one_backend
def test_demo_accounts_outside_a_demo_must_choose_a_password(app):
    from services.demo import seed_demo
    from tests.conftest import _wipe
    app.config["DEMO_ACCOUNTS"] = False
    _wipe()
    seed_demo()
    assert user("admin").must_change_password is True
    assert Client(app).login("admin").location == "/password"


@pytest.mark.one_backend
def test_demo_accounts_of_the_readme_are_usable(app):
    assert user("admin").must_change_password is False
    assert Client(app).login("admin").location == "/admin/"


@pytest.mark.one_backend
def test_passwords_are_hashed_with_scrypt_outside_the_tests(app):
    from app import create_app
    from models import User
    production = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": app.config["REDIS_URL"]})
    with production.app_context():
        probe = User(username="probe")
        probe.set_password("Winter-lake-2026")
        assert probe.password_hash.startswith("scrypt:") and probe.check_password("Winter-lake-2026")


@pytest.mark.one_backend
def test_unknown_and_disabled_accounts_cost_the_same_hash_work_as_a_known_one(app, monkeypatch):
    """Timing must not tell real usernames from unknown ones: every sign-in verifies one hash of the
    same method, whether the account exists, is disabled, or the password is wrong."""
    import models.org
    import services.passwords
    from werkzeug.security import check_password_hash
    verified = []

    def counting(pwhash, password):
        verified.append(pwhash.split("$")[0])
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(models.org, "check_password_hash", counting)
    monkeypatch.setattr(services.passwords, "check_password_hash", counting, raising=False)
    user("staff2").active = False
    db.session.commit()
    work = {}
    for name, password in (("staff1", "wrong-password"), ("nobody-here", "wrong-password"),
                           ("staff2", DEMO_PASSWORD)):
        verified.clear()
        assert attempt(Client(app), name, password).status_code == 422
        work[name] = list(verified)
    assert work["staff1"] == work["nobody-here"] == work["staff2"] == [app.config["PASSWORD_HASH_METHOD"]]


def test_the_deployment_settings_from_the_environment(database_urls, redis_url, smtp_server, monkeypatch):
    """docs/security.md: behind TLS SESSION_COOKIE_SECURE=1 keeps the cookie off plain HTTP; behind a
    proxy TRUSTED_PROXIES=1 counts failed sign-ins per client, not per proxy."""
    from tests.conftest import make_app
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = make_app(database_urls["sqlite"], redis_url, smtp_server, LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    with app.app_context():
        assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["TRUSTED_PROXIES"] == 1

        def behind_the_proxy(client_address: str) -> Client:
            client = Client(app)
            client.http.environ_base.update({   # one proxy at 10.0.0.1 terminating TLS for every PC
                "REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": client_address,
                "HTTP_X_FORWARDED_PROTO": "https", "HTTP_REFERER": "https://localhost/login"})
            return client

        guesser = behind_the_proxy("203.0.113.9")
        for index in range(3):
            assert attempt(guesser, f"guess{index}").status_code == 422
        assert attempt(guesser, "staff1", DEMO_PASSWORD).status_code == 429
        colleague = behind_the_proxy("203.0.113.10")      # another PC behind the same proxy
        signed_in = attempt(colleague, "staff1", DEMO_PASSWORD)
        assert signed_in.status_code == 303 and "Secure" in signed_in.headers["Set-Cookie"]
        db.session.remove()
        db.engine.dispose()
