"""The manufacturer's 投诉统计表 in a real browser: the order data typed at registration are on the
A4 sheet opened from the case page, and the case is a line of the week's list."""
import pytest
from playwright.sync_api import expect

from extensions import db
from services.demo import seed_demo
from tests.conftest import _wipe
from tests.e2e.test_slice import sign_in

pytestmark = pytest.mark.e2e

ORDER = {"客户代号": "KH-0417", "订货日期": "2026-10-08", "制造单位": "二分厂", "交运日期": "2026-10-20",
         "商品名称": "KFR-35GW 空调", "交货日期": "2026-10-23", "单价": "2350.5", "交货数量": "40",
         "交货金额": "94020", "不良数量": "3", "发票日期": "2026-10-25", "发票号码": "No.33018821"}
SHOWN = dict(ORDER, 单价="2,350.50", 交货金额="94,020.00")


def test_the_order_data_reach_the_printed_sheet_and_the_weeks_list(live_server, page, sqlite_app):
    with sqlite_app.app_context():
        _wipe()
        seed_demo("manufacturer")
        db.session.remove()
    sign_in(page, live_server, "mkt1")
    page.goto(f"{live_server}/intake/new")
    page.get_by_label("客户姓名").fill("宁波佳惠电器")
    page.get_by_label("联系方式").fill("13800138000")
    page.get_by_label("投诉事由").fill("一批空调压缩机运行异响。")
    page.get_by_label("客户诉求").fill("更换压缩机。")
    page.get_by_label("被投诉对象").fill("KFR-35GW 空调")
    page.get_by_label("类别").select_option(label="产品质量")
    page.get_by_label("等级").select_option("2")
    expect(page.get_by_label("不良数量")).to_be_visible()
    for label, value in ORDER.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_test_id("register-form").get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("state")).to_have_text("已登记")
    number = page.get_by_test_id("complaint-number").inner_text()

    with page.context.expect_page() as opened:
        page.get_by_test_id("statistics-sheet-link").click()
    sheet = opened.value
    expect(sheet.get_by_role("heading", name="投诉统计表")).to_be_visible()
    grid = sheet.get_by_test_id("statistics-sheet")
    for label, value in SHOWN.items():
        expect(grid.locator(f'xpath=.//th[normalize-space()="{label}"]/following-sibling::td[1]')).to_have_text(value)
    expect(grid.locator('xpath=.//th[normalize-space()="用户投诉编号"]/following-sibling::td[1]')).to_have_text(number)
    expect(grid.locator('xpath=.//th[normalize-space()="填表人"]/following-sibling::td[1]')).to_have_text("冯雪")
    # The A4 grid fits the screen's width: nothing to scroll sideways.
    assert sheet.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    sheet.close()

    page.goto(f"{live_server}/reports/")
    page.get_by_test_id("statistics-sheet-nav").click()
    row = page.get_by_test_id("week-list").locator("tbody tr", has_text=number)
    expect(row).to_contain_text("KH-0417")
    expect(row).to_contain_text("KFR-35GW 空调")
    with page.expect_download() as download:
        page.get_by_test_id("excel-link").click()
    assert download.value.suggested_filename == "statistics-sheet-2026-W48.xlsx"
