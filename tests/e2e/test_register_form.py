"""The register form at the counter, in a real browser at 1366x768: a teller registers and dispatches
a routine complaint with the keyboard alone within 90 seconds, the register button in view all the
while; the fields needed only in some cases appear when they are."""
import os
import re
import unicodedata

import pytest
from playwright.sync_api import expect

from models import ComplaintState
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_slice import sign_in

pytestmark = pytest.mark.e2e

# What the teller's hands and eyes cost, in seconds of the business clock (the test's simulated time):
# a key (Tab, Space, Enter, an arrow) with a glance at the screen, a character typed (a Chinese one
# through a pinyin input method: several keys and a choice), and reading a page that has just opened.
KEY, LATIN, CHINESE, NEW_PAGE = 0.4, 0.3, 1.2, 3.0
BUDGET = 90
VIEWPORT_HEIGHT = 768


class Teller:
    """Presses keys in the browser and moves the app's clock by what each press would take a person."""

    def __init__(self, page, clock):
        self.page, self.clock, self.spent, self.keys = page, clock, 0.0, 0

    def _spend(self, seconds: float) -> None:
        self.spent += seconds
        self.clock.advance(seconds=seconds)

    def press(self, key: str) -> None:
        self._spend(KEY)
        self.keys += 1
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self._spend(sum(CHINESE if unicodedata.east_asian_width(c) == "W" else LATIN for c in text))
        self.page.keyboard.insert_text(text) if not text.isascii() else self.page.keyboard.type(text)

    def reads_new_page(self) -> None:
        self._spend(NEW_PAGE)

    def focused(self) -> dict:
        return self.page.evaluate("""() => { const e = document.activeElement;
            return {name: e.name || '', tag: e.tagName, type: e.type || '', text: (e.innerText || '').trim(),
                    inForm: !!e.closest('[data-testid=register-form]')} }""")


def register_button_in_view(page) -> bool:
    box = page.get_by_test_id("register-form").get_by_role("button", name="登记").bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT_HEIGHT


def test_a_teller_registers_and_dispatches_a_routine_complaint_with_the_keyboard_in_90_seconds(
        live_server, page, sqlite_app):
    sign_in(page, live_server, "staff1")
    page.goto(f"{live_server}/intake/new")
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "register-form.png"))
    teller = Teller(page, sqlite_app.clock)
    started = sqlite_app.clock()
    teller.reads_new_page()
    assert register_button_in_view(page)              # on the first screen, before any scrolling
    height = page.evaluate("document.documentElement.scrollHeight")

    typed = {"customer_name": "王建国", "customer_contact": "13800138000", "content": "柜台排队一小时无人解释。",
             "demand": "道歉并改进排队。", "object_text": "城东支行营业厅"}
    done, skipped = set(), []
    for _ in range(60):
        teller.press("Tab")
        focused = teller.focused()
        name = focused["name"]
        skipped.append(name)
        # The button stays in view wherever the focus has scrolled the form.
        assert register_button_in_view(page), f"the register button is out of view at {name}"
        if name in typed and name not in done:
            teller.type(typed[name])
            done.add(name)
        elif name == "category" and name not in done:
            teller.press("ArrowDown")                   # the first category
            done.add(name)
        elif focused["tag"] == "BUTTON" and focused["type"] == "submit" and focused["inForm"]:
            assert done == set(typed) | {"category"}, done
            teller.press("Enter")
            break
    else:
        pytest.fail(f"the register button was not reached with Tab: {skipped}")
    # Fields for other cases (the result told on the spot, the head count, the incident) were not in the way.
    assert not {"on_spot_result", "collective_count", "incident", "new_incident"} & set(skipped)

    expect(page.get_by_test_id("state")).to_have_text("已登记")
    teller.reads_new_page()
    for _ in range(120):                                # to the dispatch button; the rule's unit is chosen
        teller.press("Tab")
        focused = teller.focused()
        if focused["tag"] == "BUTTON" and focused["text"] == "派单":
            teller.press("Enter")
            break
    else:
        pytest.fail("the dispatch button was not reached with Tab")
    expect(page.get_by_test_id("state")).to_have_text("承办单位处理中")

    from extensions import db
    from models import Complaint
    from sqlalchemy import select
    db.session.expire_all()
    complaint = db.session.scalar(select(Complaint).where(Complaint.customer_name == "王建国"))
    assert complaint.state == ComplaintState.DISPATCHED
    took = (complaint.dispatched_at - started).total_seconds()
    print(f"registered and dispatched in {took:.1f} s of simulated user time, {teller.keys} keys pressed; "
          f"the empty form is {height} px tall")
    assert took == pytest.approx(teller.spent, abs=0.01) and took < BUDGET


