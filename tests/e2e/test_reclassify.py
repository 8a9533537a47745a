"""Issue 14 in a real browser: a general complaint reclassified as major after registration needs its
plan approved, and the branch head is told at once."""
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import OutboxMessage
from services.registration import register_complaint
from tests.e2e.test_slice import sign_in, sign_out
from tests.helpers import registration, user

pytestmark = pytest.mark.e2e


def test_a_general_complaint_reclassified_as_major_needs_approval_and_the_head_is_told(live_server, page,
                                                                                         sqlite_app):
    complaint, _created = register_complaint(user("staff1"), os.urandom(16).hex(), registration())
    db.session.commit()
    number, complaint_id = complaint.number, complaint.id
    base = live_server

    sign_in(page, base, "staff1")
    page.goto(f"{base}/complaints/{complaint_id}")
    expect(page.get_by_test_id("severity")).to_have_text("一般")
    expect(page.get_by_test_id("plan-needed")).to_have_count(0)
    page.get_by_test_id("more-actions").get_by_text("更多操作").click()    # not the next step: behind the disclosure
    section = page.locator("#action-reclassify")
    section.get_by_label("已被媒体曝光").check()
    section.get_by_label("调整分类的原因").fill("客户称已向报社反映，记者来电核实。")
    section.get_by_role("button", name="保存分类").click()

    expect(page.get_by_test_id("major")).to_be_visible()
    expect(page.get_by_test_id("plan-needed")).to_be_visible()
    history = page.get_by_test_id("changes")
    expect(history.filter(has_text="已被媒体曝光").first).to_be_visible()
    told = db.session.scalars(select(OutboxMessage.to_addr).where(OutboxMessage.complaint_id == complaint_id,
                                                                  OutboxMessage.subject.contains(number))).all()
    assert "head1@example.com" in told and "leader1@example.com" in told

    plan = page.locator("#action-plan")
    plan.get_by_label("处理步骤").fill("向客户致歉，调取监控核实。")
    plan.get_by_label("责任人").fill("张敏")
    plan.get_by_label("完成期限").fill("2026-11-27")
    plan.get_by_role("button", name="提交方案").click()
    expect(page.get_by_test_id("plan-state")).to_have_text("待审批")
    sign_out(page)

    sign_in(page, base, "head1")
    page.goto(f"{base}/complaints/{complaint_id}")
    expect(page.locator("#action-review")).to_be_visible()
