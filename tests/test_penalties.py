"""Penalty proposals (处罚意见) where the profile has an assessment unit (the hotline's 综合部): the
center or a department proposes, the 综合部 decides and executes, the case's history and the unit
assessment show it. Off, without a trace, for an organisation that keeps no penalties (the bank)."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models import ComplaintEvent, Penalty, PenaltyState
from services import penalties
from services.demo import seed_demo
from services.errors import Refused
from tests.conftest import Client, _wipe
from tests.helpers import category_id, register, unit_id, user

REASON = "上门抄表员未出示工作证，且态度生硬，与客户发生争执。"
PROPOSED = "通报批评，扣减当月考核分5分"


@pytest.fixture
def hotline(app):
    _wipe()
    seed_demo("hotline")
    return app


def signed_in(app, username: str) -> Client:
    client = Client(app)
    assert client.login(username).status_code == 303
    return client


def hotline_complaint(client):
    return register(client, category=str(category_id("billing")), object_text="计量收费部抄表员",
                    content="抄表员上门未出示工作证，态度生硬。", x_address="人民路12号")


def propose(client, complaint, unit="METER", person=0, reason=REASON, penalty=PROPOSED):
    return client.post(f"/penalties/new/{complaint.id}", data={
        "unit": unit_id(unit) if isinstance(unit, str) else unit, "person": person, "reason": reason,
        "penalty": penalty})


def the_penalty() -> Penalty:
    db.session.expire_all()
    return db.session.scalar(select(Penalty).order_by(Penalty.id.desc()))


def history(complaint) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(e.action, e.detail or "") for e in db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id))
        if e.action.startswith("penalty_")]


def assessment_row(page: str, unit_name: str) -> list[str]:
    table = re.search(r'data-testid="table-assessment">(.*?)</table>', page, re.S).group(1)
    headers = re.findall(r'<th scope="col">(.*?)</th>', table)
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and cells[0] == unit_name:
            return dict(zip(headers, cells))
    raise AssertionError(f"{unit_name} is not in the assessment")


def test_the_center_proposes_and_the_assessment_unit_accepts_and_executes(hotline, clock):
    center, gen = signed_in(hotline, "hotline1"), signed_in(hotline, "gen1")
    complaint = hotline_complaint(center)
    case_page = center.get(f"/complaints/{complaint.id}").text
    assert f"/penalties/new/{complaint.id}" in case_page and "递交处罚意见" in case_page

    assert propose(center, complaint).status_code == 303
    penalty = the_penalty()
    assert (penalty.state, penalty.target_unit.code, penalty.target_user, penalty.proposed_by.username) == \
        (PenaltyState.PROPOSED, "METER", None, "hotline1")

    # The 综合部 finds it in its list, in its navigation and in what waits on it.
    listing = gen.get("/penalties/")
    assert listing.status_code == 200 and complaint.number in listing.text and PROPOSED in listing.text
    work = gen.get("/work/").text
    assert 'data-testid="work-penalties"' in work and "待决定：1" in work
    assert "目前没有等待您处理的事项" not in work    # the penalty waits on them: not "nothing waits"
    assert 'data-testid="penalties-link"' in gen.get("/work/").text
    shown = gen.get(f"/penalties/{penalty.id}").text
    assert REASON in shown and 'data-testid="decide-form"' in shown

    decided = "通报批评，扣减当月考核分3分"
    response = gen.post(f"/penalties/{penalty.id}/decide", data={"decision": "accept", "penalty": decided})
    assert response.status_code == 303
    assert (the_penalty().state, the_penalty().decided_penalty) == (PenaltyState.ACCEPTED, decided)
    assert 'data-testid="execute-form"' in gen.get(f"/penalties/{penalty.id}").text

    clock.advance(days=2)
    response = gen.post(f"/penalties/{penalty.id}/execute", data={
        "executed_on": "2026-11-26", "note": "已在部门例会上通报，考核分已扣减。"})
    assert response.status_code == 303
    done = the_penalty()
    assert (done.state, done.executed_on, done.executed_by.username) == (PenaltyState.EXECUTED, date(2026, 11, 26), "gen1")
    assert complaint.number not in gen.get("/penalties/").text          # nothing waits any more
    assert complaint.number in gen.get("/penalties/?status=done").text

    # Each step on the case's history, with what was proposed, decided and done.
    steps = history(complaint)
    assert [action for action, _ in steps] == ["penalty_proposed", "penalty_accepted", "penalty_executed"]
    assert REASON in steps[0][1] and decided in steps[1][1] and "2026-11-26" in steps[2][1]
    timeline = center.get(f"/complaints/{complaint.id}").text
    for label in ("递交处罚意见", "同意处罚意见", "执行处罚"):
        assert label in timeline
    assert "已在部门例会上通报" in timeline and "已执行" in timeline

    # The unit assessment of November: one penalty decided and executed for 计量收费部, none elsewhere.
    page = signed_in(hotline, "csdhead").get("/reports/assessment?period=2026-11").text
    meter = assessment_row(page, "计量收费部")
    assert (meter["决定处罚数"], meter["执行处罚数"]) == ("1", "1")
    assert (assessment_row(page, "管网运行部")["决定处罚数"], assessment_row(page, "管网运行部")["执行处罚数"]) == ("0", "0")
    assert assessment_row(signed_in(hotline, "vp").get("/reports/assessment?period=2026-10").text,
                          "计量收费部")["决定处罚数"] == "0"
    excel = signed_in(hotline, "vp").get("/reports/assessment.xlsx?period=2026-11")
    sheet = load_workbook(io.BytesIO(excel.data)).worksheets[0]
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows["所属机构"][-2:] == ("决定处罚数", "执行处罚数") and rows["计量收费部"][-2:] == (1, 1)


def test_a_department_proposes_against_a_person_and_the_assessment_unit_rejects_with_a_reason(hotline):
    complaint = hotline_complaint(signed_in(hotline, "hotline1"))
    complaint.handling_unit_id = unit_id("NET")      # the case is with 管网运行部, whose head proposes
    db.session.commit()
    nethead, genhead = signed_in(hotline, "nethead"), signed_in(hotline, "genhead")
    assert propose(nethead, complaint, unit="NET", person=user("net1").id).status_code == 303
    penalty = the_penalty()
    assert (penalty.target_unit.code, penalty.target_user.username) == ("NET", "net1")

    # A rejection needs its reason: the form comes back with the message.
    response = genhead.post(f"/penalties/{penalty.id}/decide", data={"decision": "reject", "penalty": PROPOSED})
    assert response.status_code == 422 and "请填写不予处罚的理由。" in response.text
    assert the_penalty().state == PenaltyState.PROPOSED
    why = "经核实，员工已出示工作证，系客户误解。"
    assert genhead.post(f"/penalties/{penalty.id}/decide", data={"decision": "reject", "note": why}).status_code == 303
    rejected = the_penalty()
    assert (rejected.state, rejected.decision_note, rejected.decided_penalty) == (PenaltyState.REJECTED, why, None)
    assert history(complaint)[-1] == ("penalty_rejected", f"管网运行部 姜山 · {why}")
    assert why in nethead.get(f"/complaints/{complaint.id}").text

    # A rejected proposal is neither decided again nor executed.
    again = genhead.post(f"/penalties/{penalty.id}/decide", data={"decision": "accept", "penalty": PROPOSED})
    assert again.status_code == 409 and "该处罚意见已有决定。" in again.text
    executed = genhead.post(f"/penalties/{penalty.id}/execute", data={"executed_on": "2026-11-24", "note": "x"})
    assert executed.status_code == 409 and "只有已同意的处罚才能执行。" in executed.text
    assert the_penalty().state == PenaltyState.REJECTED


@pytest.mark.one_backend
def test_a_branch_user_cannot_propose(hotline):
    hall = signed_in(hotline, "hall1")
    complaint = hotline_complaint(hall)
    assert "/penalties/new/" not in hall.get(f"/complaints/{complaint.id}").text
    assert hall.get(f"/penalties/new/{complaint.id}").status_code == 403
    assert propose(hall, complaint).status_code == 403
    assert hall.get("/penalties/").status_code == 403
    assert the_penalty() is None


@pytest.mark.one_backend
def test_only_the_assessment_unit_decides_and_executes(hotline):
    complaint = hotline_complaint(signed_in(hotline, "hotline1"))
    assert propose(signed_in(hotline, "hotline1"), complaint).status_code == 303
    penalty = the_penalty()
    for username in ("meter1", "nethead", "hotline1", "vp", "hall1"):
        outsider = signed_in(hotline, username)
        assert outsider.get("/penalties/").status_code == 403, username
        assert outsider.get(f"/penalties/{penalty.id}").status_code == 403, username
        assert outsider.post(f"/penalties/{penalty.id}/decide",
                             data={"decision": "accept", "penalty": PROPOSED}).status_code == 403, username
        assert outsider.post(f"/penalties/{penalty.id}/execute",
                             data={"executed_on": "2026-11-24", "note": "x"}).status_code == 403, username
    assert 'data-testid="penalties-link"' not in signed_in(hotline, "meter1").get("/work/").text
    assert the_penalty().state == PenaltyState.PROPOSED
    with hotline.test_request_context(), pytest.raises(Refused, match="只有考核部门"):
        penalties.decide_penalty(penalty, user("meter1"), True, PROPOSED, None)


@pytest.mark.one_backend
@pytest.mark.parametrize("changes, message, kept", [
    pytest.param({"reason": "  "}, "请填写处罚理由。", PROPOSED, id="empty reason"),
    pytest.param({"unit": 999999}, "请选择处罚意见针对的单位。", REASON, id="unknown unit"),
    pytest.param({"unit": "abc"}, "请选择处罚意见针对的单位。", REASON, id="no number"),
    pytest.param({"unit": "CO"}, "请选择处罚意见针对的单位。", REASON, id="the head office"),
    pytest.param({"person": 999999}, "被处罚人必须是所选单位的人员。", REASON, id="unknown person"),
    pytest.param({"unit": "NET", "person": "meter1"}, "被处罚人必须是所选单位的人员。", REASON,
                 id="a person of another unit"),
    pytest.param({"penalty": ""}, "请填写建议的处罚。", REASON, id="no penalty"),
])
def test_bad_input_comes_back_with_the_message_and_the_text_kept(hotline, changes, message, kept):
    center = signed_in(hotline, "hotline1")
    complaint = hotline_complaint(center)
    if changes.get("person") == "meter1":
        changes = {**changes, "person": user("meter1").id}
    response = propose(center, complaint, **changes)
    assert response.status_code == 422
    assert message in response.text and kept in response.text
    assert the_penalty() is None and history(complaint) == []


@pytest.mark.one_backend
def test_bad_execution_input_is_refused_with_the_text_kept(hotline):
    complaint = hotline_complaint(signed_in(hotline, "hotline1"))
    propose(signed_in(hotline, "hotline1"), complaint)
    gen = signed_in(hotline, "gen1")
    penalty = the_penalty()
    assert gen.post(f"/penalties/{penalty.id}/decide", data={"decision": "accept", "penalty": ""}).status_code == 422
    assert gen.post(f"/penalties/{penalty.id}/decide", data={"decision": "maybe"}).status_code == 422
    assert gen.post(f"/penalties/{penalty.id}/decide", data={"decision": "accept", "penalty": PROPOSED}).status_code == 303
    note = "已扣减考核分"
    for day, message in (("2026-12-05", "执行日期不能晚于今天。"), ("2026-11-20", "执行日期不能早于决定日期。"),
                         ("2026-02-30", "")):
        response = gen.post(f"/penalties/{penalty.id}/execute", data={"executed_on": day, "note": note})
        assert response.status_code == 422 and message in response.text and note in response.text
    assert the_penalty().state == PenaltyState.ACCEPTED


@pytest.mark.one_backend
def test_nothing_of_it_for_the_bank(app, client_for):
    center = client_for("center1")
    complaint = register(center)
    page = center.get(f"/complaints/{complaint.id}").text
    assert "/penalties/" not in page and 'data-testid="penalties"' not in page
    for url in ("/penalties/", f"/penalties/new/{complaint.id}", "/penalties/1"):
        assert center.get(url).status_code == 404
    assert center.post(f"/penalties/new/{complaint.id}", data={"reason": "x"}).status_code == 404
    dept = client_for("dept1")
    assert dept.post("/penalties/1/decide", data={"decision": "accept"}).status_code == 404
    assert "/penalties/" not in dept.get("/work/").text
    assessment = client_for("leader1").get("/reports/assessment?period=2026-11").text
    assert "Penalties decided" not in assessment and "决定处罚数" not in assessment
    assert penalties.penalties_of(complaint) == [] and not penalties.is_proposer(user("center1"))


# Who gets in on the hotline, route by route (tests/test_matrix.py has the bank, where all is 404):
# the case is with 管网运行部, so its people see it and the other departments do not (404).
HOTLINE_ACCOUNTS = ["hotline1", "hall1", "net1", "nethead", "meter1", "gen1", "genhead", "vp", "admin"]
ASSESSORS = {"gen1", "genhead"}
PROPOSERS_WHO_SEE_IT = {"hotline1", "net1", "nethead"}


@pytest.mark.one_backend
def test_who_gets_in_on_the_hotline(hotline):
    complaint = hotline_complaint(signed_in(hotline, "hotline1"))
    complaint.handling_unit_id = unit_id("NET")
    db.session.commit()
    assert propose(signed_in(hotline, "hotline1"), complaint).status_code == 303
    penalty = the_penalty()
    routes = [("GET", "/penalties/", lambda name: 200 if name in ASSESSORS else 403),
              ("GET", f"/penalties/{penalty.id}", lambda name: 200 if name in ASSESSORS else 403),
              ("POST", f"/penalties/{penalty.id}/decide", lambda name: 422 if name in ASSESSORS else 403),
              ("POST", f"/penalties/{penalty.id}/execute", lambda name: 422 if name in ASSESSORS else 403),
              ("GET", f"/penalties/new/{complaint.id}",
               lambda name: 200 if name in PROPOSERS_WHO_SEE_IT else 404 if name in ("meter1", "gen1", "genhead")
               else 403),
              ("POST", f"/penalties/new/{complaint.id}",
               lambda name: 422 if name in PROPOSERS_WHO_SEE_IT else 404 if name in ("meter1", "gen1", "genhead")
               else 403)]
    mismatches = []
    for name in HOTLINE_ACCOUNTS:
        client = signed_in(hotline, name)
        for method, url, want in routes:
            got = (client.get(url) if method == "GET" else client.post(url)).status_code
            if got != want(name):
                mismatches.append(f"{method} {url} as {name}: {got}, expected {want(name)}")
    anonymous = Client(hotline)
    assert anonymous.get("/penalties/").status_code == 302
    assert not mismatches, "\n".join(mismatches)
    assert the_penalty().state == PenaltyState.PROPOSED


def test_random_input_to_the_penalty_forms_never_fails_with_a_server_error(hotline):
    from tests.test_fuzz import field_names, fuzz_post
    center, gen = signed_in(hotline, "hotline1"), signed_in(hotline, "gen1")
    complaint = hotline_complaint(center)
    page = f"/penalties/new/{complaint.id}"
    fuzz_post(center, page, field_names(center, page))
    assert propose(center, complaint).status_code == 303
    penalty = the_penalty()
    fuzz_post(gen, f"/penalties/{penalty.id}/decide", ["decision", "penalty", "note"])
    assert gen.post(f"/penalties/{penalty.id}/decide", data={"decision": "accept", "penalty": PROPOSED}).status_code \
        in (303, 409)
    fuzz_post(gen, f"/penalties/{penalty.id}/execute", ["executed_on", "note"])
