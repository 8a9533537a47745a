"""A complaint about a branch reaches that branch (issue 14): the center registers a phone complaint
about 城西支行 and dispatches it there, the branch head assigns it, the branch's handler answers, the
center tells the customer the result. Each step is seen by the person who takes it."""
import pytest
from playwright.sync_api import expect

from models import ComplaintState
from tests.e2e.test_slice import sign_in, sign_out
from tests.helpers import fresh, unit_id, user

pytestmark = pytest.mark.e2e


def test_the_center_routes_a_complaint_to_the_branch_which_assigns_and_answers_it(live_server, page, sqlite_app):
    base = live_server
    sign_in(page, base, "center1")
    page.get_by_role("link", name="登记投诉").first.click()
    page.get_by_label("客户姓名").fill("钱多多")
    page.get_by_label("联系方式").fill("13900139000")
    page.get_by_label("渠道").select_option(label="电话")
    page.get_by_label("投诉事由").fill("城西支行柜员办理挂失时态度生硬，让客户来回跑了三趟。")
    page.get_by_label("客户诉求").fill("希望支行道歉并一次办结。")
    page.get_by_label("被投诉对象").fill("城西支行柜台")
    page.get_by_label("类别").select_option(label="服务态度")
    page.get_by_test_id("register-form").get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("state")).to_have_text("已登记")
    number = page.get_by_test_id("complaint-number").inner_text()

    dispatch = page.locator("#action-dispatch")
    expect(dispatch.get_by_role("heading")).to_have_text("派单至部门或支行")
    people = dispatch.get_by_label("经办人（可选）")
    expect(people).not_to_contain_text("赵磊")                  # the suggested department's people…
    dispatch.get_by_label("部门或支行", exact=True).select_option(label="城西支行")
    expect(dispatch.get_by_label("经办人（可选）")).to_contain_text("赵磊")   # …then the branch's, swapped in
    dispatch.get_by_role("button", name="派单", exact=True).click()
    expect(page.get_by_test_id("handling-unit")).to_have_text("城西支行")
    expect(page.get_by_test_id("owner")).to_contain_text("孙悦")
    complaint_url = page.url
    sign_out(page)

    sign_in(page, base, "head2")
    expect(page.get_by_test_id("work-assign")).to_contain_text(number)      # 待我处理: the case waits on the head
    page.get_by_role("link", name="网点待办").click()
    expect(page.get_by_role("heading", name="网点待办")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=number)
    expect(row.get_by_test_id("assignee")).to_have_text("未指派")
    row.get_by_role("link", name=number).click()
    assign = page.locator("#action-assign")
    assign.get_by_label("经办人", exact=True).select_option(value=str(user("staff2").id))
    assign.get_by_label("给经办人的说明").fill("请今天回电客户。")
    assign.get_by_role("button", name="指派").click()
    expect(page.get_by_test_id("handling-unit")).to_have_text("城西支行 · 赵磊")
    expect(page.get_by_test_id("timeline")).to_contain_text("指派了经办人")
    expect(page.locator("#action-assign").get_by_role("heading")).to_have_text("改派经办人")
    sign_out(page)

    sign_in(page, base, "staff2")
    expect(page.get_by_test_id("work-answer")).to_contain_text(number)
    page.get_by_role("link", name=number).click()
    answer = page.locator("#action-answer")
    answer.get_by_label("原因", exact=True).fill("柜员未一次性告知所需材料。")
    answer.get_by_label("处理结果", exact=True).fill("已向客户致歉，并预约上门补办。")
    answer.get_by_label("纠正措施").fill("柜员复训挂失流程。")
    answer.get_by_label("预防措施").fill("挂失材料清单张贴于柜台。")
    answer.get_by_role("button", name="提交答复").click()
    expect(page.get_by_test_id("state")).to_have_text("已答复")
    sign_out(page)

    sign_in(page, base, "center1")
    page.goto(complaint_url)
    expect(page.get_by_test_id("answer")).to_contain_text("柜员未一次性告知所需材料。")
    page.get_by_label("告知客户的处理结果").fill("已电话告知客户：支行已致歉并预约上门补办。")
    page.get_by_role("button", name="已告知结果").click()
    expect(page.get_by_test_id("state")).to_have_text("待回访")

    from extensions import db
    from models import Complaint
    from sqlalchemy import select
    db.session.expire_all()
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
    assert fresh(complaint).state == ComplaintState.AWAITING_VISIT
    assert complaint.handling_unit_id == unit_id("BR02") and complaint.owner == user("center1")
    assert complaint.latest_answer.author == user("staff2")
