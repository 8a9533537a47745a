"""Every role finds its next step on the complaint page without scrolling (1366×768, the branch's office
PC), and after each action the page says what happened, who was told and what comes next."""
import os

import pytest
from playwright.sync_api import expect

from models import ComplaintState
from tests.conftest import Client
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_slice import sign_in, sign_out
from tests.helpers import answer, dispatch, fresh, give_result, register, version_of, visit

pytestmark = pytest.mark.e2e


def _open_as(page, base, username, complaint):
    sign_in(page, base, username)
    page.goto(f"{base}/complaints/{complaint.id}")


def _leading(page, action):
    """The expected action leads the page: its form and its button are on the first screen."""
    form = page.locator(f"#action-{action}")
    expect(page.get_by_test_id("leading-actions").locator(f"#action-{action}")).to_have_count(1)
    expect(form.get_by_role("button")).to_be_in_viewport(ratio=1)
    return form


def _confirmed(page, *phrases):
    status = page.get_by_role("status").filter(has_text=phrases[0])
    for phrase in phrases:
        expect(status).to_contain_text(phrase)
    assert status.bounding_box()["y"] < 768, "the confirmation is on the first screen"
    # Announced: a status region already there when the page loads is not reliably read, the focused one is.
    expect(status).to_be_focused()


def _more(page, action):
    """An action behind "more actions": the disclosure opened, its form."""
    more = page.get_by_test_id("more-actions")
    if more.get_attribute("open") is None:
        more.locator("summary").click()
    return more.locator(f"#action-{action}")


def _plan(client, complaint):
    client.act(complaint.id, "plan", {"steps": "调取录像，当面致歉。", "responsible": "李强", "due_date": "2026-11-30",
                                      "version": version_of(client, complaint.id)})


def _approve(client, complaint):
    client.act(complaint.id, "review", {"decision": "approve", "comment": "",
                                        "version": version_of(client, complaint.id)})


def test_each_role_sees_its_step_first_and_a_confirmation_after_it(live_server, page, sqlite_app):
    base = live_server
    staff, head, dept, center = (Client(sqlite_app) for _ in range(4))
    staff.login("staff1"), head.login("head1"), dept.login("dept1"), center.login("center1")
    complaint = register(staff, litigation="y")                # major: its plan needs the branch head

    _open_as(page, base, "staff1", complaint)
    expect(page.get_by_test_id("waiting")).to_contain_text("剩")
    plan = _leading(page, "plan")
    expect(page.get_by_test_id("more-actions")).not_to_have_attribute("open", "")
    plan.get_by_label("处理步骤").fill("调取录像，当面致歉。")
    plan.get_by_label("责任人").fill("李强")
    plan.get_by_label("完成期限").fill("2026-11-30")
    plan.get_by_role("button").click()
    _confirmed(page, "处理方案已提交。", "已通知：", "下一步：方案审批")
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "next-step-owner.png"))
    sign_out(page)

    _open_as(page, base, "head1", complaint)
    review = _leading(page, "review")
    review.get_by_label("同意").check()
    review.get_by_role("button").click()
    _confirmed(page, "方案已批准。", "下一步：")
    sign_out(page)

    _open_as(page, base, "staff1", complaint)
    _leading(page, "dispatch").get_by_role("button").click()
    _confirmed(page, "已派单给运营管理部", "下一步：部门答复")
    sign_out(page)

    _open_as(page, base, "dept1", complaint)
    form = _leading(page, "answer")
    form.get_by_label("原因", exact=True).fill("高峰期只开了两个窗口。")
    form.get_by_label("处理结果", exact=True).fill("已向客户致歉并说明原因。")
    form.get_by_label("纠正措施").fill("高峰期增开窗口。")
    form.get_by_label("预防措施").fill("按客流排班，每周复核。")
    page.screenshot(path=os.path.join(ARTIFACTS, "next-step-department.png"))
    form.get_by_role("button").click()
    _confirmed(page, "答复已提交给首问责任人", "下一步：")
    sign_out(page)

    _open_as(page, base, "staff1", complaint)
    form = _leading(page, "result")
    form.get_by_label("告知客户的处理结果").fill("已电话告知客户：高峰期增开窗口，并致歉。")
    form.get_by_role("button").click()
    _confirmed(page, "已记录：处理结果已告知客户。", "下一步：回访")
    sign_out(page)

    _open_as(page, base, "center1", complaint)
    form = _leading(page, "visit")
    form.get_by_label("D · 不满意").check()
    form.get_by_role("button").click()
    _confirmed(page, "客户不满意，开始二次处理。", "下一步：")
    sign_out(page)

    # The second handling, through the forms of the test client, up to the second unsatisfied visit.
    _plan(staff, complaint), _approve(head, complaint), dispatch(staff, complaint), answer(dept, complaint)
    give_result(staff, complaint), visit(center, complaint, rating="D")
    assert fresh(complaint).state == ComplaintState.WITH_LEADER

    _open_as(page, base, "leader1", complaint)
    form = _leading(page, "decide")
    form.get_by_label("最终处理决定").fill("维持处理结果，另赠送积分以示歉意。")
    form.get_by_role("checkbox").check()
    form.get_by_role("button").click()
    _confirmed(page, "最终处理决定已记录，投诉已办结。")
    expect(page.get_by_test_id("waiting")).to_have_text("这件投诉已办结。")
    assert fresh(complaint).state == ComplaintState.CLOSED


