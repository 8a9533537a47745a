"""After every action on a complaint the user reads what happened, who was told and what comes next;
the complaint page leads with the actions the user is expected to take now."""
import re

from blueprints.complaints.next_step import _HAPPENED
from blueprints.complaints.routes import ACTIONS
from tests.helpers import answer, dispatch, give_result, register, visit


def _flash(page: str) -> str:
    found = re.search(r'<p class="flash success" role="status" data-testid="flash"[^>]*>(.*?)</p>', page, re.S)
    assert found, "no confirmation on the page"
    return found.group(1)


def _leading(page: str) -> list[str]:
    block = page.split('data-testid="leading-actions"', 1)[1].split("</div>\n", 1)[0] \
        if 'data-testid="leading-actions"' in page else ""
    return re.findall(r'id="action-(\w+)"', block)


def test_every_action_has_its_confirmation():
    assert set(_HAPPENED) == set(ACTIONS)


def test_confirmations_in_chinese_and_english(client_for):
    staff, dept, center = client_for("staff1"), client_for("dept1"), client_for("center1")
    complaint = register(staff, customer_contact="wang@example.com")

    response = dispatch(staff, complaint)
    assert response.status_code == 303
    text = _flash(staff.get(response.location).text)
    assert text.startswith("已派单给运营管理部。已通知：") and "下一步：部门答复，由" in text and "（剩 3 天）" in text

    response = answer(dept, complaint)
    assert "答复已提交给首问责任人张敏。" in _flash(dept.get(response.location).text)

    staff.post("/language", data={"locale": "en"})
    response = give_result(staff, complaint)
    text = _flash(staff.get(response.location).text)
    assert text.startswith("Recorded that the customer was told the result. Notified: the customer")
    assert "Next: Return visit, by " in text and " left)." in text

    response = visit(center, complaint, rating="A")
    text = _flash(center.get(response.location).text)
    assert text.startswith("回访已记录，投诉已办结。") and "下一步" not in text


def test_the_page_leads_with_what_waits_on_the_user_and_keeps_the_rest_behind_more_actions(client_for):
    staff, dept, head = client_for("staff1"), client_for("dept1"), client_for("head1")
    complaint = register(staff)
    owner_page = staff.get(f"/complaints/{complaint.id}").text
    assert _leading(owner_page) == ["dispatch"]
    # Behind "more actions": the forms come when the user opens it (htmx asks for them), or with the
    # page the link asks for without JavaScript.
    more = owner_page.split('data-testid="more-actions"', 1)[1]
    assert f'data-hx-get="/complaints/{complaint.id}/actions"' in more and 'id="action-contact"' not in more
    assert f'href="/complaints/{complaint.id}?actions=all#more-actions"' in more
    opened = staff.get(f"/complaints/{complaint.id}/actions").text
    without_script = staff.get(f"/complaints/{complaint.id}?actions=all").text
    assert _leading(without_script) == ["dispatch"]
    for more in (opened, without_script.split('data-testid="more-actions" open', 1)[1]):
        assert 'id="action-contact"' in more and 'id="action-withdraw"' in more and 'id="action-dispatch"' not in more
    assert "等待：</strong> 派单 · 张敏" in owner_page

    dispatch(staff, complaint)
    assert _leading(dept.get(f"/complaints/{complaint.id}").text) == ["answer"]
    head_page = head.get(f"/complaints/{complaint.id}").text            # the branch head sees it, acts on nothing
    assert _leading(head_page) == [] and 'data-testid="nothing-for-me"' in head_page


def test_registering_confirms_the_number_the_owner_and_the_first_clock_and_a_second_send_adds_nothing(client_for):
    from tests.conftest import complaint_form
    from tests.helpers import category_id
    staff = client_for("staff1")
    form = complaint_form(category=str(category_id("waiting")))
    first = staff.post("/intake/new", data=form)
    text = _flash(staff.get(first.location).text)
    number = re.search(r"TS-\d{8}-\d{4}", text).group(0)
    assert text.startswith(f"投诉 {number} 已登记，首问负责人为张敏。") and "下一步：派单，由张敏在" in text

    again = staff.post("/intake/new", data=form)                     # the same form sent twice
    assert again.location == first.location
    assert _flash(staff.get(again.location).text) == f"投诉 {number} 已经登记过（表单提交了两次），未重复登记。"
