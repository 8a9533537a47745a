"""Concentrated complaints: many customers hit by one incident, linked, handled and answered together."""
import pytest
from sqlalchemy import func, select

from extensions import db
from models import Complaint, ComplaintState, Incident
from tests.conftest import complaint_form
from tests.helpers import fresh, register, unit_id


def concentrated(client, contact, **changes):
    return register(client, kind="concentrated", customer_contact=contact, **changes)


def test_concentrated_complaints_join_one_incident_and_are_handled_together(client_for, mailbox):
    staff, center, dept = client_for("staff1"), client_for("center1"), client_for("dept1")
    first = concentrated(staff, "13800000001", new_incident="11月24日 ATM 网络中断")
    incident = db.session.scalar(select(Incident))
    second = concentrated(staff, "13800000002", incident=str(incident.id))
    # The service center, which sees every incident, links a complaint the branch may not open.
    elsewhere = concentrated(center, "13800000003", incident=str(incident.id))
    assert {c.incident_id for c in (first, second, elsewhere)} == {incident.id}
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1

    page = staff.get(f"/complaints/incidents/{incident.id}")
    assert page.status_code == 200 and first.number in page.text and elsewhere.number not in page.text
    assert staff.get(f"/complaints/{first.id}").text.count("ATM 网络中断") >= 1

    from tests.helpers import unit_id
    response = staff.post(f"/complaints/incidents/{incident.id}/dispatch", data={"dispatch-unit": unit_id("OPS")})
    assert response.status_code == 303
    assert [fresh(c).state for c in (first, second, elsewhere)] == [
        ComplaintState.DISPATCHED, ComplaintState.DISPATCHED, ComplaintState.REGISTERED]

    answer = {"answer-cause": "网络运营商线路故障", "answer-result": "已恢复", "answer-corrective_action": "切换备用线路",
              "answer-preventive_action": "双线路冗余"}
    assert dept.post(f"/complaints/incidents/{incident.id}/answer", data=answer).status_code == 303
    assert [fresh(c).state for c in (first, second)] == [ComplaintState.ANSWERED] * 2
    assert staff.post(f"/complaints/incidents/{incident.id}/result", data={
        "result-result": "已告知网络故障原因并致歉", "result-channel": "sms"}).status_code == 303
    assert [fresh(c).state for c in (first, second)] == [ComplaintState.AWAITING_VISIT] * 2


def test_a_bulk_answer_that_meets_a_concurrent_change_keeps_what_was_typed(client_for, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError
    from services import incidents
    staff, dept = client_for("staff1"), client_for("dept1")
    first = concentrated(staff, "13800000001", new_incident="11月24日 ATM 网络中断")
    staff.post(f"/complaints/incidents/{first.incident_id}/dispatch", data={"dispatch-unit": unit_id("OPS")})

    def changed_meanwhile(*args):
        raise StaleDataError("another user saved one of them first")
    monkeypatch.setattr(incidents, "answer_incident", changed_meanwhile)
    response = dept.post(f"/complaints/incidents/{first.incident_id}/answer", data={
        "answer-cause": "网络运营商线路故障", "answer-result": "已恢复", "answer-corrective_action": "切换备用线路",
        "answer-preventive_action": "双线路冗余"})
    assert response.status_code == 409
    assert "nothing was saved" in response.text or "未保存" in response.text
    assert "网络运营商线路故障" in response.text and "双线路冗余" in response.text
    assert fresh(first).state == ComplaintState.DISPATCHED


@pytest.mark.one_backend
def test_a_concentrated_complaint_needs_an_incident(client_for):
    response = client_for("staff1").post("/intake/new", data=complaint_form(kind="concentrated"))
    assert response.status_code == 422


def test_an_incident_of_other_units_only_is_hidden(client_for):
    concentrated(client_for("staff1"), "13800000001", new_incident="停电")
    incident = db.session.scalar(select(Incident))
    assert client_for("staff2").get(f"/complaints/incidents/{incident.id}").status_code == 404
    assert client_for("center1").get(f"/complaints/incidents/{incident.id}").status_code == 200


def test_the_registration_form_names_only_incidents_the_user_may_open(client_for):
    concentrated(client_for("staff1"), "13800000001", new_incident="城东支行停电")
    other_branch = client_for("staff2").get("/intake/new").text
    assert "城东支行停电" not in other_branch
    assert 'data-testid="incidents-not-shown"' in other_branch and "另有 1 个" in other_branch
    for username in ("staff1", "center1"):
        page = client_for(username).get("/intake/new").text
        assert "城东支行停电" in page and "incidents-not-shown" not in page


def test_another_branchs_incident_id_posted_on_the_register_form_is_refused(client_for):
    concentrated(client_for("staff1"), "13800000001", new_incident="城东支行停电")
    incident = db.session.scalar(select(Incident))
    other_branch = client_for("staff2")
    response = other_branch.post("/intake/new", data=complaint_form(
        kind="concentrated", customer_contact="13800000002", incident=str(incident.id), content="网点停电无法办理业务。"))
    assert response.status_code == 422
    assert "该集中投诉事件已关闭或不存在。" in response.text and "网点停电无法办理业务。" in response.text
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1
    assert other_branch.get(f"/complaints/incidents/{incident.id}").status_code == 404
    huge = other_branch.post("/intake/new", data=complaint_form(kind="concentrated", incident="9" * 20))
    assert huge.status_code == 422


def test_the_center_lists_incidents_with_their_complaint_counts(client_for):
    staff = client_for("staff1")
    concentrated(staff, "13800000001", new_incident="App 登录故障")
    incident = db.session.scalar(select(Incident))
    concentrated(staff, "13800000002", incident=str(incident.id))
    page = client_for("center1").get("/center/incidents").text
    assert "App 登录故障" in page and "<td>2</td>" in page
    assert staff.get("/center/incidents").status_code == 403


@pytest.mark.one_backend
def test_dispatching_an_incident_to_the_unit_it_is_about_is_refused_with_a_message(client_for):
    from tests.helpers import unit_id
    staff = client_for("staff1")
    first = concentrated(staff, "13800000001", new_incident="运营部系统故障", object_unit=str(unit_id("OPS")))
    incident = db.session.scalar(select(Incident))
    response = staff.post(f"/complaints/incidents/{incident.id}/dispatch", data={"dispatch-unit": unit_id("OPS")})
    assert response.status_code == 422 and "回避" in response.text
    assert fresh(first).state == ComplaintState.REGISTERED