def test_the_owners_other_actions_confirm_what_they_did(live_server, page, sqlite_app):
    """Reclassify, extend and escalate, one after the other on the owner's page."""
    staff = Client(sqlite_app)
    staff.login("staff1")
    complaint = register(staff)

    _open_as(page, live_server, "staff1", complaint)
    form = _more(page, "reclassify")
    form.get_by_label("等级").select_option(index=0)
    form.get_by_label("调整分类的原因").fill("客户反映的问题比登记时更严重。")
    form.get_by_role("button").click()
    _confirmed(page, "分类已保存。")
    form = _more(page, "extend")
    form.get_by_label("延期原因").fill("需调取多方交易记录。")
    form.get_by_label("已告知客户延期情况及原因").check()
    form.get_by_role("button").click()
    _confirmed(page, "最终处理决定的期限已延长。")
    form = _more(page, "escalate")
    form.get_by_label("上报原因").fill("客户要求大堂经理处理。")
    form.get_by_role("button").click()
    _confirmed(page, "已上报：现由", "处理。")


def test_hand_over_and_assign_confirm_what_they_did(live_server, page, sqlite_app):
    """The branch head hands the first responsibility over; the department head assigns the handler."""
    staff = Client(sqlite_app)
    staff.login("staff1")
    complaint = register(staff)
    dispatch(staff, complaint)

    _open_as(page, live_server, "head1", complaint)
    form = _more(page, "handover")
    form.get_by_label("新的首问负责人").select_option(index=1)
    form.get_by_label("原因（休假、离职等）").fill("张敏休假。")
    form.get_by_role("button").click()
    _confirmed(page, "首问责任已移交给")
    sign_out(page)

    _open_as(page, live_server, "depthead1", complaint)
    form = page.locator("#action-assign")
    form.get_by_label("经办人", exact=True).select_option(index=1)
    form.get_by_role("button").click()
    _confirmed(page, "已分派给")


def test_a_form_with_errors_behind_more_actions_opens_it(live_server, browser, sqlite_app):
    staff = Client(sqlite_app)
    staff.login("staff1")
    complaint = register(staff)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()          # not the fixture's: the refused form is a 422, which the console reports
    _open_as(page, live_server, "staff1", complaint)
    more = page.get_by_test_id("more-actions")
    expect(more.locator("#action-contact")).not_to_be_visible()       # behind the disclosure
    more.locator("summary").click()
    more.locator("#action-contact").get_by_role("button").click()        # empty: refused
    expect(page.get_by_test_id("more-actions")).to_have_attribute("open", "")
    expect(page.locator("#action-contact .error:not(:empty)").first).to_be_visible()
    context.close()
