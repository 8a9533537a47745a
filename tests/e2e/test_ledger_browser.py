"""The ledger in a real browser: a filter changes the table and the address without a reload, Back
returns to the unfiltered ledger, and the filtered ledger downloads as Excel."""
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import Client
from tests.e2e.test_slice import sign_in
from tests.helpers import register

pytestmark = pytest.mark.e2e


def test_filter_see_the_address_change_go_back_and_export(live_server, page, sqlite_app):
    staff = Client(sqlite_app)
    staff.login("staff1")
    by_phone = register(staff, channel="phone", customer_name="李梅", object_text="城东支行收费")
    at_counter = register(staff, channel="counter", customer_name="王建国", object_text="城东支行一号窗口")

    sign_in(page, live_server, "center1")
    page.get_by_role("link", name="台账").click()
    expect(page.get_by_role("heading", name="投诉台账")).to_be_visible()
    results = page.locator("#ledger-results")
    expect(results).to_contain_text(at_counter.number)
    page.evaluate("window.notReloaded = true")        # gone if the page reloads

    page.get_by_label("渠道").select_option(label="电话")
    expect(page).to_have_url(re.compile(r"/ledger/\?channel=phone$"))
    expect(results).not_to_contain_text(at_counter.number)
    expect(results).to_contain_text(by_phone.number)
    expect(page.get_by_test_id("ledger-count")).to_have_text("1 笔投诉")
    assert page.evaluate("window.notReloaded") is True

    page.go_back()                                    # htmx reloads the page of that address
    expect(page).to_have_url(re.compile(r"/ledger/$"))
    expect(results).to_contain_text(at_counter.number)
    expect(page.get_by_label("渠道")).to_have_value("")
    page.wait_for_load_state()

    page.go_forward()
    expect(page).to_have_url(re.compile(r"channel=phone"))
    expect(results).not_to_contain_text(at_counter.number)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and "投诉台账" in download.suggested_filename
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [by_phone.number]


def test_back_and_forward_restore_the_filter_form_with_its_table_one_entry_per_change(live_server, page, sqlite_app):
    staff = Client(sqlite_app)
    staff.login("staff1")
    li = register(staff, channel="phone", customer_name="李梅", object_text="城东支行收费")
    wang = register(staff, channel="counter", customer_name="王建国", object_text="城东支行一号窗口")
    sign_in(page, live_server, "center1")
    page.goto(f"{live_server}/ledger/")
    results = page.locator("#ledger-results")
    expect(results).to_contain_text(wang.number)
    entries = page.evaluate("history.length")

    search = page.get_by_label("搜索")
    search.fill("李梅")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"q=%E6%9D%8E%E6%A2%85"))
    expect(results).not_to_contain_text(wang.number)
    page.wait_for_timeout(800)                          # past the typing delay: nothing more may come
    assert page.evaluate("history.length") == entries + 1

    page.get_by_label("渠道").select_option(label="电话")
    expect(page).to_have_url(re.compile(r"channel=phone"))
    assert page.evaluate("history.length") == entries + 2

    page.go_back()                                      # the search alone: its text is in the form
    expect(page).to_have_url(re.compile(r"/ledger/\?q=%E6%9D%8E%E6%A2%85$"))
    expect(page.get_by_label("搜索")).to_have_value("李梅")
    expect(page.get_by_label("渠道")).to_have_value("")
    expect(results).to_contain_text(li.number)
    expect(results).not_to_contain_text(wang.number)

    page.get_by_label("渠道").select_option(label="柜面/现场")   # a new filter keeps the search
    expect(page).to_have_url(re.compile(r"q=%E6%9D%8E%E6%A2%85.*channel=counter|channel=counter.*q=%E6%9D%8E%E6%A2%85"))

    page.go_back()
    expect(page.get_by_label("渠道")).to_have_value("")
    page.wait_for_load_state()
    page.go_forward()
    expect(page.get_by_label("渠道")).to_have_value("counter")
    expect(page.get_by_label("搜索")).to_have_value("李梅")
