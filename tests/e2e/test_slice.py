"""The key journey in a real browser: register, dispatch, answer, result, return visit, closed."""
import os

import pytest
from playwright.sync_api import expect

from models import ComplaintState
from services.demo import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.helpers import fresh

pytestmark = pytest.mark.e2e


def sign_in(page, base, username):
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def sign_out(page):
    page.get_by_test_id("logout").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def test_register_dispatch_answer_result_visit_in_the_browser(live_server, page, sqlite_app):
    base = live_server
    sign_in(page, base, "staff1")
    expect(page.get_by_role("heading", name="待我处理")).to_be_visible()

    page.get_by_role("link", name="登记投诉").first.click()
    form = page.get_by_test_id("register-form")
    page.get_by_label("客户姓名").fill("王建国")
    page.get_by_label("联系方式").fill("not a phone")
    page.get_by_label("客户号或账号").click()          # leaving the field validates it live (HTMX)
    expect(page.locator("#customer_contact-error")).to_have_text("请输入电话号码或电子邮件地址。")
    page.get_by_label("联系方式").fill("13800138000")
    page.get_by_label("客户号或账号").click()
    expect(page.locator("#customer_contact-error")).to_have_text("")
    page.get_by_label("投诉事由").fill("在柜台排队等候超过一小时，无人解释原因。")
    page.get_by_label("客户诉求").fill("希望支行道歉并改进排队管理。")
    page.get_by_label("被投诉对象").fill("城东支行营业厅")
    page.get_by_label("类别").select_option(label="等候 / 交付时间")
    page.get_by_label("等级").select_option("2")
    form.get_by_role("button", name="登记").dblclick()     # a double click registers once

    expect(page.get_by_test_id("state")).to_have_text("已登记")
    number = page.get_by_test_id("complaint-number").inner_text()
    assert number.startswith("TS-20261124-")
    expect(page.get_by_label("部门或支行", exact=True)).to_have_value(str(_unit_id("OPS")))   # the rule's suggestion
    page.get_by_role("button", name="派单", exact=True).click()
    expect(page.get_by_test_id("state")).to_have_text("承办单位处理中")
    expect(page.get_by_test_id("handling-unit")).to_contain_text("运营管理部")
    complaint_url = page.url
    sign_out(page)

    sign_in(page, base, "dept1")
    expect(page.get_by_test_id("work-answer")).to_contain_text(number)
    page.get_by_role("link", name="部门待办").click()
    expect(page.get_by_role("heading", name="部门待办")).to_contain_text("运营管理部")
    page.get_by_role("link", name=number).click()
    page.get_by_label("原因", exact=True).fill("高峰期只开了两个窗口。")
    page.get_by_label("处理结果", exact=True).fill("已向客户致歉并说明原因。")
    page.get_by_label("纠正措施").fill("高峰期增开窗口。")
    page.get_by_label("预防措施").fill("按客流排班，每周复核。")
    page.get_by_role("button", name="提交答复").click()
    expect(page.get_by_test_id("state")).to_have_text("已答复")
    sign_out(page)

    sign_in(page, base, "staff1")
    page.goto(complaint_url)
    expect(page.get_by_test_id("answer")).to_contain_text("高峰期只开了两个窗口。")
    expect(page.get_by_test_id("timeline")).to_contain_text("陈晨")
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "complaint-page.png"), full_page=True)
    page.get_by_label("告知客户的处理结果").fill("已电话告知客户：高峰期增开窗口，并致歉。")
    page.get_by_role("button", name="已告知结果").click()
    expect(page.get_by_test_id("state")).to_have_text("待回访")
    sign_out(page)

    sign_in(page, base, "center1")
    page.get_by_role("link", name="回访记录").click()
    page.get_by_role("link", name=number).click()
    page.get_by_label("A · 非常满意").check()
    page.get_by_role("button", name="记录回访").click()
    expect(page.get_by_test_id("state")).to_have_text("已结案")
    expect(page.get_by_test_id("visits")).to_contain_text("A · 非常满意")

    from extensions import db
    from models import Complaint
    from sqlalchemy import func, select
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1
    complaint = db.session.scalar(select(Complaint))
    assert fresh(complaint).state == ComplaintState.CLOSED


def test_back_after_sign_out_shows_nothing_confidential(live_server, page):
    sign_in(page, live_server, "center1")
    page.get_by_role("link", name="总览").click()
    expect(page.get_by_role("heading", name="未结案投诉")).to_be_visible()
    sign_out(page)
    page.go_back()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def _unit_id(code):
    from tests.helpers import unit_id
    return unit_id(code)
