"""The gas hotline's demo walked as its people would, in a real browser: the agent registers a suggestion
(建议) and a complaint, the complaint goes to 计量收费部 and is answered there, the center's manager
proposes a penalty (处罚意见) against that department, and the 综合部 accepts it and records its execution;
every step tells its user what happened, and the case's history shows the penalty's steps."""
import pytest
from playwright.sync_api import expect

from extensions import db
from services.demo import seed_demo
from tests.conftest import _wipe
from tests.e2e.test_slice import sign_in, sign_out

pytestmark = pytest.mark.e2e

REASON = "抄表员上门未出示工作证，与客户争执。"
PROPOSED = "通报批评，扣减当月考核分5分"
DECIDED = "通报批评，扣减当月考核分3分"
EXECUTED = "已在部门例会上通报，考核分已扣减。"


def register(page, nature, content, about):
    page.get_by_role("navigation").get_by_role("link", name="登记投诉").click()
    form = page.get_by_test_id("register-form")
    form.get_by_label(nature, exact=True).check()
    page.get_by_label("客户姓名").fill("刘晓梅")
    page.get_by_label("联系方式").fill("13800138000")
    page.get_by_label("投诉事由").fill(content)
    page.get_by_label("客户诉求").fill("请尽快处理并回复。")
    page.get_by_label("被投诉对象").fill(about)
    with page.expect_response(lambda response: "/intake/new/fields" in response.url):
        page.get_by_label("类别").select_option(label="收费与计量")     # the category's own fields come in
    page.get_by_label("用气地址").fill("人民路12号3单元")
    form.get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("state")).to_have_text("已登记")
    return page.get_by_test_id("complaint-number").inner_text()


def test_a_suggestion_a_complaint_and_a_penalty_through_the_hotline(live_server, page, sqlite_app):
    with sqlite_app.app_context():
        _wipe()
        seed_demo("hotline")
        db.session.remove()
    base = live_server

    # The agent registers a suggestion: the case page says it is one.
    sign_in(page, base, "hotline1")
    expect(page.get_by_role("heading", name="待我处理")).to_be_visible()
    register(page, "建议", "建议开通微信线上缴纳燃气费。", "缴费渠道")
    expect(page.get_by_role("heading", level=1)).to_contain_text("建议")
    expect(page.get_by_test_id("nature")).to_have_text("建议")

    # …and a complaint, dispatched to 计量收费部.
    number = register(page, "投诉", "抄表员上门未出示工作证，态度生硬。", "计量收费部抄表员")
    expect(page.get_by_role("heading", level=1)).to_contain_text("投诉")
    expect(page.get_by_test_id("nature")).to_have_text("投诉")
    page.get_by_label("部门或支行", exact=True).select_option(label="计量收费部")
    page.get_by_role("button", name="派单", exact=True).click()
    expect(page.get_by_test_id("state")).to_have_text("承办单位处理中")
    expect(page.get_by_test_id("handling-unit")).to_contain_text("计量收费部")
    case_url = page.url
    sign_out(page)

    # 计量收费部 answers it.
    sign_in(page, base, "meter1")
    expect(page.get_by_test_id("work-answer")).to_contain_text(number)
    page.get_by_test_id("work-answer").get_by_role("link", name=number).click()
    page.get_by_label("原因", exact=True).fill("新入职抄表员未按规定佩戴工作证。")
    page.get_by_label("处理结果", exact=True).fill("已向客户致歉。")
    page.get_by_label("纠正措施").fill("补发工作证，上门前检查。")
    page.get_by_label("预防措施").fill("每月抽查上门规范。")
    page.get_by_role("button", name="提交答复").click()
    expect(page.get_by_test_id("state")).to_have_text("已答复")
    expect(page.get_by_test_id("answer")).to_contain_text("新入职抄表员未按规定佩戴工作证。")
    sign_out(page)

    # The center's manager proposes a penalty against 计量收费部 from the case page.
    sign_in(page, base, "csdhead")
    page.goto(case_url)
    page.get_by_test_id("propose-penalty").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    page.get_by_label("责任单位").select_option(label="计量收费部")
    page.get_by_label("理由").fill(REASON)
    page.get_by_label("建议处罚").fill(PROPOSED)
    page.get_by_role("button", name="递交").click()
    expect(page.get_by_test_id("flash")).to_have_text("处罚意见已递交考核部门。")
    assert page.url == case_url
    proposals = page.get_by_test_id("penalties")
    expect(proposals).to_contain_text("计量收费部")
    expect(proposals).to_contain_text(PROPOSED)
    expect(proposals).to_contain_text("待决定")
    sign_out(page)

    # The 综合部's head finds it waiting on them, accepts it with a lighter penalty and records its execution.
    sign_in(page, base, "genhead")
    expect(page.get_by_test_id("nav-work")).to_have_text("待我处理（1）")
    waiting = page.get_by_test_id("work-penalties")
    expect(waiting).to_contain_text("待决定：1")
    waiting.get_by_role("link").click()
    row = page.get_by_test_id("penalty-row").filter(has_text=number)
    expect(row).to_contain_text(PROPOSED)
    row.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("penalty")).to_contain_text(REASON)
    decide = page.get_by_test_id("decide-form")
    decide.get_by_role("radio", name="同意", exact=True).check()
    decide.get_by_label("决定的处罚").fill(DECIDED)
    decide.get_by_role("button", name="记录决定").click()
    expect(page.get_by_test_id("flash")).to_have_text("决定已记录。")
    expect(page.get_by_test_id("penalty-state")).to_have_text("已同意，待执行")
    execute = page.get_by_test_id("execute-form")
    execute.get_by_label("执行情况").fill(EXECUTED)
    execute.get_by_role("button", name="记录执行情况").click()
    expect(page.get_by_test_id("flash")).to_have_text("执行情况已记录。")
    expect(page.get_by_test_id("penalty-state")).to_have_text("已执行")
    expect(page.get_by_test_id("penalty")).to_contain_text(EXECUTED)
    page.get_by_test_id("penalties-link").click()
    expect(page.get_by_test_id("penalties")).not_to_contain_text(number)     # nothing waits any more
    expect(page.get_by_test_id("nav-work")).to_have_text("待我处理（0）")
    sign_out(page)

    # The case's history shows the penalty's three steps to the center.
    sign_in(page, base, "csdhead")
    page.goto(case_url)
    timeline = page.get_by_test_id("timeline")
    for step in ("递交处罚意见", "同意处罚意见", "执行处罚"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text(DECIDED)
    expect(page.get_by_test_id("penalties")).to_contain_text("已执行")
