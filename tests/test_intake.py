import os
import re
import threading

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Channel, Complaint, ComplaintState, DeadlineKind
from services.registration import Registration, register_complaint
from tests.conftest import complaint_form
from tests.helpers import category_id, dispatch, register, user


def test_registration_records_the_complaint_with_its_owner_number_and_dispatch_deadline(app, client_for, clock):
    complaint = register(client_for("staff1"))
    assert re.fullmatch(r"TS-20261124-\d{4}", complaint.number)
    assert complaint.state == ComplaintState.REGISTERED
    assert complaint.owner == user("staff1")
    assert complaint.unit.code == "BR01"
    assert complaint.registered_at == clock()
    # 09:55 local is 01:55 UTC; registered 10:00 local; dispatch due 30 minutes later, in working hours.
    assert complaint.received_at.strftime("%H:%M") == "01:55"
    deadline = complaint.open_deadline(DeadlineKind.DISPATCH)
    assert (deadline.due_at - clock()).total_seconds() == 30 * 60
    assert complaint.next_due_at == deadline.due_at


def test_numbers_are_sequential_per_day(client_for, clock):
    client = client_for("staff1")
    first, second = register(client), register(client)
    clock.advance(days=1)
    third = register(client)
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1
    assert third.number == "TS-20261125-0001"


@pytest.mark.one_backend
def test_complaint_page_shows_what_was_registered(client_for):
    client = client_for("staff1")
    complaint = register(client, customer_name="<script>alert(1)</script>")
    page = client.get(f"/complaints/{complaint.id}").text
    assert complaint.number in page
    assert "在柜台排队等候超过一小时" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "张敏" in page  # the first-responsible owner


@pytest.mark.one_backend
def test_bad_input_re_renders_the_form_with_messages_and_keeps_what_was_typed(client_for):
    client = client_for("staff1")
    response = client.post("/intake/new", data=complaint_form(
        customer_contact="call me maybe", received_at="2030-01-01T10:00", content="", category="0"))
    assert response.status_code == 422
    assert "请输入电话号码或电子邮件地址" in response.text
    assert "受理时间不能晚于当前时间" in response.text
    assert "call me maybe" in response.text          # nothing typed is lost
    assert "王建国" in response.text
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0


@pytest.mark.one_backend
def test_garbage_values_are_a_422_never_a_500(client_for):
    client = client_for("staff1")
    for bad in [{"level": "banana"}, {"category": "x"}, {"channel": "pigeon"}, {"received_at": "yesterday"},
                {"customer_name": "x" * 5000}]:
        response = client.post("/intake/new", data=complaint_form(**bad))
        assert response.status_code == 422, bad


def test_double_submission_creates_one_complaint(client_for):
    client = client_for("staff1")
    form = complaint_form(category=str(category_id("fees")))
    first = client.post("/intake/new", data=form)
    again = client.post("/intake/new", data=form)        # double click, or Back and submit again
    assert first.status_code == again.status_code == 303
    assert first.location == again.location
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_the_form_sent_again_with_another_customer_is_a_complaint_of_its_own(client_for):
    """Back after registering shows the form as it was sent (static/js/sent-once.js puts its token
    back); sent again as it is, it is the complaint registered already; filled in for the next
    customer, it is a complaint of its own, not lost."""
    client = client_for("staff1")
    form = complaint_form()
    first = client.post("/intake/new", data=form)
    again = client.post("/intake/new", data=form)
    assert again.location == first.location
    changed = client.post("/intake/new", data={**form, "customer_name": "李芳", "customer_contact": "13900139000"})
    assert changed.status_code == 303 and changed.location != first.location
    assert "已登记" in client.get(changed.location).text
    theirs = int(changed.location.rsplit("/", 1)[1])
    assert db.session.scalar(select(Complaint.customer_name).where(Complaint.id == theirs)) == "李芳"
    # Back once more to the form as sent for 李芳 (its token is still the first one): sent again, hers.
    changed_again = client.post("/intake/new", data={**form, "customer_name": "李芳", "customer_contact": "13900139000"})
    assert changed_again.location == changed.location
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 2


def test_simultaneous_double_submission_creates_one_complaint(app, client_for):
    clients = [client_for("staff1"), client_for("staff1")]
    form = complaint_form(category=str(category_id("fees")))
    results = []
    barrier = threading.Barrier(2)

    def submit(client):
        barrier.wait()
        results.append(client.post("/intake/new", data=form))
    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [303, 303]
    assert results[0].location == results[1].location
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1
    # The twin took no number of the day: the next complaint has the one after.
    assert register(clients[0]).number == "TS-20261124-0002"


