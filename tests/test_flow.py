import pytest
from sqlalchemy import select

from extensions import db
from models import ComplaintEvent, ComplaintState, DeadlineKind
from tests.helpers import (answer, category_id, dispatch, fresh, give_result, register, unit_id, user, version_of,
                           visit)


@pytest.mark.one_backend
def test_dispatch_suggests_the_department_of_the_category_rule(client_for):
    client = client_for("staff1")
    complaint = register(client, category=str(category_id("system_app")))
    page = client.get(f"/complaints/{complaint.id}").text
    assert f'<option selected value="{unit_id("IT")}">' in page


def test_the_whole_slice_register_dispatch_answer_result_visit_close(client_for, clock):
    staff, dept = client_for("staff1"), client_for("dept1")
    complaint = register(staff)
    clock.advance(minutes=10)
    assert dispatch(staff, complaint, "OPS", note="请尽快核实").status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.DISPATCHED
    assert complaint.handling_unit.code == "OPS"
    assert complaint.owner == user("staff1")              # first-responsibility: still the owner
    assert complaint.dispatched_at == clock()
    assert [d.met_at for d in complaint.deadlines if d.kind == DeadlineKind.DISPATCH] == [clock()]
    answer_deadline = complaint.open_deadline(DeadlineKind.ANSWER)
    assert (answer_deadline.due_at - clock()).days == 3

    queue = dept.get("/department/").text
    assert complaint.number in queue
    clock.advance(hours=5)
    assert answer(dept, complaint).status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.ANSWERED
    assert complaint.latest_answer.author == user("dept1")
    assert complaint.number not in dept.get("/department/").text

    page = staff.get(f"/complaints/{complaint.id}").text
    assert "高峰期只开了两个窗口" in page and "按客流排班" in page
    assert give_result(staff, complaint).status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.AWAITING_VISIT
    assert complaint.open_deadline(DeadlineKind.RESOLUTION) is None          # met
    assert complaint.open_deadline(DeadlineKind.RETURN_VISIT) is not None
    clock.advance(days=1)
    assert visit(client_for("center1"), complaint, "A").status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.CLOSED and complaint.closed_at == clock()
    assert complaint.next_due_at is None                                    # every clock stopped

    timeline = [e.action for e in db.session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action != "viewed")
        .order_by(ComplaintEvent.id))]
    assert timeline == ["registered", "dispatched", "answered", "result_given", "visited", "closed"]
    history = staff.get(f"/complaints/{complaint.id}").text
    for who in ["张敏", "陈晨"]:
        assert who in history


def test_every_view_is_recorded_in_the_audit(client_for):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = register(staff)
    head.get(f"/complaints/{complaint.id}")
    views = db.session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "viewed")).all()
    assert user("head1").id in {v.actor_id for v in views}


def test_owner_sends_the_answer_back_and_the_department_answers_again(client_for, clock):
    staff, dept = client_for("staff1"), client_for("dept1")
    complaint = register(staff)
    dispatch(staff, complaint)
    answer(dept, complaint)
    empty = staff.act(complaint.id, "return", {
        "comment": "", "version": version_of(staff, complaint.id)})
    assert empty.status_code == 422 and "请说明退回答复的原因" in empty.text
    clock.advance(hours=1)
    response = staff.act(complaint.id, "return", {
        "comment": "未说明赔偿方案", "version": version_of(staff, complaint.id)})
    assert response.status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.DISPATCHED
    assert complaint.answers[0].return_comment == "未说明赔偿方案"
    assert complaint.open_deadline(DeadlineKind.ANSWER).started_at == clock()
    assert complaint.number in dept.get("/department/").text
    assert answer(dept, complaint, result="已退还手续费50元。").status_code == 303
    assert len(fresh(complaint).answers) == 2


@pytest.mark.one_backend
def test_answer_with_missing_fields_is_refused_with_messages(client_for):
    staff, dept = client_for("staff1"), client_for("dept1")
    complaint = register(staff)
    dispatch(staff, complaint)
    response = answer(dept, complaint, cause="", corrective_action="")
    assert response.status_code == 422
    assert "请填写原因" in response.text and "请填写纠正措施" in response.text
    assert fresh(complaint).state == ComplaintState.DISPATCHED


def test_a_concurrent_change_is_refused_not_overwritten(client_for):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = register(staff)
    seen_by_staff = version_of(staff, complaint.id)
    assert dispatch(head, complaint, "RETAIL").status_code == 303     # the branch head was quicker
    late = staff.act(complaint.id, "dispatch", {
        "unit": unit_id("OPS"), "assignee": 0, "note": "", "version": seen_by_staff})
    assert late.status_code == 409
    assert "其他人已修改了该投诉" in late.text
    assert "个人金融部" in late.text          # the fresh state is shown
    assert fresh(complaint).handling_unit.code == "RETAIL"


def test_dispatch_to_a_person_notifies_only_that_person(client_for, app, mailbox):
    from rq import SimpleWorker
    from services.queue import queue
    staff = client_for("staff1")
    complaint = register(staff)
    response = dispatch(staff, complaint, "OPS", assignee=user("depthead1").id)
    assert response.status_code == 303
    SimpleWorker([queue()], connection=queue().connection).work(burst=True)
    assert [m["To"] for m in mailbox.messages] == ["depthead1@example.com"]


@pytest.mark.one_backend
def test_dispatch_to_a_person_outside_the_department_is_refused(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    response = dispatch(staff, complaint, "OPS", assignee=user("dept3").id)
    assert response.status_code == 422     # the form comes back with a message (tests/test_kept_input.py)
    assert fresh(complaint).state == ComplaintState.REGISTERED


def test_the_department_queue_orders_and_shows_its_own_answer_clock(client_for, clock):
    staff, dept = client_for("staff1"), client_for("dept1")
    sooner = register(staff, level="3")
    dispatch(staff, sooner)                      # answer due in 3 days from 10:00
    clock.advance(hours=1)
    later = register(staff, level="1", received_at="2026-11-24T10:55")
    dispatch(staff, later)                       # answer due from 11:00, but its first response is nearest
    assert later.next_due_at < fresh(sooner).next_due_at
    page = dept.get("/department/").text
    assert page.index(sooner.number) < page.index(later.number)
    assert "部门答复" in page                    # the column of the department's own clock
