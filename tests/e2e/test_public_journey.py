"""The customer's channel in a real browser: a complaint filed on the public form from a phone,
handled by staff to the result, followed on the tracking page and rated; the e-mails checked at
a real SMTP server."""
import pytest
from playwright.sync_api import expect

from models import ComplaintState, Satisfaction
from services import notify
from tests.e2e.test_slice import sign_in, sign_out
from tests.helpers import fresh

pytestmark = pytest.mark.e2e

EMAIL = "zhao.min@example.net"


def phone_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    # Bad input is answered 422 on purpose (the browser logs that); anything else is a failure.
    page.on("console", lambda message: message.type == "error" and "status of 422" not in message.text
            and errors.append(message.text))
    return context, page, errors


def test_a_customer_files_online_staff_handle_it_and_the_customer_tracks_and_rates_it(
        live_server, browser, page, sqlite_app, mailbox, tmp_path):
    base = live_server
    sqlite_app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    photo = tmp_path / "柜台照片.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64))
    context, phone, errors = phone_page(browser)
    phone.goto(f"{base}/complain")
    phone.get_by_label("您的姓名").fill("赵敏")
    phone.get_by_label("您的电子邮件地址").fill("not an address")
    phone.get_by_role("button", name="提交投诉").click()
    expect(phone.locator("#email-error")).to_contain_text("请输入有效的电子邮件地址")
    expect(phone.get_by_label("您的姓名")).to_have_value("赵敏")               # nothing lost
    phone.get_by_label("您的电子邮件地址").fill(EMAIL)
    phone.get_by_label("投诉类别").select_option(label="等候 / 交付时间")
    phone.get_by_label("涉及的网点（如有）").select_option(label="城东支行")
    phone.get_by_label("涉及的网点、产品或服务").fill("城东支行营业厅")
    phone.get_by_label("投诉事由").fill("周六上午排队一个多小时，只开了一个窗口。")
    phone.get_by_label("您的诉求").fill("希望增开窗口。")
    phone.get_by_label("照片、PDF 文件或录音（可选）").set_input_files(str(photo))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390       # fits the phone
    phone.get_by_role("button", name="提交投诉").click()
    number = phone.get_by_test_id("complaint-number").inner_text()
    code = phone.get_by_test_id("tracking-code").inner_text()
    assert number.startswith("TS-20261124-") and len(code) == 11

    # The service center finds it in its queue and routes it; the department answers; the
    # center tells the customer the result.
    sign_in(page, base, "center1")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("state")).to_have_text("已登记")
    expect(page.get_by_test_id("attachments")).to_contain_text("柜台照片.png")   # the customer's photo
    page.get_by_role("button", name="派单", exact=True).click()
    expect(page.get_by_test_id("state")).to_have_text("承办单位处理中")
    complaint_url = page.url
    sign_out(page)
    sign_in(page, base, "dept1")
    page.get_by_role("link", name=number).click()
    page.get_by_label("原因", exact=True).fill("周六只排了一名柜员。")
    page.get_by_label("处理结果", exact=True).fill("周六增开一个窗口。")
    page.get_by_label("纠正措施").fill("周六排班两名柜员。")
    page.get_by_label("预防措施").fill("按客流排班。")
    page.get_by_role("button", name="提交答复").click()
    expect(page.get_by_test_id("state")).to_have_text("已答复")
    sign_out(page)
    sign_in(page, base, "center1")
    page.goto(complaint_url)
    page.get_by_label("告知客户的处理结果").fill("自本周起周六增开一个窗口，并向您致歉。")
    page.get_by_role("button", name="已告知结果").click()
    expect(page.get_by_test_id("state")).to_have_text("待回访")

    # The customer, on another visit, looks it up with number and code.
    phone.goto(f"{base}/track")
    phone.get_by_label("投诉编号").first.fill(number)
    phone.get_by_label("查询码").fill("WRONG-CODE0")
    phone.get_by_role("button", name="查看我的投诉").click()
    expect(phone.locator("#code-error")).to_contain_text("投诉编号与查询码不匹配")
    phone.get_by_label("查询码").fill(code)
    phone.get_by_role("button", name="查看我的投诉").click()
    expect(phone.get_by_test_id("customer-state")).to_contain_text("我们已告知您处理结果")
    expect(phone.get_by_test_id("customer-result")).to_contain_text("周六增开一个窗口")
    expect(phone.get_by_test_id("commitments")).to_contain_text("告知您处理方案或结果")
    expect(phone.locator("main")).not_to_contain_text("孙悦")                     # no staff names
    expect(phone.locator("main")).not_to_contain_text("周六只排了一名柜员")          # nor the department's notes
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_label("A · 非常满意").check()
    phone.get_by_label("意见（选填）").fill("处理及时。")
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_test_id("customer-state")).to_have_text("已办结。")
    expect(phone.get_by_test_id("customer-satisfaction")).to_have_text("A · 非常满意")
    context.close()
    assert errors == []

    complaint = fresh(_complaint(number))
    assert complaint.state == ComplaintState.CLOSED and complaint.satisfaction == Satisfaction.A
    page.reload()
    expect(page.get_by_test_id("visits")).to_contain_text("客户在查询页面")

    notify.deliver_due()
    mails = mailbox.to(EMAIL)
    assert [m["Subject"] for m in mails] == [f"您的投诉已受理：{number}", f"投诉 {number} 的处理结果",
                                             f"投诉 {number} 已办结"]
    assert code in mails[0].get_body(preferencelist=("plain",)).get_content()


def _complaint(number):
    from sqlalchemy import select

    from extensions import db
    from models import Complaint
    return db.session.scalar(select(Complaint).where(Complaint.number == number))
