"""Issue 17 in a real browser: while the administrator edits a notice, the page counts the text
message it makes (70 characters in one, 67 per part beyond) without a reload."""
import pytest
from playwright.sync_api import expect

from tests.e2e.test_slice import sign_in

pytestmark = pytest.mark.e2e


def test_the_notice_editor_counts_characters_and_messages_as_the_administrator_types(live_server, page,
                                                                                       sqlite_app):
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/notice-templates/")
    card = page.locator("#notice-acceptance-zh_CN")
    subject, body = card.locator("input[name$='-subject']"), card.locator("textarea[name$='-body']")
    count = card.get_by_test_id("sms-length")
    subject.fill("受理")
    body.fill("字" * 66)          # "受理. " and 66 characters: 70, one message
    expect(count).to_have_text("按原文计 70 字，1 条短信")
    body.fill("字" * 67)
    expect(count).to_have_text("按原文计 71 字，2 条短信")
    body.fill("字" * 131)         # 135 characters: three parts of 67
    expect(count).to_have_text("按原文计 135 字，3 条短信")
