"""A branch head approves a major complaint's plan from a phone-sized screen."""
import pytest
from playwright.sync_api import expect

from models import PlanState
from tests.conftest import Client
from tests.e2e.test_slice import sign_in
from tests.helpers import fresh, register, version_of

pytestmark = pytest.mark.e2e


def test_the_branch_head_approves_a_plan_on_a_phone(live_server, browser, sqlite_app):
    staff = Client(sqlite_app)
    staff.login("staff1")
    complaint = register(staff, litigation="y")
    staff.act(complaint.id, "plan", {"steps": "1. 调取录像\n2. 当面致歉", "responsible": "李强", "due_date": "2026-11-26",
                                     "version": version_of(staff, complaint.id)})

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "head1")
    page.get_by_role("link", name="待审批方案").click()
    card = page.get_by_test_id("approvals")
    expect(card).to_contain_text(complaint.number)
    expect(card).to_contain_text("已等待 0 小时 0 分钟")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390      # nothing wider than the phone
    card.get_by_role("link", name=complaint.number).click()
    review = page.locator("#action-review")
    expect(review).to_be_in_viewport()                                        # the link lands on the form
    review.get_by_label("同意").check()
    review.get_by_role("button", name="保存审批意见").click()
    expect(page.get_by_test_id("plan-state")).to_have_text("已批准")
    assert fresh(complaint).current_plan.state == PlanState.APPROVED
    context.close()
