"""The organisation's own fields in a real browser: they appear when the category is chosen (HTMX)."""
import pytest
from playwright.sync_api import expect

from extensions import db
from services import custom_fields
from tests.e2e.test_slice import sign_in
from tests.helpers import category_id

pytestmark = pytest.mark.e2e


def test_the_fields_of_a_category_appear_when_it_is_chosen(live_server, page, sqlite_app):
    with sqlite_app.app_context():
        custom_fields.define("delivery_date", "交货日期", "Delivery date", "date", required=True,
                             categories=[category_id("product_quality")])
        db.session.commit()
    sign_in(page, live_server, "staff1")
    page.goto(f"{live_server}/intake/new")
    expect(page.get_by_label("交货日期")).to_have_count(0)
    page.locator("#category").select_option(label="产品质量")
    expect(page.get_by_label("交货日期")).to_be_visible()
    page.locator("#category").select_option(label="收费问题")
    expect(page.get_by_label("交货日期")).to_have_count(0)


def test_what_is_typed_while_the_fields_come_is_kept(live_server, page, sqlite_app):
    """A quick user types into a field of every category while the chosen category's fields are on
    their way: the new fields, rendered from the request sent before the typing, keep what was typed."""
    with sqlite_app.app_context():
        custom_fields.define("ticket", "工单号", "Ticket", "text")   # every category's
        custom_fields.define("delivery_date", "交货日期", "Delivery date", "date",
                             categories=[category_id("product_quality")])
        db.session.commit()
    sign_in(page, live_server, "staff1")
    page.goto(f"{live_server}/intake/new")
    held = []
    page.route("**/intake/new/fields*", lambda route: held.append(route))   # answered once the typing is done
    page.locator("#category").select_option(label="产品质量")
    while not held:
        page.wait_for_timeout(20)
    page.get_by_label("工单号").fill("GD-2026-0042")
    with page.expect_response(lambda response: "/intake/new/fields" in response.url):
        held[0].continue_()
    expect(page.get_by_label("交货日期")).to_be_visible()   # the category's fields came in ...
    expect(page.get_by_label("工单号")).to_have_value("GD-2026-0042")   # ... and the typing stayed
