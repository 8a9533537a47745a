"""The full flow beyond the skeleton: validity, on-the-spot, level clocks, contact log, return visit,
second handling, the leader's final decision, major complaints and repeat detection."""
from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from extensions import db
from models import Complaint, ComplaintState, DeadlineKind, Satisfaction
from services.clock import to_local
from services.queue import queue
from tests.conftest import complaint_form
from tests.helpers import (answer, dispatch, fresh, give_result, register, user, version_of, visit)


def run_worker():
    SimpleWorker([queue()], connection=queue().connection).work(burst=True)


def deadline(complaint, kind):
    return next(d for d in fresh(complaint).deadlines if d.kind == kind)


def test_level_sets_first_response_and_resolution_clocks_and_the_ceiling_is_15_days(client_for):
    client = client_for("staff1")
    serious, minor = register(client, level="1"), register(client, level="3")
    assert deadline(serious, DeadlineKind.FIRST_RESPONSE).due_at - serious.received_at == timedelta(hours=1)
    assert deadline(serious, DeadlineKind.RESOLUTION).due_at - serious.received_at == timedelta(hours=24)
    assert deadline(minor, DeadlineKind.FIRST_RESPONSE).due_at - minor.received_at == timedelta(hours=4)
    assert deadline(minor, DeadlineKind.RESOLUTION).due_at - minor.received_at == timedelta(hours=72)
    assert deadline(minor, DeadlineKind.FINAL_DECISION).due_at - minor.received_at == timedelta(days=15)


def test_first_contact_with_the_customer_stops_the_first_response_clock(client_for, clock):
    staff = client_for("staff1")
    complaint = register(staff)
    clock.advance(minutes=20)
    response = staff.act(complaint.id, "contact", {"channel": "phone",
                                                                      "content": "已致电客户，说明正在核实。"})
    assert response.status_code == 303
    assert deadline(complaint, DeadlineKind.FIRST_RESPONSE).met_at == clock()
    assert deadline(complaint, DeadlineKind.RESOLUTION).met_at is None
    assert "已致电客户，说明正在核实。" in staff.get(f"/complaints/{complaint.id}").text
    assert staff.act(complaint.id, "contact", {"channel": "phone", "content": ""}
                      ).status_code == 422


