"""A property customer answers the half-yearly opinion survey (用户意见调查表) from the text message's
link, on a phone-sized screen, and cannot answer twice."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import OutboxChannel, OutboxMessage, SurveyRecipient
from services.demo import seed_demo
from tests.conftest import Client, _wipe

pytestmark = pytest.mark.e2e


def test_a_customer_answers_the_survey_on_a_phone(live_server, browser, sqlite_app):
    _wipe()
    seed_demo("real-estate")
    center = Client(sqlite_app)
    center.login("crc1")
    made = center.post("/surveys/new", data={"title": "2026年下半年用户意见调查", "period_start": "2026-07-01",
                                             "period_end": "2026-12-31", "customers": "李娜，13900139000"})
    assert made.status_code == 303, made.text
    assert center.post(f"{made.location}/send").status_code == 303
    text = db.session.scalar(select(OutboxMessage.body_text).where(OutboxMessage.channel == OutboxChannel.SMS))
    path = re.search(r"/survey/[A-Za-z0-9_-]+", text).group(0)

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server + path)
    expect(page.get_by_role("heading", name="用户意见调查")).to_be_visible()
    expect(page.get_by_text("尊敬的李娜")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390      # nothing wider than the phone
    page.get_by_role("group", name="物业服务").get_by_label("5 · 很满意").check()
    page.get_by_role("group", name="维修及时").get_by_label("3 · 基本满意").check()
    page.get_by_role("group", name="安全秩序").get_by_label("4 · 满意").check()
    page.get_by_label("您的意见和建议（选填）").fill("夜间巡逻可以再多一些。")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_test_id("survey-done")).to_contain_text("我们已收到您的答复")
    db.session.expire_all()
    answer = db.session.scalar(select(SurveyRecipient))
    assert answer.scores == {"property_service": 5, "repairs": 3, "security": 4}
    assert answer.comment == "夜间巡逻可以再多一些。"

    page.goto(live_server + path)      # the link again: answered already, no form
    expect(page.get_by_test_id("survey-done")).to_contain_text("每个链接只能答复一次")
    expect(page.get_by_test_id("answer-form")).to_have_count(0)
    context.close()
