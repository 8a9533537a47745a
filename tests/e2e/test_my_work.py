"""待我处理 in a real browser at 1366×768: for each role, the case waiting on it is on the first screen
of its home page with the right badges, even with 200 other open cases in the database; and the
navigation's count of plans to approve follows an approval made on the approvals page, without a
page load."""
import os
import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models import ContactChannel, Unit
from services import complaints
from services.registration import register_complaint
from tests.conftest import Client
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_slice import sign_in
from tests.helpers import dispatch, give_result, register, registration, user, version_of, visit

pytestmark = pytest.mark.e2e
SCREEN = 768


def _others(count: int = 200) -> None:
    """Open cases of another branch: waiting for dispatch there, with a department, or for the
    center's return visit."""
    staff2 = user("staff2")
    it = db.session.query(Unit).filter_by(code="IT").one()
    for n in range(count):
        complaint, _ = register_complaint(staff2, f"others-{n}", registration(customer_name=f"客户{n}"))
        if n % 5 in (1, 2):
            complaints.dispatch_complaint(complaint, staff2, it)
        elif n % 5 == 3:
            complaints.give_result(complaint, staff2, "已告知客户处理结果。", ContactChannel.PHONE)
    db.session.commit()


def _cases(app) -> dict:
    """The case waiting on each role, made through the app as its people would."""
    staff, center, head = Client(app), Client(app), Client(app)
    staff.login("staff1"), center.login("center1"), head.login("head1")
    cases = {"staff1": register(staff), "lobby1": register(staff), "center1": register(center)}
    staff.act(cases["lobby1"].id, "escalate", {"reason": "客户要求主管处理。",
                                               "version": version_of(staff, cases["lobby1"].id)})
    cases["dept1"] = cases["depthead1"] = register(staff)
    dispatch(staff, cases["dept1"])
    cases["head1"] = register(staff, litigation="y")
    staff.act(cases["head1"].id, "plan", {"steps": "1. 调取录像；2. 当面致歉。", "responsible": "李强",
                                          "due_date": "2026-11-30", "version": version_of(staff, cases["head1"].id)})
    leader = register(staff)
    for _ in range(2):
        give_result(staff, leader)
        visit(center, leader, rating="D", comment="不满意。")
    cases["leader1"] = leader
    return cases


EXPECTED = {   # username: (group, major, overdue)
    "staff1": ("dispatch", False, True), "lobby1": ("dispatch", False, True), "center1": ("dispatch", False, True),
    "dept1": ("answer", False, False), "depthead1": ("assign", False, False), "head1": ("approve", True, False),
    "leader1": ("decide", False, False),
}


def test_each_role_finds_the_case_waiting_on_it_on_the_first_screen(live_server, page, sqlite_app):
    cases = _cases(sqlite_app)
    sqlite_app.clock.advance(minutes=40)      # the dispatch clocks (30 minutes) of the first ones have run out
    _others()
    for username, (group, major, overdue) in EXPECTED.items():
        sign_in(page, live_server, username)
        expect(page.get_by_role("heading", name="待我处理")).to_be_visible()
        row = page.get_by_test_id(f"work-{group}").get_by_test_id("work-row").filter(has_text=cases[username].number)
        expect(row).to_have_count(1)
        box = row.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN, (username, box)
        expect(row.get_by_test_id("badge-major")).to_have_count(1 if major else 0)
        expect(row.get_by_test_id("badge-overdue")).to_have_count(1 if overdue else 0)
        expect(row.get_by_test_id("time-left")).to_have_text(re.compile(r"^(剩|已超时) \d+ (分钟|小时|天)$"))
        expect(row.get_by_test_id("holder")).not_to_be_empty()
        if username in ("staff1", "head1", "center1"):
            os.makedirs(ARTIFACTS, exist_ok=True)
            page.screenshot(path=os.path.join(ARTIFACTS, f"my-work-{username}.png"))
        page.get_by_test_id("logout").click()
    # The other branch's owner has a full group: 20 shown, the rest counted and linked.
    sign_in(page, live_server, "staff2")
    dispatching = page.get_by_test_id("work-dispatch")
    expect(dispatching.get_by_test_id("work-row")).to_have_count(20)
    expect(dispatching.get_by_role("link", name="另有 60 件")).to_be_visible()


def test_the_plan_count_in_the_navigation_follows_an_inline_approval(live_server, page, sqlite_app):
    staff = Client(sqlite_app)
    staff.login("staff1")
    for _ in range(2):
        complaint = register(staff, media="y")
        staff.act(complaint.id, "plan", {"steps": "1. 调取录像。", "responsible": "李强", "due_date": "2026-11-30",
                                         "version": version_of(staff, complaint.id)})
    sign_in(page, live_server, "head1")
    approvals = page.get_by_test_id("nav-approvals")
    expect(approvals).to_have_text("待审批方案（2）")
    approvals.click()
    page.evaluate("window.stillTheSamePage = true")
    cards = page.get_by_test_id("approval")
    expect(cards).to_have_count(2)
    cards.first.get_by_role("button", name="同意").click()
    expect(page.get_by_test_id("approval-done")).to_contain_text("已批准")
    expect(approvals).to_have_text("待审批方案（1）")
    expect(page.get_by_test_id("nav-work")).to_have_text(re.compile(r"待我处理（\d+）"))
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    # Rejecting needs a reason: the browser asks for it before anything is sent; with it, the plan goes back.
    card = cards.first
    card.get_by_role("button", name="驳回").click()
    assert card.get_by_label("审批意见（驳回时必填）").evaluate("field => !field.validity.valid")
    expect(approvals).to_have_text("待审批方案（1）")
    card.get_by_label("审批意见（驳回时必填）").fill("赔偿金额需要复核。")
    card.get_by_role("button", name="驳回").click()
    expect(page.get_by_test_id("approval-done").last).to_contain_text("已驳回")
    expect(approvals).to_have_text("待审批方案（0）")
    assert page.evaluate("window.stillTheSamePage") is True