def test_a_complaint_judged_not_valid_is_closed_with_reason_and_answer_and_kept(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    response = staff.act(complaint.id, "invalid", {
        "reason": "客户所述交易为本人操作，系统记录完整。", "reply": "已向客户耐心解释交易记录，客户表示理解。",
        "version": version_of(staff, complaint.id)})
    assert response.status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.CLOSED and complaint.valid is False
    assert complaint.result == "已向客户耐心解释交易记录，客户表示理解。"
    assert complaint.next_due_at is None
    assert complaint.number in staff.get("/intake/").text          # still in the list, never dropped


def test_solved_on_the_spot_goes_straight_to_the_return_visit(client_for, clock):
    staff = client_for("staff1")
    complaint = register(staff, solved_on_spot="y", on_spot_result="当场为客户重新打印回单并致歉。")
    assert complaint.state == ComplaintState.AWAITING_VISIT
    assert complaint.result == "当场为客户重新打印回单并致歉。"
    kinds_open = {d.kind for d in complaint.deadlines if d.met_at is None}
    assert kinds_open == {DeadlineKind.RETURN_VISIT, DeadlineKind.FINAL_DECISION}
    assert DeadlineKind.DISPATCH not in {d.kind for d in complaint.deadlines}
    # Tuesday 10:00 → within 2 working days: Thursday at the end of the working day.
    assert to_local(deadline(complaint, DeadlineKind.RETURN_VISIT).due_at).strftime("%a %H:%M") == "Thu 17:00"


@pytest.mark.one_backend
def test_solved_on_the_spot_needs_the_result(client_for):
    response = client_for("staff1").post("/intake/new", data=complaint_form(solved_on_spot="y", on_spot_result=""))
    assert response.status_code == 422
    assert db.session.scalar(select(Complaint)) is None


def test_unsatisfied_twice_goes_to_the_leader_whose_decision_closes_it(client_for, mailbox, clock):
    staff, dept, center, leader = (client_for(u) for u in ("staff1", "dept1", "center1", "leader1"))
    complaint = register(staff)
    dispatch(staff, complaint)
    answer(dept, complaint)
    give_result(staff, complaint)
    run_worker()
    mailbox.messages.clear()

    assert visit(center, complaint, "D", "赔偿金额太低").status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.REGISTERED and complaint.round == 2
    assert complaint.open_deadline(DeadlineKind.DISPATCH) is not None
    run_worker()
    assert sorted(m["To"] for m in mailbox.messages) == ["head1@example.com", "staff1@example.com"]

    dispatch(staff, complaint, "RETAIL")
    answer(client_for("dept2"), complaint, result="补偿金额提高至200元。")
    give_result(staff, complaint)
    run_worker()
    mailbox.messages.clear()
    assert visit(center, complaint, "D", "仍不满意").status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.WITH_LEADER
    run_worker()
    assert [m["To"] for m in mailbox.messages] == ["leader1@example.com"]
    assert [v.rating for v in complaint.visits] == [Satisfaction.D, Satisfaction.D]

    # Only the leader decides, and only once the customer was told of the external channels.
    assert center.act(complaint.id, "decide", {
        "decision": "x", "channels_told": "y", "version": complaint.version}).status_code == 403
    refused = leader.act(complaint.id, "decide", {
        "decision": "维持补偿200元的处理意见。", "version": version_of(leader, complaint.id)})
    assert refused.status_code == 422
    assert leader.act(complaint.id, "decide", {
        "decision": "维持补偿200元的处理意见。", "channels_told": "y",
        "version": version_of(leader, complaint.id)}).status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.CLOSED
    assert complaint.decision == "维持补偿200元的处理意见。" and complaint.external_channels_told

    # The printed handling form shows both rounds (each answer, result and visit) and the decision.
    printed = center.get(f"/ledger/{complaint.id}/print").text
    first, second = (printed.index(f'scope="colgroup">{title}<') for title in ("首次处理", "二次处理"))
    assert first < printed.index("已向客户致歉并说明原因。") < second < printed.index("补偿金额提高至200元。")
    assert first < printed.index("赔偿金额太低") < second < printed.index("仍不满意")
    assert printed.count("已电话告知客户处理结果并致歉。") == 2
    assert "维持补偿200元的处理意见。" in printed and "郑伟" in printed and "分管领导" in printed


def test_a_satisfied_visit_closes(client_for):
    staff = client_for("staff1")
    complaint = register(staff, solved_on_spot="y", on_spot_result="当场解决")
    assert visit(client_for("center1"), complaint, "C").status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.CLOSED and complaint.satisfaction == Satisfaction.C


@pytest.mark.one_backend
def test_visit_needs_a_rating(client_for):
    staff = client_for("staff1")
    complaint = register(staff, solved_on_spot="y", on_spot_result="当场解决")
    response = client_for("center1").act(complaint.id, "visit", {
        "comment": "", "version": version_of(client_for("center1"), complaint.id)})
    assert response.status_code == 422
    assert fresh(complaint).state == ComplaintState.AWAITING_VISIT


def test_a_major_complaint_is_reported_to_the_branch_head_and_the_leader_at_once(client_for, mailbox):
    staff = client_for("staff1")
    complaint = register(staff, media="y")
    assert complaint.is_major
    run_worker()
    assert sorted(m["To"] for m in mailbox.messages) == ["head1@example.com", "leader1@example.com"]
    assert complaint.number in mailbox.messages[0]["Subject"]
    general = register(staff)
    run_worker()
    assert not general.is_major and len(mailbox.messages) == 2


def test_three_different_complainants_with_the_same_complaint_make_all_of_them_major(client_for, clock, mailbox):
    staff, other_branch = client_for("staff1"), client_for("staff2")
    same = {"object_text": "ATM 机吞卡", "category": None}
    from tests.helpers import category_id
    same["category"] = str(category_id("system_app"))
    first = register(staff, customer_contact="13800000001", **same)
    again_same_customer = register(staff, customer_contact="13800000001", **same)
    clock.advance(days=10)
    second = register(other_branch, customer_contact="13800000002", **same)
    assert not fresh(first).is_major and not fresh(second).is_major
    unrelated = register(staff, customer_contact="13800000009", object_text="排队")
    third = register(staff, customer_contact="a@b.cn", **same)
    for complaint in (first, again_same_customer, second, third):
        assert fresh(complaint).repeated and fresh(complaint).is_major
    assert not fresh(unrelated).is_major
    page = staff.get(f"/complaints/{first.id}").text
    assert third.number in page                                       # the link is shown
    # Another branch's complaint is counted, not named, neither in the list nor in the timeline.
    assert second.number not in page and "以及其他单位的 1 件" in page and "合并计数的投诉件数" in page
    center_page = client_for("center1").get(f"/complaints/{first.id}").text
    assert second.number in center_page and third.number in center_page and "其他单位" not in center_page
    run_worker()
    # Each complaint raised to major is reported once to its branch head and the leader.
    assert sorted(m["To"] for m in mailbox.messages).count("leader1@example.com") == 4
    assert sorted(m["To"] for m in mailbox.messages).count("head2@example.com") == 1


def test_repeats_outside_the_window_do_not_count(client_for, clock):
    staff = client_for("staff1")
    from tests.helpers import category_id
    same = {"object_text": "ATM 机吞卡", "category": str(category_id("system_app"))}
    register(staff, customer_contact="13800000001", **same)
    register(staff, customer_contact="13800000002", **same)
    clock.advance(days=31)
    last = register(staff, customer_contact="13800000003", received_at="2026-12-25T09:55", **same)
    assert not last.is_major


def test_the_centers_return_visit_queue_lists_what_is_due(client_for, clock):
    staff, center = client_for("staff1"), client_for("center1")
    waiting = register(staff, solved_on_spot="y", on_spot_result="当场解决")
    not_yet = register(staff)
    page = center.get("/center/visits").text
    assert waiting.number in page and not_yet.number not in page
    assert 'data-testid="due-today">0<' in page
    clock.advance(days=2)                                   # Thursday: the visit is due today
    assert 'data-testid="due-today">1<' in center.get("/center/visits").text
    assert staff.get("/center/visits").status_code == 403


def test_an_open_major_complaint_needs_a_progress_note_every_30_working_minutes(client_for, clock, mailbox):
    from tests.test_worker import tick
    staff = client_for("staff1")
    complaint = register(staff, litigation="y")               # Tuesday 10:00
    assert deadline(complaint, DeadlineKind.PROGRESS).due_at - clock() == timedelta(minutes=30)
    tick()
    mailbox.messages.clear()
    clock.advance(minutes=20)
    assert staff.act(complaint.id, "note", {"text": "已调取监控，正在核实。"}).status_code == 303
    open_progress = fresh(complaint).open_deadline(DeadlineKind.PROGRESS)
    assert open_progress.due_at - clock() == timedelta(minutes=30)
    clock.advance(minutes=31)
    tick()
    notices = [m["Subject"] for m in mailbox.messages if "进展" in m["Subject"]]
    assert len(notices) == 2                                  # the owner and the branch head, once
    assert staff.act(complaint.id, "note", {"text": ""}).status_code == 422


@pytest.mark.one_backend
def test_progress_clock_counts_working_time_only(app):
    from datetime import datetime
    from services import deadlines
    from services.clock import from_local
    started = from_local(datetime(2026, 11, 27, 16, 50))       # Friday 16:50
    due = to_local(deadlines.due_for(None, DeadlineKind.PROGRESS, started))
    assert due.strftime("%a %H:%M") == "Mon 09:20"


def test_a_general_complaint_needs_no_progress_notes(client_for):
    complaint = register(client_for("staff1"))
    assert DeadlineKind.PROGRESS not in {d.kind for d in complaint.deadlines}


def test_the_ceiling_extends_to_30_days_then_30_more_only_with_the_leader(client_for, clock):
    staff, leader = client_for("staff1"), client_for("leader1")
    complaint = register(staff)
    page = staff.get(f"/complaints/{complaint.id}").text
    assert 'data-testid="countdown"' in page
    no_notice = staff.act(complaint.id, "extend", {"reason": "需调取多方记录", "version": version_of(staff, complaint.id)})
    assert no_notice.status_code == 422                               # the customer must be told
    assert staff.act(complaint.id, "extend", {"reason": "需调取多方记录", "customer_told": "y",
                                              "version": version_of(staff, complaint.id)}).status_code == 303
    assert deadline(complaint, DeadlineKind.FINAL_DECISION).due_at - complaint.received_at == timedelta(days=30)
    assert 'id="action-extend"' not in staff.get(f"/complaints/{complaint.id}?actions=all").text  # the second is the leader's
    assert leader.act(complaint.id, "extend", {"reason": "涉及司法鉴定", "customer_told": "y",
                                               "version": version_of(leader, complaint.id)}).status_code == 303
    complaint = fresh(complaint)
    assert deadline(complaint, DeadlineKind.FINAL_DECISION).due_at - complaint.received_at == timedelta(days=60)
    assert [x.reason for x in complaint.extensions] == ["需调取多方记录", "涉及司法鉴定"]
    assert 'id="action-extend"' not in leader.get(f"/complaints/{complaint.id}?actions=all").text  # no third


def test_an_extended_ceiling_reminds_again_before_its_new_date(client_for, clock, mailbox):
    from tests.test_worker import tick
    staff = client_for("staff1")
    complaint = register(staff, solved_on_spot="y", on_spot_result="当场解决")
    clock.advance(days=13)                                            # Monday, 2 days before the 15-day ceiling
    tick()
    assert len([m for m in mailbox.to("staff1@example.com") if complaint.number in m["Subject"]]) >= 1
    before = len(mailbox.messages)
    staff.act(complaint.id, "extend", {"reason": "复杂", "customer_told": "y", "version": version_of(staff, complaint.id)})
    tick()
    assert len(mailbox.messages) == before                            # nothing due for the new date yet
    assert deadline(complaint, DeadlineKind.FINAL_DECISION).reminded_at is None


def test_the_decision_notice_prints_and_goes_to_a_customer_with_e_mail(client_for, mailbox):
    staff = client_for("staff1")
    complaint = register(staff, customer_contact="wang@example.cn", solved_on_spot="y",
                         on_spot_result="已为客户退还重复扣收的手续费20元。")
    notice = staff.get(f"/complaints/{complaint.id}/notice")
    assert notice.status_code == 200
    assert "已为客户退还重复扣收的手续费20元。" in notice.text and "12378" in notice.text
    assert staff.act(complaint.id, "notice", {}).status_code == 303
    run_worker()
    # The acceptance and result notices went to the customer too (tests/test_public.py).
    sent = [m for m in mailbox.to("wang@example.cn") if "处理决定告知书" in m["Subject"]]
    assert len(sent) == 1 and complaint.number in sent[0]["Subject"]
    body = sent[0].get_body(("plain",)).get_content()
    assert "已为客户退还重复扣收的手续费20元。" in body and "/complaints/" not in body   # no staff links
    unresolved = register(staff)
    assert staff.get(f"/complaints/{unresolved.id}/notice").status_code == 404


def test_sending_the_decision_notice_again_asks_first(client_for, mailbox):
    staff = client_for("staff1")
    complaint = register(staff, customer_contact="wang@example.cn", customer_name="王建国 www.evil.example/login",
                         object_text="手机银行 http://evil.example/app", solved_on_spot="y", on_spot_result="已退还手续费。")
    assert staff.act(complaint.id, "notice", {}).status_code == 303
    again = staff.act(complaint.id, "notice", {})                     # a double click, or a second try
    assert again.status_code == 200 and 'data-testid="notice-sent-at"' in again.text
    assert "2026-11-24 10:00" in again.text and 'name="notice-again" value="1"' in again.text
    run_worker()
    notices = lambda: [m for m in mailbox.to("wang@example.cn") if "处理决定告知书" in m["Subject"]]
    assert len(notices()) == 1
    body = notices()[0].get_body(("plain",)).get_content()
    assert "王建国" in body and "手机银行" in body and "evil.example" not in body   # no links from customer text
    assert staff.act(complaint.id, "notice", {"again": "1"}).status_code == 303
    run_worker()
    assert len(notices()) == 2


def test_a_review_is_a_linked_case_of_the_next_higher_unit_with_its_own_30_day_clock(client_for, clock):
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff, solved_on_spot="y", on_spot_result="当场解决")
    visit(center, complaint, "B")
    clock.advance(days=10)
    assert center.act(complaint.id, "review_request", {"reason": "客户认为退款金额不足",
                                                       "version": version_of(center, complaint.id)}).status_code == 303
    complaint = fresh(complaint)
    review = complaint.reviews[0]
    assert review.review_of == complaint and review.unit.code == "HO"
    assert review.content == "客户认为退款金额不足" and review.owner == user("center1")
    assert deadline(review, DeadlineKind.REVIEW).due_at - clock() == timedelta(days=30)
    assert complaint.number in center.get(f"/complaints/{review.id}").text
    assert 'id="action-review_request"' not in center.get(f"/complaints/{complaint.id}?actions=all").text   # once


def test_no_review_after_30_days(client_for, clock):
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff, solved_on_spot="y", on_spot_result="当场解决")
    visit(center, complaint, "B")
    clock.advance(days=31)
    assert 'id="action-review_request"' not in center.get(f"/complaints/{complaint.id}?actions=all").text
