"""The hotline's 纠正及预防措施记录表: the responsible department submits it, the 分管领导 signs it off or
sends it back with a reason, and the customer is told the result only once it is signed off; its clock
reminds the leader; the print shows the record and the sign-off. The bank keeps no such record."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models import CapaState, ComplaintEvent, ComplaintState, DeadlineKind, OutboxMessage
from services import reminders
from services.demo import seed_demo
from tests.conftest import _wipe
from tests.helpers import (CAPA_RECORD, answer, capa_record_of, category_id, dispatch, fresh, give_result,
                           register)

NOT_SUBMITTED = "责任部门尚未提交"
WAITING = "目前仍待分管领导审核"


def hotline(client_for, answered: bool = True):
    """A hotline complaint dispatched to 计量收费部 (and answered there): the case the record is for."""
    _wipe()
    seed_demo("hotline")
    desk = client_for("hotline1")
    complaint = register(desk, category=str(category_id("billing")), object_text="燃气表走字过快",
                         x_address="幸福路 8 号 3-201")
    assert dispatch(client_for("csdhead"), complaint, "METER").status_code == 303
    if answered:
        assert answer(client_for("meter1"), complaint).status_code == 303
    return desk, fresh(complaint)


def submit(client, complaint, **changes):
    return client.post(f"/reports/capa/new/{complaint.id}", data={**CAPA_RECORD, **changes})




def events(complaint) -> list[tuple[str, str]]:
    return [(e.action, e.detail or "") for e in db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id))]


def section(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}".*?</section>', page, re.S)
    return found.group(0) if found else ""


def refusal_text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


def test_sent_back_fixed_signed_off_then_the_customer_is_told(client_for):
    desk, complaint = hotline(client_for)
    refused = give_result(desk, complaint)
    assert refused.status_code == 422 and NOT_SUBMITTED in refusal_text(refused)
    assert fresh(complaint).state == ComplaintState.ANSWERED

    meter, vp = client_for("meter1"), client_for("vp")
    assert complaint.number in section(meter.get("/work/").text, "work-capa")  # to fill in, on their list
    page = meter.get(f"/complaints/{complaint.id}").text
    assert f"/reports/capa/new/{complaint.id}" in page                      # reachable from the case
    form = meter.get(f"/reports/capa/new/{complaint.id}").text
    assert "高峰期只开了两个窗口。" in form                                  # the answer's cause, to start from
    assert submit(meter, complaint).status_code == 303
    record = capa_record_of(complaint)
    assert record.state == CapaState.SUBMITTED and record.unit.code == "METER"
    waiting = give_result(desk, complaint)
    assert waiting.status_code == 422 and WAITING in refusal_text(waiting)
    assert complaint.number not in section(desk.get("/work/").text, "work-result")   # not a step it can take yet
    assert complaint.number in section(vp.get("/work/").text, "work-signoff")   # waits in the leader's work list
    assert complaint.number not in meter.get("/work/").text

    empty = vp.post(f"/reports/capa/{record.id}/return", data={"back-reason": "  "})
    assert empty.status_code == 422 and "请填写退回原因" in empty.text
    assert vp.post(f"/reports/capa/{record.id}/return",
                   data={"back-reason": "预防措施不具体，请写明抽查比例。"}).status_code == 303
    assert capa_record_of(complaint).state == CapaState.RETURNED
    back = meter.get(f"/complaints/{complaint.id}").text
    assert "预防措施不具体，请写明抽查比例。" in back                          # the reason, shown to the department
    assert complaint.number in section(meter.get("/work/").text, "work-capa")
    assert "已退回责任部门修改" in refusal_text(give_result(desk, complaint))
    assert "预防措施不具体" in meter.get(f"/reports/capa/new/{complaint.id}").text

    assert submit(meter, complaint, preventive="每日抽查 10% 的抄表记录，每月培训一次。").status_code == 303
    assert capa_record_of(complaint).state == CapaState.SUBMITTED
    assert vp.post(f"/reports/capa/{record.id}/signoff", data={"signoff-comment": "同意。"}).status_code == 303
    signed = capa_record_of(complaint)
    assert signed.state == CapaState.SIGNED_OFF and signed.reviewer.username == "vp"
    assert complaint.number not in vp.get("/work/").text
    assert fresh(complaint).open_deadline(DeadlineKind.CAPA_SIGNOFF) is None

    assert complaint.number in section(desk.get("/work/").text, "work-result")       # now the desk's step
    assert give_result(desk, complaint).status_code == 303                  # the case moves on
    assert fresh(complaint).state == ComplaintState.AWAITING_VISIT
    actions = [action for action, _ in events(complaint)]
    assert actions.index("capa_submitted") < actions.index("capa_returned") < actions.index("capa_signed_off") \
        < actions.index("result_given")
    assert ("capa_returned", "预防措施不具体，请写明抽查比例。") in events(complaint)
    timeline = desk.get(f"/complaints/{complaint.id}").text
    assert "退回《纠正及预防措施记录表》" in timeline and "审核通过《纠正及预防措施记录表》" in timeline


def test_the_department_cannot_sign_its_own_record_nor_submit_twice(client_for):
    _, complaint = hotline(client_for)
    meter = client_for("meter1")
    assert submit(meter, complaint).status_code == 303
    record = capa_record_of(complaint)
    assert meter.post(f"/reports/capa/{record.id}/signoff", data={}).status_code == 403
    assert client_for("csdhead").post(f"/reports/capa/{record.id}/signoff", data={}).status_code == 403
    assert submit(meter, complaint).status_code == 403                      # it waits for the leader now
    bad = submit(client_for("meter1"), complaint, due_date="2026-11-01", cause="")
    assert bad.status_code == 403
    assert capa_record_of(complaint).state == CapaState.SUBMITTED


def test_a_bad_record_is_refused_with_the_typed_text_kept(client_for):
    _, complaint = hotline(client_for)
    meter = client_for("meter1")
    bad = submit(meter, complaint, cause="", due_date="2026-11-01", responsible="潘婷婷")
    assert bad.status_code == 422 and "请填写原因分析" in bad.text and "日期不能早于今天" in bad.text
    assert "潘婷婷" in bad.text and capa_record_of(complaint) is None


def test_the_sign_off_clock_reminds_the_leader_and_escalates(client_for, clock):
    _, complaint = hotline(client_for)
    assert submit(client_for("meter1"), complaint).status_code == 303
    deadline = fresh(complaint).open_deadline(DeadlineKind.CAPA_SIGNOFF)
    assert deadline is not None and deadline.due_at > clock()
    reminders.sweep()
    assert not db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == "vp@example.com")).all()
    clock.set(deadline.remind_at)
    clock.advance(minutes=1)
    assert reminders.sweep()["reminded"] >= 1
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == "vp@example.com")).all()
    assert any(action == "reminder_capa_signoff" and "夏禹" in detail for action, detail in events(complaint))
    reminders.sweep()                                                        # once only
    assert [a for a, _ in events(complaint)].count("reminder_capa_signoff") == 1
    clock.set(deadline.due_at)
    clock.advance(minutes=1)
    reminders.sweep()
    assert "overdue_capa_signoff" in [a for a, _ in events(complaint)]
    work = client_for("vp").get("/work/").text
    assert 'data-testid="work-signoff"' in work and 'data-testid="badge-overdue"' in work


def test_the_department_has_3_days_from_dispatch_to_submit_its_record(client_for, clock):
    """The seed: the department fills the record within 3 days of receiving the complaint, non-working
    days included. Its people are reminded, the case shows the clock overdue, its head and then the
    leaders are told; submitting the record meets the clock."""
    _, complaint = hotline(client_for, answered=False)
    deadline = fresh(complaint).open_deadline(DeadlineKind.CAPA_RECORD)
    assert deadline is not None and deadline.due_at == fresh(complaint).dispatched_at + timedelta(days=3)
    clock.set(deadline.remind_at)
    clock.advance(minutes=1)
    reminders.sweep()
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == "meter1@example.com")).all()
    assert any(action == "reminder_capa_record" and "潘婷" in detail for action, detail in events(complaint))
    meter = client_for("meter1")
    assert answer(meter, complaint).status_code == 303
    assert fresh(complaint).open_deadline(DeadlineKind.CAPA_RECORD) is not None   # the answer is not the record

    clock.set(deadline.due_at)
    clock.advance(minutes=1)
    reminders.sweep()
    assert "overdue_capa_record" in [a for a, _ in events(complaint)]
    page = client_for("csdhead").get(f"/complaints/{complaint.id}").text
    row = re.search(r'<tr class="overdue">\s*<td>责任部门提交《纠正及预防措施记录表》</td>.*?</tr>', page, re.S)
    assert row and "超时" in row.group(0) and "潘婷" in row.group(0)
    work = meter.get("/work/").text
    assert complaint.number in section(work, "work-capa") and 'data-testid="badge-overdue"' in work
    clock.set(deadline.escalate_at)
    clock.advance(minutes=1)
    assert reminders.sweep()["escalated"] >= 1
    assert "escalated_capa_record" in [a for a, _ in events(complaint)]

    assert submit(meter, complaint, due_date=f"{clock().date() + timedelta(days=30)}").status_code == 303
    submitted = fresh(complaint)
    record_clock = next(d for d in submitted.deadlines if d.kind == DeadlineKind.CAPA_RECORD)
    assert record_clock.met_at is not None and submitted.open_deadline(DeadlineKind.CAPA_SIGNOFF) is not None


def test_the_print_shows_the_record_and_the_sign_off(client_for):
    _, complaint = hotline(client_for)
    assert submit(client_for("meter1"), complaint).status_code == 303
    record = capa_record_of(complaint)
    vp = client_for("vp")
    views = [a for a, _ in events(complaint)].count("viewed")
    before = vp.get(f"/reports/capa/{record.id}/print")
    assert [a for a, _ in events(complaint)].count("viewed") == views + 1   # the view is in the case history
    assert before.status_code == 200 and "纠正及预防措施记录表" in before.text and "城市燃气服务有限公司" in before.text
    for text in (CAPA_RECORD["cause"], CAPA_RECORD["correction"], CAPA_RECORD["preventive"], "潘婷", "2026-11-30",
                 complaint.content, "计量收费部"):
        assert text in before.text
    assert "待分管领导审核" in before.text and "夏禹" not in before.text
    assert vp.post(f"/reports/capa/{record.id}/signoff", data={"signoff-comment": "同意，按期落实。"}).status_code == 303
    after = vp.get(f"/reports/capa/{record.id}/print").text
    signed_by = re.search(r'data-testid="capa-signed-by">(.*?)</td>', after, re.S).group(1)
    assert "夏禹" in signed_by and "分管领导" in signed_by and "同意，按期落实。" in after
    center = client_for("csdhead")
    assert f"/reports/capa/{record.id}\"" in center.get("/reports/capa?status=signed_off").text
    assert f"/reports/capa/{record.id}\"" not in center.get("/reports/capa?status=submitted").text
    assert 'data-testid="capa-records-link"' in center.get("/reports/actions").text   # from the actions list


def test_another_unit_can_neither_see_nor_sign_the_record(client_for):
    _, complaint = hotline(client_for)
    assert submit(client_for("meter1"), complaint).status_code == 303
    record = capa_record_of(complaint)
    other = client_for("net1")
    for url in (f"/reports/capa/{record.id}", f"/reports/capa/{record.id}/print"):
        assert other.get(url).status_code == 404
    assert other.post(f"/reports/capa/{record.id}/signoff", data={}).status_code == 404
    assert other.get(f"/reports/capa/new/{complaint.id}").status_code == 404
    assert f"/reports/capa/{record.id}" not in other.get("/reports/capa?status=all").text
    assert client_for("install1").post(f"/reports/capa/new/{complaint.id}", data=CAPA_RECORD).status_code == 404
    assert capa_record_of(complaint).state == CapaState.SUBMITTED


def test_the_bank_needs_no_sign_off(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    assert dispatch(staff, complaint, "OPS").status_code == 303
    assert answer(client_for("dept1"), complaint).status_code == 303
    dept = client_for("dept1")
    assert dept.get(f"/reports/capa/new/{complaint.id}").status_code == 404
    assert 'data-testid="capa-section"' not in dept.get(f"/complaints/{complaint.id}").text
    assert client_for("leader1").get("/reports/capa").status_code == 404
    assert 'data-testid="capa-records-link"' not in dept.get("/reports/actions").text
    assert give_result(staff, complaint).status_code == 303
    assert fresh(complaint).state == ComplaintState.AWAITING_VISIT
    assert not [d for d in fresh(complaint).deadlines if d.kind == DeadlineKind.CAPA_RECORD]   # no record clock


def test_absurd_input_to_the_record_and_the_review_is_refused_never_a_server_error(client_for):
    _, complaint = hotline(client_for)
    meter = client_for("meter1")
    for changes in ({"due_date": "9999-12-31"}, {"due_date": "0001-01-01"}, {"due_date": "2026-02-30"},
                    {"cause": "原因" * 2500}, {"responsible": "\x00"}, {"csrf_token": "nope"}):
        response = submit(meter, complaint, **changes)
        assert response.status_code in (400, 422), (changes, response.status_code)
    assert capa_record_of(complaint) is None
    assert submit(meter, complaint).status_code == 303
    record = capa_record_of(complaint)
    vp = client_for("vp")
    for data in ({"back-reason": "理由" * 1500}, {"back-reason": "\x00"}):
        assert vp.post(f"/reports/capa/{record.id}/return", data=data).status_code in (400, 422)
    assert vp.post(f"/reports/capa/{record.id}/signoff", data={"signoff-comment": "意见" * 1500}).status_code == 422
    assert capa_record_of(complaint).state == CapaState.SUBMITTED
    assert vp.get("/reports/capa?status=nope&page=2").status_code == 200
    assert vp.get("/reports/capa?page=99999999999999999999").status_code == 400   # as every paged list
