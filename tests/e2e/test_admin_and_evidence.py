"""In a real browser: the administrator creates an account that then signs in with its one-time
password; a staff member attaches a photo to a complaint and finds it listed."""
import pytest
from playwright.sync_api import expect

from tests.conftest import Client
from tests.e2e.test_slice import sign_in, sign_out
from tests.helpers import register

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def test_the_administrator_creates_a_user_who_signs_in(live_server, page):
    sign_in(page, live_server, "admin")
    page.get_by_role("link", name="系统管理").first.click()
    page.get_by_role("navigation", name="系统管理").get_by_role("link", name="用户").click()
    page.get_by_label("用户名").fill("staff9")
    page.get_by_label("姓名").fill("冯涛")
    page.get_by_label("电子邮件").fill("staff9@example.com")
    page.get_by_label("角色").select_option(label="首问负责人")
    page.get_by_label("所属机构").select_option(label="BR02 · 城西支行")
    page.get_by_role("button", name="创建用户").click()
    expect(page.get_by_role("heading", name="已创建账号 staff9")).to_be_visible()
    password = page.get_by_test_id("one-time-password").inner_text().strip()
    sign_out(page)

    page.get_by_label("用户名").fill("staff9")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".who")).to_contain_text("冯涛")


def test_staff_attach_a_photo_to_a_complaint(live_server, page, sqlite_app, tmp_path):
    sqlite_app.config["ATTACHMENTS_DIR"] = str(tmp_path)
    staff = Client(sqlite_app)
    staff.login("staff1")
    complaint = register(staff)
    photo = tmp_path / "柜台排队.png"
    photo.write_bytes(PNG)

    sign_in(page, live_server, "staff1")
    page.goto(f"{live_server}/complaints/{complaint.id}")
    evidence = page.locator("#attachments")
    evidence.get_by_label("照片、PDF 或录音").set_input_files(str(photo))
    evidence.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("attachments")).to_contain_text("柜台排队.png")
    expect(page.get_by_test_id("timeline")).to_contain_text("上传了附件")
    with page.expect_download() as download:
        page.get_by_role("link", name="柜台排队.png").click()
    assert download.value.suggested_filename == "柜台排队.png"