@pytest.mark.one_backend
def test_live_validation_returns_the_fields_message(client_for):
    client = client_for("staff1")
    bad = client.post("/intake/new/validate/customer_contact", data=complaint_form(customer_contact="??"),
                      headers={"HX-Request": "true"})
    assert bad.status_code == 200
    assert 'id="customer_contact-error"' in bad.text and "请输入电话号码或电子邮件地址" in bad.text
    good = client.post("/intake/new/validate/customer_contact", data=complaint_form(customer_contact="a@b.cn"))
    assert "请输入" not in good.text
    assert client.post("/intake/new/validate/nope", data={}).status_code == 404


def test_registered_times_are_shown_in_the_business_time_zone(client_for):
    client = client_for("staff1")
    complaint = register(client)
    page = client.get(f"/complaints/{complaint.id}").text
    assert "2026-11-24 09:55" in page and "2026-11-24 10:00" in page


@pytest.mark.one_backend
def test_the_administrator_cannot_register(client_for):
    # Everyone who receives a complaint registers it (tests/test_assignment.py); the administrator receives none.
    client = client_for("admin")
    assert client.get("/intake/new").status_code == 403
    assert client.post("/intake/new", data=complaint_form()).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0


@pytest.mark.one_backend
@pytest.mark.parametrize("username, channel", [("staff1", "counter"), ("head1", "counter"), ("center1", "hotline"),
                                               ("dept1", "phone"), ("leader1", "phone")])
def test_the_form_starts_with_the_channel_the_user_usually_hears_from(client_for, username, channel):
    form = client_for(username).get("/intake/new").text
    assert re.search(rf'<option selected value="{channel}">|<option value="{channel}" selected>', form), channel


@pytest.mark.one_backend
def test_the_service_center_registers_too(client_for):
    complaint = register(client_for("center1"), channel="hotline")
    assert complaint.unit.code == "CSC"


def test_my_complaints_lists_only_mine_paginated(app, client_for):
    staff, lobby = client_for("staff1"), client_for("lobby1")
    for _ in range(23):
        register(staff)
    mine_by_lobby = register(lobby)
    first = staff.get("/intake/").text
    assert first.count('href="/complaints/') == 20 and mine_by_lobby.number not in first
    assert "第 1 页，共 2 页" in first
    second = staff.get("/intake/?page=2", headers={"HX-Request": "true"})
    assert second.text.count('href="/complaints/') == 3 and "第 2 页，共 2 页" in second.text
    assert "<html" not in second.text   # the HTMX request gets only the table


def test_the_overview_counts_the_open_complaints_by_state_and_the_overdue(client_for, clock):
    staff, center = client_for("staff1"), client_for("center1")
    complaints = [register(staff) for _ in range(3)]
    dispatch(staff, complaints[0])

    def counts() -> dict:
        page = center.get("/center/").text
        return {key: int(re.search(rf'data-testid="count-{key}"><span class="count">(\d+)<', page).group(1))
                for key in ("registered", "dispatched", "answered", "overdue")}

    def late() -> int:
        db.session.expire_all()
        return sum(db.session.get(Complaint, c.id).next_due_at < clock() for c in complaints)
    assert counts() == {"registered": 2, "dispatched": 1, "answered": 0, "overdue": late()}
    clock.advance(days=5)
    assert late() == 3 and counts()["overdue"] == 3


def test_the_overview_pages_in_its_order_with_the_total(client_for):
    """The overview reads its page from the deadline order's index and counts apart from it
    (blueprints.listing.ComplaintPage): the same pages, order and total as the other lists."""
    staff, center = client_for("staff1"), client_for("center1")
    numbers = [register(staff).number for _ in range(23)]
    first, second = center.get("/center/").text, center.get("/center/?page=2").text
    assert "第 1 页，共 2 页" in first and "第 2 页，共 2 页" in second
    listed = [n for page in (first, second) for n in re.findall(r'href="/complaints/\d+">([^<]+)</a>', page)]
    assert listed == numbers   # the nearest deadline first: the first registered
    assert "暂无内容。" in center.get("/center/?page=3").text   # past the last page


def test_late_registration_is_flagged(client_for):
    client = client_for("staff1")
    on_time = register(client, received_at="2026-11-24T09:50")
    late = register(client, received_at="2026-11-24T09:30")
    assert "受理后超过 15 分钟才登记" not in client.get(f"/complaints/{on_time.id}").text
    assert "受理后超过 15 分钟才登记" in client.get(f"/complaints/{late.id}").text


