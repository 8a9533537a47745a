"""The administrator's user list at 1366x768: a person's name is called 姓名, the search button keeps
its word on one line."""
import pytest
from playwright.sync_api import expect

from tests.e2e.test_slice import sign_in

pytestmark = pytest.mark.e2e


def test_the_user_lists_say_full_name_and_the_search_button_does_not_wrap(live_server, page):
    sign_in(page, live_server, "admin")
    for url in ("/admin/", "/admin/users"):
        page.goto(f"{live_server}{url}")
        users = page.locator("table").filter(has_text="staff1")
        expect(users.locator("thead")).to_contain_text("姓名")
        expect(users.locator("thead")).not_to_contain_text("名称")
    search = page.get_by_role("button", name="搜索")
    line = search.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    box = search.bounding_box()
    text_height = search.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); "
                                  "return r.getBoundingClientRect().height; }")
    assert text_height < 1.5 * line, (box, text_height, line)
