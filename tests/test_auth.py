import pytest

from tests.conftest import Client

pytestmark = pytest.mark.one_backend


def test_login_page_is_in_chinese_by_default(app):
    page = Client(app).get("/login")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text
    assert "登录" in page.text


def test_pages_require_login(app):
    for url in ["/", "/intake/", "/intake/new", "/branch/", "/department/", "/center/", "/admin/",
                "/complaints/1"]:
        response = Client(app).get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_wrong_password_says_so_without_revealing_the_account(app):
    client = Client(app)
    known = client.post("/login", data={"username": "staff1", "password": "nope", "csrf_token": client.csrf()})
    unknown = client.post("/login", data={"username": "ghost", "password": "nope", "csrf_token": client.csrf()})
    assert known.status_code == unknown.status_code == 422
    assert "用户名或密码错误" in known.text and "用户名或密码错误" in unknown.text


def test_login_without_csrf_token_is_refused(app):
    response = Client(app).post("/login", data={"username": "staff1", "password": "Demo-2026"})
    assert response.status_code == 400


@pytest.mark.parametrize("username, landing", [
    ("staff1", "/work/"), ("lobby1", "/work/"), ("head1", "/work/"), ("dept1", "/work/"),
    ("depthead1", "/work/"), ("center1", "/work/"), ("leader1", "/work/"), ("admin", "/admin/"),
])
def test_each_role_lands_on_its_own_page(app, username, landing):
    client = Client(app)
    response = client.login(username)
    assert response.status_code == 303 and response.location == landing
    assert client.get(landing).status_code == 200


def test_logout_ends_the_session(client_for):
    client = client_for("staff1")
    assert client.get("/intake/").status_code == 200
    assert client.post("/logout").status_code == 303
    after = client.get("/intake/")
    assert after.status_code == 302 and "/login" in after.location


def test_signed_in_pages_are_not_cached(client_for):
    assert client_for("staff1").get("/intake/").headers["Cache-Control"] == "no-store"


def test_language_switches_to_english_and_sticks_to_the_user(app, client_for):
    client = client_for("staff1")
    client.post("/language", data={"locale": "en"})
    assert "My complaints" in client.get("/intake/").text
    again = Client(app)
    again.login("staff1")
    page = again.get("/intake/").text
    assert "My complaints" in page and 'lang="en"' in page


def test_the_language_switch_offers_the_other_language(client_for):
    client = client_for("staff1")
    page = client.get("/intake/").text
    assert '<button name="locale" value="en" class="link" lang="en">English</button>' in page
    assert 'value="zh_CN"' not in page
    client.post("/language", data={"locale": "en"})
    page = client.get("/intake/").text
    assert '<button name="locale" value="zh_CN" class="link" lang="zh-CN">中文</button>' in page
    assert 'name="locale" value="en"' not in page


def test_disabled_account_cannot_sign_in(app):
    from extensions import db
    from tests.helpers import user
    user("staff2").active = False
    db.session.commit()
    assert Client(app).login("staff2").status_code == 422


def test_pages_carry_the_security_headers(app):
    response = Client(app).get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