def test_fields_for_other_cases_show_when_ticked_and_the_required_ones_are_marked(live_server, page):
    sign_in(page, live_server, "staff1")
    page.goto(f"{live_server}/intake/new")
    form = page.get_by_test_id("register-form")
    expect(page.get_by_test_id("required-legend")).to_have_text("* 必填")
    for label in ("客户姓名", "联系方式", "投诉事由", "客户诉求", "被投诉对象"):
        field = form.get_by_label(label)
        expect(field).to_have_attribute("required", "")
        star = field.evaluate("e => getComputedStyle(e.closest('.field').querySelector('label'), '::after').content")
        assert "*" in star, label
    expect(form.get_by_label("类别")).to_have_attribute("aria-required", "true")
    expect(form.get_by_label("手机号码")).not_to_have_attribute("required", re.compile(".*"))

    result = page.get_by_test_id("on-spot-result")
    expect(result).to_be_hidden()
    form.get_by_label("当场解决").focus()
    page.keyboard.press("Space")
    expect(result).to_be_visible()
    expect(result.get_by_role("textbox")).to_have_attribute("aria-required", "true")
    page.keyboard.press("Space")
    expect(result).to_be_hidden()

    count = page.get_by_test_id("collective-count")
    expect(count).to_be_hidden()
    form.get_by_label("群体性").check()
    expect(count).to_be_visible()

    incident = page.get_by_test_id("incident-fields")
    expect(incident).to_be_hidden()
    form.get_by_label("类型", exact=True).select_option("concentrated")
    expect(incident).to_be_visible()


def test_back_and_send_again_registers_the_complaint_once(live_server, page, sqlite_app):
    """The browser's Back fetches the register form afresh (signed-in pages stay out of its cache)
    and fills in what was typed; sent again, the page says the complaint was registered already.
    Filled in for the next customer, or opened anew, it registers a complaint of its own."""
    from sqlalchemy import func, select

    from extensions import db
    from models import Complaint

    def fill_in_and_send():
        page.get_by_label("客户姓名").fill("王建国")
        page.get_by_label("联系方式").fill("13800138000")
        page.get_by_label("投诉事由").fill("自助银行的存款机吞钞，未能打印凭条。")
        page.get_by_label("客户诉求").fill("尽快核实并退回款项。")
        page.get_by_label("被投诉对象").fill("城东支行自助银行")
        page.get_by_label("类别").select_option(label="等候 / 交付时间")
        page.get_by_test_id("register-form").get_by_role("button", name="登记").click()

    sign_in(page, live_server, "staff1")
    page.goto(f"{live_server}/intake/new")
    fill_in_and_send()
    expect(page.get_by_test_id("state")).to_have_text("已登记")
    first = page.url
    page.go_back()
    expect(page.get_by_label("投诉事由")).to_have_value("自助银行的存款机吞钞，未能打印凭条。")   # filled in again
    page.get_by_test_id("register-form").get_by_role("button", name="登记").click()
    expect(page.locator(".flash")).to_contain_text("已经登记过（表单提交了两次），未重复登记")
    assert page.url == first
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1

    page.go_back()                                       # filled in for the next customer: not lost
    page.get_by_label("客户姓名").fill("李芳")
    page.get_by_label("联系方式").fill("13900139000")
    page.get_by_test_id("register-form").get_by_role("button", name="登记").click()
    expect(page.locator(".flash")).to_contain_text("已登记，首问负责人")
    second = page.url
    assert second != first
    page.go_back()                                       # and that one sent again: hers, once
    page.get_by_test_id("register-form").get_by_role("button", name="登记").click()
    expect(page.locator(".flash")).to_contain_text("已经登记过（表单提交了两次），未重复登记")
    assert page.url == second
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 2

    page.get_by_role("link", name="登记投诉").first.click()       # a new form: a new complaint
    fill_in_and_send()
    expect(page.get_by_test_id("state")).to_have_text("已登记")
    assert page.url not in (first, second)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 3