def test_a_registration_in_progress_does_not_hold_up_the_next_ones_on_postgresql(app, client_for, clock):
    """The day's counter is bumped and committed at once, so a slow registration (still in its
    transaction) does not make the other counters wait for their numbers."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there registrations take turns by design")
    register_complaint(user("staff1"), os.urandom(16).hex(), Registration(
        customer_name="李雷", customer_contact="13900139000", channel=Channel.COUNTER, received_at=clock(),
        content="网点空调坏了。", demand="尽快修好。", object_text="城东支行", category_id=category_id("waiting"),
        level=3))
    other = client_for("staff2")
    results = []
    form = complaint_form(category=str(category_id("waiting")))
    thread = threading.Thread(target=lambda: results.append(other.post("/intake/new", data=form)))
    thread.start()
    thread.join(timeout=15)
    waited = thread.is_alive()
    db.session.rollback()      # ends the slow registration (and lets a waiting thread finish)
    thread.join()
    assert not waited, "the second registration waited for the first one's transaction"
    assert results[0].status_code == 303
    second = db.session.get(Complaint, int(results[0].location.rsplit("/", 1)[1]))
    assert second.number.startswith("TS-20261124-")


@pytest.mark.one_backend
def test_a_collective_complaint_names_how_many_people_complain_together(client_for):
    staff = client_for("staff1")
    refused = staff.post("/intake/new", data=complaint_form(collective="y", collective_count="3",
                                                             customer_name="代表人王某"))
    assert refused.status_code == 422 and "5 人及以上" in refused.text and "代表人王某" in refused.text
    assert db.session.scalar(select(Complaint)) is None
    complaint = register(staff, collective="y", collective_count="12")
    assert complaint.is_major and complaint.collective_count == 12
    assert "群体性（12 人）" in staff.get(f"/complaints/{complaint.id}").text


@pytest.mark.one_backend
def test_the_form_runs_in_four_sections_and_marks_the_required_fields(client_for):
    page = client_for("staff1").get("/intake/new").text
    assert re.findall(r"<legend>([^<]+)</legend>", page) == ["客户", "投诉内容", "分类", "当场处理"]
    assert "* 必填" in page

    def tag(name: str) -> str:
        return re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', page).group(0)
    for name in ("customer_name", "customer_contact", "received_at", "content", "demand", "object_text"):
        assert re.search(r"\srequired(\s|>|=)", tag(name)), name
    for name in ("category", "channel"):
        assert 'aria-required="true"' in tag(name), name
    for name in ("customer_mobile", "customer_id_number", "customer_account", "customer_ref", "object_unit"):
        assert "required" not in tag(name), name
    # Needed only when ticked: the result told on the spot and the head count, each in its own box
    # (shown by app.css once the box is ticked), required then.
    assert re.search(r'class="when-solved".*?name="on_spot_result"', page, re.DOTALL)
    assert re.search(r'class="when-collective".*?name="collective_count"', page, re.DOTALL)
    assert 'aria-required="true"' in tag("on_spot_result")


@pytest.mark.one_backend
def test_solved_on_the_spot_without_the_result_is_refused_and_the_field_shows_its_message(client_for):
    staff = client_for("staff1")
    refused = staff.post("/intake/new", data=complaint_form(solved_on_spot="y", on_spot_result="  "))
    assert refused.status_code == 422
    box = re.search(r'<div class="when-solved".*?</div>\s*</div>', refused.text, re.DOTALL).group(0)
    assert "has-error" in box and "请填写当场告知客户的处理结果。" in box       # app.css shows a box with a message
    assert "在柜台排队等候超过一小时，无人解释原因。" in refused.text              # nothing typed was lost
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_my_complaints_merges_those_i_own_and_those_i_am_assigned_in_deadline_order_page_by_page(
        app, client_for, clock):
    """One's own complaints and those one is assigned, the nearest deadline first, across pages."""
    from tests.test_assignment import assign_form
    staff2, center = client_for("staff2"), client_for("center1")
    first = register(staff2, object_text="城西支行")
    clock.advance(minutes=10)
    second = register(staff2, object_text="城西支行")
    clock.advance(minutes=10)
    third = register(staff2, object_text="城西支行")
    routed = register(center, channel="phone", object_text="城西支行")   # the center owns it
    dispatch(center, routed, "BR02")
    assign_form(client_for("head2"), routed, "staff2")                    # staff2 answers it
    app.config["PAGE_SIZE"] = 2
    try:
        page_one, page_two = staff2.get("/intake/").text, staff2.get("/intake/?page=2").text
    finally:
        app.config["PAGE_SIZE"] = 20
    numbers = re.compile(r"TS-\d{8}-\d{4}")
    assert numbers.findall(page_one.split("<tbody>")[1]) == [first.number, second.number]
    assert numbers.findall(page_two.split("<tbody>")[1]) == [third.number, routed.number]
    assert "第 1 页，共 2 页" in page_one and "第 2 页，共 2 页" in page_two
    assert routed.number not in client_for("staff1").get("/intake/").text
