"""Who complained before, in a real browser: typing the customer's mobile number on the register
form shows their earlier complaint under the field (HTMX, after a pause), masked, with a count of
the complaints other units handle; a number not yet whole shows nothing."""
import pytest
from playwright.sync_api import expect

from tests.conftest import Client
from tests.e2e.test_slice import sign_in
from tests.helpers import register

pytestmark = pytest.mark.e2e


def test_typing_the_mobile_number_shows_the_customers_earlier_complaints(live_server, page, sqlite_app):
    own = register(_signed_in(sqlite_app, "staff1"), customer_mobile="13912345678", customer_name="钱多多")
    foreign = register(_signed_in(sqlite_app, "staff2"), customer_mobile="13912345678", customer_name="钱多多")

    sign_in(page, live_server, "staff1")
    page.goto(f"{live_server}/intake/new")
    history = page.get_by_test_id("customer-history")
    mobile = page.get_by_label("手机号码")
    with page.expect_response(lambda response: "/intake/history" in response.url):
        mobile.press_sequentially("1391234", delay=30)    # a partial number, asked after the pause ...
    expect(page.locator("#customer-history")).not_to_contain_text("投诉")   # ... finds nothing
    mobile.press_sequentially("5678", delay=30)
    expect(history).to_contain_text("该客户此前投诉过")
    expect(history).to_contain_text(own.number)
    expect(history).to_contain_text("139****5678")
    expect(history).not_to_contain_text(foreign.number)
    expect(page.get_by_test_id("history-others")).to_contain_text("另有 1 件")
    expect(history).not_to_contain_text("13912345678")
    # The fragment sits right under the numbers, in view on an office screen.
    box, field = history.bounding_box(), mobile.bounding_box()
    assert box["y"] > field["y"] and box["width"] > 0
    expect(history.get_by_role("link", name=own.number)).to_be_visible()

    # The link under the list opens the customer's page: every complaint the user may see, masked.
    with page.context.expect_page() as opened:
        history.get_by_role("link", name="该客户的全部投诉").click()
    customer_page = opened.value
    expect(customer_page.get_by_role("heading", name="139****5678")).to_be_visible()
    expect(customer_page.get_by_test_id("customer-complaints")).to_contain_text(own.number)
    expect(customer_page.get_by_test_id("customer-complaints")).not_to_contain_text(foreign.number)
    expect(customer_page.get_by_test_id("customer-hidden")).to_contain_text("另有 1 件")


def _signed_in(app, username):
    client = Client(app)
    client.login(username)
    return client
