"""Shared office PCs in a real browser: the warning before the idle timeout with "stay signed in",
the timeout itself, and switching user. The server's clock is the frozen one; the page polls it
every second here (every 30 s in production)."""
import pytest
from playwright.sync_api import expect

from tests.e2e.test_slice import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def short_poll(sqlite_app):
    sqlite_app.config.update(SESSION_IDLE_MINUTES=15, SESSION_ABSOLUTE_HOURS=10, SESSION_WARNING_MINUTES=2,
                             SESSION_POLL_SECONDS=1)
    return sqlite_app.clock


def test_the_idle_warning_keeps_the_session_and_the_timeout_ends_it(short_poll, live_server, page):
    clock = short_poll
    sign_in(page, live_server, "staff1")
    expect(page.get_by_role("heading", name="待我处理")).to_be_visible()
    warning = page.get_by_test_id("session-warning")
    expect(warning).to_have_count(0)

    clock.advance(minutes=13, seconds=30)                  # 1½ minutes left: the page warns by itself
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("10:15")
    warning.get_by_role("button", name="保持登录").click()
    expect(warning).to_have_count(0)

    clock.advance(minutes=14)                              # 14 minutes after "stay signed in": still in
    page.reload()
    expect(page.get_by_role("heading", name="待我处理")).to_be_visible()

    clock.advance(minutes=16)                              # nobody there: the open page leaves by itself
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("15 分钟无操作，已自动退出")
    page.go_back()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def test_switch_user_hands_the_pc_to_the_next_person(live_server, page):
    sign_in(page, live_server, "staff1")
    expect(page.get_by_role("heading", name="待我处理")).to_be_visible()
    page.get_by_test_id("switch-user").click()
    expect(page.get_by_role("alert")).to_contain_text("张敏 已退出")
    expect(page.get_by_label("用户名")).to_be_focused()
    sign_in(page, live_server, "dept1")
    expect(page.get_by_role("heading", name="待我处理")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("陈晨")
