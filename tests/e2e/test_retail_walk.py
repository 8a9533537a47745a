"""The retail chain's periodic reports in a real browser, as its people walk them: on 2 November the
store manager of 人民路店 finds the store's October report from the menu, its figures generated from
October's complaints, comments and submits it; the operations head sees it came in on time (中山路店's
still to submit), reads it, and the store sees it was read. In January a store's quarterly written
analysis that falls short of 500 characters is refused with what was typed kept."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from extensions import db
from models import Complaint
from services.demo import seed_demo
from tests.conftest import _wipe
from tests.e2e.test_slice import sign_in, sign_out
from tests.helpers import unit_id
from tests.test_periodic_reports import PART_NAMES, at, octobers_complaints

pytestmark = pytest.mark.e2e

COMMENT = "本月商品质量投诉两起，已督促供应商整改。"


def open_reports(page):
    page.get_by_role("navigation").get_by_role("link", name="周期报表").click()
    expect(page.get_by_role("heading", name="周期报表", exact=True)).to_be_visible()


def test_a_store_submits_its_monthly_report_and_operations_reads_it(live_server, page, sqlite_app):
    with sqlite_app.app_context():
        _wipe()
        seed_demo("retail")
        complaints = octobers_complaints(sqlite_app, sqlite_app.clock)
        late_arrival = complaints[3].id               # 中山路店's complaint
        db.session.remove()
    sqlite_app.clock.set(at(2026, 11, 2, 9))

    # The store manager finds the October report, due the 3rd, with the store's figures.
    sign_in(page, live_server, "storemgr1")
    open_reports(page)
    row = page.get_by_test_id("mine").locator("tbody tr", has_text="2026-10")
    expect(row).to_contain_text("月度报表")
    expect(row).to_contain_text("2026-11-03")
    expect(row).to_contain_text("待提交")
    row.get_by_role("link", name="月度报表").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("月度报表 · 人民路店 · 2026-10")
    expect(page.get_by_test_id("report-state")).to_contain_text("截止 2026-11-03")
    expect(page.get_by_test_id("report-state")).to_contain_text("待提交")
    expect(page.locator('[data-figure="received"]')).to_have_text("3")
    expect(page.get_by_test_id("categories")).to_contain_text("商品质量")
    expect(page.get_by_test_id("categories")).not_to_contain_text("价格与收银")   # 中山路店's

    page.get_by_label("简要分析").fill(COMMENT)
    page.get_by_role("button", name="提交报表").click()
    expect(page.get_by_text("已提交。报表数据已按当前固定，由上一级签阅。")).to_be_visible()
    state = page.get_by_test_id("report-state")
    expect(state).to_contain_text("已提交")
    expect(state).to_contain_text("方圆 于")
    expect(state).not_to_contain_text("迟交")
    expect(page.get_by_test_id("parts")).to_have_text(COMMENT)
    expect(page.get_by_test_id("submit-form")).to_have_count(0)

    # Frozen: a complaint moved to the store afterwards does not change the submitted figures.
    with sqlite_app.app_context():
        db.session.execute(update(Complaint).where(Complaint.id == late_arrival).values(unit_id=unit_id("S01")))
        db.session.commit()
        db.session.remove()
    page.reload()
    expect(page.locator('[data-figure="received"]')).to_have_text("3")
    sign_out(page)

    # Operations: 人民路店 on time, 中山路店 still to submit; reads 人民路店's report.
    sign_in(page, live_server, "opshead")
    open_reports(page)
    below = page.get_by_test_id("below")
    store_row = below.locator("tbody tr", has_text="人民路店").filter(has_text="2026-10")
    other_row = below.locator("tbody tr", has_text="中山路店").filter(has_text="2026-10")
    expect(store_row).to_contain_text("已提交")
    expect(store_row).not_to_contain_text("迟交")
    expect(other_row).to_contain_text("待提交")
    page.get_by_test_id("mine").locator("tbody tr", has_text="2026-10").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("月度报表 · 营运部 · 2026-10")
    lower = page.get_by_test_id("lower")
    expect(lower.locator("tr", has_text="人民路店")).to_contain_text("按时")
    expect(lower.locator("tr", has_text="中山路店")).to_contain_text("尚未提交")
    # The report with the units' table below it fits the screen: nothing to scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name="全部周期报表").click()
    store_row.get_by_role("link", name="月度报表").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("月度报表 · 人民路店 · 2026-10")
    expect(page.get_by_test_id("parts")).to_have_text(COMMENT)
    page.get_by_test_id("read-form").get_by_role("button", name="签阅").click()
    expect(page.get_by_text("已签阅。")).to_be_visible()
    expect(page.get_by_test_id("report-state")).to_contain_text("贺新 于")
    expect(page.get_by_test_id("read-form")).to_have_count(0)
    sign_out(page)

    # The store sees its report was read.
    sign_in(page, live_server, "storemgr1")
    open_reports(page)
    row = page.get_by_test_id("mine").locator("tbody tr", has_text="2026-10")
    expect(row.locator("td").nth(5)).not_to_have_text("—")
    row.get_by_role("link", name="月度报表").click()
    expect(page.get_by_test_id("report-state")).to_contain_text("签阅")
    expect(page.get_by_test_id("report-state")).to_contain_text("贺新 于")

    # January: the quarter's written analysis, too short, is refused with the text kept. The refusal is a
    # 422 on purpose, which Chromium logs; any other console error still fails the test.
    sqlite_app.clock.set(at(2027, 1, 6))
    context = page.context.browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    analysis = context.new_page()
    analysis.set_default_timeout(10_000)
    errors = []
    analysis.on("console", lambda message: message.type == "error" and "status of 422" not in message.text
                and errors.append(message.text))
    sign_in(analysis, live_server, "store1")
    open_reports(analysis)
    analysis.get_by_test_id("mine").locator("tbody tr", has_text="2026-Q4").get_by_role(
        "link", name="季度书面分析").click()
    expect(analysis.get_by_role("heading", level=1)).to_have_text("季度书面分析 · 人民路店 · 2026-Q4")
    short = {name: f"第{index}部分：商品质量问题较多，需加强验收。" for index, name in enumerate(PART_NAMES, 1)}
    for name, text in short.items():
        analysis.locator(f'textarea[name="{name}"]').fill(text)
    analysis.get_by_role("button", name="提交报表").click()
    expect(analysis.get_by_test_id("form-error")).to_contain_text("分析共 100 字，至少需要 500 字")
    for name, text in short.items():
        expect(analysis.locator(f'textarea[name="{name}"]')).to_have_value(text)
    expect(analysis.get_by_test_id("report-state")).to_contain_text("待提交")
    context.close()
    assert errors == []
