"""The statistics page in a real browser, as the service center sees it: charts drawn, tables beside
them, the period changed through the URL, the monthly report and its printable view."""
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import true

from services import periods
from services import statistics as stats
from services.demo_history import seed_history
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_slice import sign_in

pytestmark = pytest.mark.e2e


def test_center_reads_the_statistics_and_the_monthly_report(live_server, page, sqlite_app):
    seed_history(count=30, days=60)
    quarter = periods.parse_period("2026-Q4")
    expected = stats.summary(quarter, true())
    assert expected.received > 10 and expected.closed > 5

    sign_in(page, live_server, "center1")
    page.get_by_role("link", name="统计分析").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("统计分析")
    page.get_by_role("link", name="本季度").click()
    assert "period=2026-Q4" in page.url
    expect(page.get_by_test_id("received")).to_have_text(str(expected.received))
    for name in ("trend", "unit", "category", "channel", "clocks", "satisfaction"):
        expect(page.get_by_test_id(f"chart-{name}")).to_be_visible()
    expect(page.get_by_test_id("table-clocks")).to_contain_text("部门答复")
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "statistics.png"), full_page=True)

    page.get_by_label("统计期间").fill("2026-11")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026-11-01 – 2026-11-30")

    page.get_by_role("link", name="月报").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("投诉情况月度报告 · 2026-10")
    expect(page.get_by_test_id("excel-link")).to_have_attribute("href", "/reports/monthly.xlsx?period=2026-10")
    page.get_by_test_id("print-link").click()
    expect(page.get_by_text("制表人")).to_be_visible()
    expect(page.get_by_role("heading", name="投诉情况月度报告")).to_be_visible()
