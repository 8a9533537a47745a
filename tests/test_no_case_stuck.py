"""Issue 14, no case gets stuck: hand-over of first responsibility, disabling an account that still
carries cases, reclassification after registration, the date agreed with the customer as a clock, and
the customer's notice of an extension."""
from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import ComplaintEvent, ComplaintKind, DeadlineKind, OutboxMessage, PlanState
from services import handover, reminders
from services.errors import Refused
from services.reclassification import Classification, reclassify_complaint
from services.registration import register_complaint
from tests.helpers import category_id, dispatch, fresh, give_result, register, registration, user, version_of


def _mail_to(address: str, complaint) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == address,
                                                               OutboxMessage.complaint_id == complaint.id)))


def _clock(complaint, kind):
    return [d for d in fresh(complaint).deadlines if d.kind == kind]


# The refusal of a successor says whom colleagues() offers: a sole member reaches the same role and the unit above.
SUCCESSORS_SAID = "本单位的在岗同事；单位仅有一人时，可选同岗位的其他人员或上级单位的人员"


def hand_over(client, complaint, to, reason="张敏休产假"):
    return client.act(complaint.id, "handover", {"new_owner": user(to).id if to else 0, "reason": reason,
                                                 "version": version_of(client, complaint.id)})


def reclassify(client, complaint, reason="客户补充说明后重新评估", **changes):
    data = {"level": "2", "category": str(category_id("waiting")), "kind": "routine", "reason": reason,
            "version": version_of(client, complaint.id)}
    data.update(changes)
    return client.act(complaint.id, "reclassify", {k: v for k, v in data.items() if v is not None})


# ----------------------------------------------------------------------------- hand-over

def test_the_branch_head_hands_a_case_over_and_the_new_owner_is_told(client_for):
    staff, head, lobby = client_for("staff1"), client_for("head1"), client_for("lobby1")
    complaint = register(staff)
    assert 'id="action-handover"' not in staff.get(f"/complaints/{complaint.id}?actions=all").text   # not the owner's own
    assert 'id="action-handover"' not in lobby.get(f"/complaints/{complaint.id}?actions=all").text   # only the owner's head
    assert lobby.act(complaint.id, "handover", {"new_owner": user("lobby1").id, "reason": "x",
                                                "version": version_of(lobby, complaint.id)}).status_code == 403
    missing = hand_over(head, complaint, "lobby1", reason="")
    assert missing.status_code == 422
    refused = hand_over(head, complaint, "staff2")                            # another branch's person
    assert refused.status_code == 422 and SUCCESSORS_SAID in refused.text
    assert fresh(complaint).owner == user("staff1")
    assert hand_over(head, complaint, "lobby1").status_code == 303
    complaint = fresh(complaint)
    assert complaint.owner == user("lobby1") and complaint.handler == user("lobby1")
    event = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                           ComplaintEvent.action == "handed_over"))
    assert event.changes["owner_id"] == [user("staff1").id, user("lobby1").id]
    assert "张敏 → 李强" in event.detail
    assert len(_mail_to("lobby1@example.com", complaint)) == 1
    page = head.get(f"/complaints/{complaint.id}").text
    assert "张敏" in page and "李强" in page


def test_a_closed_case_is_not_handed_over(client_for):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = register(staff, solved_on_spot="y", on_spot_result="当场解决")
    center = client_for("center1")
    assert center.act(complaint.id, "visit", {"rating": "A", "version": version_of(center, complaint.id)}
                      ).status_code == 303
    assert 'id="action-handover"' not in head.get(f"/complaints/{complaint.id}?actions=all").text
    assert head.act(complaint.id, "handover", {"new_owner": user("lobby1").id, "reason": "休假",
                                               "version": fresh(complaint).version}).status_code == 403


def test_disabling_an_account_with_open_cases_needs_the_hand_over_first(client_for):
    staff, admin = client_for("staff1"), client_for("admin")
    complaint = register(staff)
    staff1 = user("staff1")
    refused = admin.post(f"/admin/users/{staff1.id}/active", data={"active": "0"})
    assert refused.status_code == 422 and complaint.number in refused.text
    assert user("staff1").active
    page = admin.get(f"/admin/users/{staff1.id}").text
    assert complaint.number in page and 'id="handover-all"' in page
    hand_over_all_and_disable(admin, "staff1", complaint, refused="staff2", successor="lobby1")


def test_successors_are_people_who_may_own_cases_and_a_sole_member_still_has_one(app):
    names = lambda who: [u.username for u in handover.colleagues(user(who))]     # noqa: E731
    assert names("staff1") == ["lobby1", "head1"]            # the unit first
    assert names("leader1") == ["center1"]                   # never the administrator, who cannot act on cases
    assert names("center1") == ["leader1"]                   # alone in its unit: the unit above (总行)
    assert names("dept2") == ["dept1", "dept3", "leader1"]    # alone: the same role elsewhere, 总行 above
    with app.test_request_context():
        register_complaint(user("leader1"), os.urandom(8).hex(), registration())
        db.session.commit()
        with pytest.raises(Refused):
            handover.hand_over_all(user("leader1"), user("admin"), user("admin"), "离职")


def test_the_sole_member_of_a_unit_hands_over_and_is_disabled(client_for):
    center, admin = client_for("center1"), client_for("admin")
    complaint = register(center)
    center1 = user("center1")
    page = admin.get(f"/admin/users/{center1.id}").text
    assert f'value="{user("leader1").id}"' in page and f'value="{user("admin").id}"' not in page
    hand_over_all_and_disable(admin, "center1", complaint, refused="admin", successor="leader1")


def hand_over_all_and_disable(admin, leaving: str, complaint, refused: str, successor: str) -> None:
    """The administrator's hand-over of every case of `leaving`: refused to `refused`, done to
    `successor`, after which the account is disabled."""
    leaving_id = user(leaving).id
    refusal = admin.post(f"/admin/users/{leaving_id}/handover",
                         data={"handover-new_owner": user(refused).id, "handover-reason": "离职"})
    assert refusal.status_code == 422 and SUCCESSORS_SAID in refusal.text   # what is allowed, not "the same unit" only
    assert admin.post(f"/admin/users/{leaving_id}/handover",
                      data={"handover-new_owner": user(successor).id, "handover-reason": "离职"}).status_code == 303
    assert fresh(complaint).owner == user(successor)
    assert admin.post(f"/admin/users/{leaving_id}/active", data={"active": "0"}).status_code == 303
    db.session.expire_all()
    assert not user(leaving).active


def test_reminders_for_a_disabled_owner_go_to_the_unit_head(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    staff1 = user("staff1")
    staff1.active = False   # disabled before the hand-over rule existed, as old data may be
    db.session.commit()
    clock = fresh(complaint).open_deadline(DeadlineKind.DISPATCH)
    assert [u.username for u in reminders.assignees(clock)] == ["head1"]


# ----------------------------------------------------------------------------- reclassification

def test_a_stricter_level_recomputes_the_open_clocks_from_receipt(client_for, clock):
    staff = client_for("staff1")
    complaint = register(staff, level="3")
    received = complaint.received_at
    clock.advance(hours=1)
    assert reclassify(staff, complaint, level="1").status_code == 303
    (first,) = _clock(complaint, DeadlineKind.FIRST_RESPONSE)
    (resolution,) = _clock(complaint, DeadlineKind.RESOLUTION)
    # 1 hour from receipt: already passed now, so it counts as missed
    assert first.due_at == received + timedelta(hours=1) and first.due_at < clock()
    assert resolution.due_at == received + timedelta(hours=24)
    event = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                           ComplaintEvent.action == "reclassified"))
    assert event.changes["level"] == [3, 1] and event.detail == "客户补充说明后重新评估"


def test_a_missed_clock_stays_missed_when_the_level_gets_milder(client_for, clock):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = register(staff, level="1")
    clock.advance(hours=2)                               # the 1-hour first response is missed
    assert reclassify(staff, complaint, level="3").status_code == 422   # milder: not the owner's to decide
    assert fresh(complaint).level == 1
    assert reclassify(head, complaint, level="3").status_code == 303
    (first,) = _clock(complaint, DeadlineKind.FIRST_RESPONSE)
    (resolution,) = _clock(complaint, DeadlineKind.RESOLUTION)
    assert first.due_at == complaint.received_at + timedelta(hours=1)     # stays missed
    assert resolution.due_at == complaint.received_at + timedelta(hours=72)


def test_the_owner_reclassifies_only_before_dispatch(client_for):
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff)
    assert 'id="action-reclassify"' in staff.get(f"/complaints/{complaint.id}?actions=all").text
    assert dispatch(staff, complaint).status_code == 303
    assert 'id="action-reclassify"' not in staff.get(f"/complaints/{complaint.id}?actions=all").text
    assert reclassify(center, complaint, category=str(category_id("fees"))).status_code == 303
    assert fresh(complaint).category_id == category_id("fees")
    other_head = client_for("head2")                   # another branch's case: not even seen
    assert other_head.act(complaint.id, "reclassify", {"level": "1", "category": str(category_id("waiting")),
                                                       "kind": "routine", "reason": "x",
                                                       "version": fresh(complaint).version}).status_code == 404


def test_becoming_major_does_what_registration_as_major_does(client_for):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = register(staff)
    plan = staff.act(complaint.id, "plan", {"steps": "致歉并说明", "responsible": "张敏", "due_date": "2026-11-27",
                                            "version": version_of(staff, complaint.id)})
    assert plan.status_code == 303 and fresh(complaint).current_plan.state == PlanState.APPROVED
    assert reclassify(staff, complaint, media="y").status_code == 303
    complaint = fresh(complaint)
    assert complaint.is_major and complaint.current_plan.state == PlanState.PENDING
    assert not complaint.plan_cleared
    assert complaint.open_deadline(DeadlineKind.PROGRESS) is not None
    assert complaint.open_deadline(DeadlineKind.PLAN_APPROVAL) is not None
    assert _mail_to("head1@example.com", complaint) and _mail_to("leader1@example.com", complaint)
    assert 'id="action-review"' in head.get(f"/complaints/{complaint.id}?actions=all").text
    event = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                           ComplaintEvent.action == "reclassified"))
    assert event.changes["severity"] == ["general", "major"] and event.changes["media"] == [False, True]
    # Back to general needs the branch head; the progress notes stop.
    assert reclassify(staff, complaint).status_code == 422
    assert reclassify(head, complaint).status_code == 303
    assert fresh(complaint).open_deadline(DeadlineKind.PROGRESS) is None


# ----------------------------------------------------------------------------- agreed date, extension notice

def test_the_date_agreed_in_the_plan_is_a_clock_met_by_the_result(client_for, clock):
    staff = client_for("staff1")
    complaint = register(staff)
    staff.act(complaint.id, "plan", {"steps": "核实后退费", "responsible": "张敏", "due_date": "2026-11-26",
                                     "version": version_of(staff, complaint.id)})
    (agreed,) = _clock(complaint, DeadlineKind.AGREED)
    assert agreed.due_at == datetime_utc(2026, 11, 26, 16, 0) and agreed.met_at is None
    assert give_result(staff, complaint).status_code == 303
    (agreed,) = _clock(complaint, DeadlineKind.AGREED)
    assert agreed.met_at is not None


def test_an_approved_major_plan_starts_the_agreed_clock(client_for):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = register(staff, media="y")
    staff.act(complaint.id, "plan", {"steps": "赔偿", "responsible": "张敏", "due_date": "2026-11-30",
                                     "version": version_of(staff, complaint.id)})
    assert _clock(complaint, DeadlineKind.AGREED) == []          # not before the plan holds
    head.act(complaint.id, "review", {"decision": "approve", "version": version_of(head, complaint.id)})
    (agreed,) = _clock(complaint, DeadlineKind.AGREED)
    assert agreed.due_at == datetime_utc(2026, 11, 30, 16, 0)


def test_an_extension_sends_the_customer_a_notice(client_for):
    staff = client_for("staff1")
    complaint = register(staff, customer_contact="wang@example.cn")
    assert staff.act(complaint.id, "extend", {"reason": "需调取多方交易记录", "customer_told": "y",
                                              "version": version_of(staff, complaint.id)}).status_code == 303
    notices = [m for m in _mail_to("wang@example.cn", complaint) if "延长" in m.subject]
    assert len(notices) == 1
    assert "需调取多方交易记录" in notices[0].body_text and complaint.number in notices[0].subject


def datetime_utc(*parts):
    return datetime(*parts)


def test_the_center_sets_a_web_complaints_level_and_category_when_it_assesses_it(app, client_for):
    from tests.test_public import file_online, public_client
    complaint, _code = file_online(public_client(app))
    center = client_for("center1")
    assert reclassify(center, complaint, level="1", category=str(category_id("fees"))).status_code == 303
    complaint = fresh(complaint)
    assert complaint.level == 1 and complaint.category_id == category_id("fees")


def test_the_agreed_date_reminds_the_owner_the_day_before_and_is_overdue_after(client_for, clock, mailbox):
    from tests.test_worker import tick
    staff = client_for("staff1")
    complaint = register(staff, solved_on_spot=None)
    staff.act(complaint.id, "plan", {"steps": "核实后退费", "responsible": "张敏", "due_date": "2026-11-26",
                                     "version": version_of(staff, complaint.id)})
    clock.advance(days=1, hours=6)                       # Wednesday 16:00 in Shanghai
    tick()

    def events(action):
        return db.session.scalars(select(ComplaintEvent.detail).where(
            ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == action)).all()
    assert events("reminder_agreed") == []
    clock.advance(days=1)                                # Thursday 16:00: the agreed day
    tick()
    assert events("reminder_agreed") == ["张敏"] and events("overdue_agreed") == []
    clock.advance(hours=9)                               # Friday 01:00: the day is over
    tick()
    assert len(events("overdue_agreed")) == 1


# ----------------------------------------------------------------------------- the services alone

def test_the_services_refuse_what_the_rules_do_not_allow(app):
    with app.test_request_context():   # the refusals' messages are in the user's language
        _services_refuse()


def _services_refuse():
    complaint, _ = register_complaint(user("staff1"), os.urandom(8).hex(),
                                      registration(object_user_id=user("lobby1").id))
    db.session.commit()
    with pytest.raises(Refused) as refused:            # 回避: never to the person complained about
        handover.hand_over_complaint(complaint, user("head1"), user("lobby1"), "休假")
    assert refused.value.field == "new_owner"
    db.session.rollback()
    with pytest.raises(Refused):                       # the whole account's cases: the administrator only
        handover.hand_over_all(user("staff1"), user("head1"), user("head1"), "离职")
    db.session.rollback()
    assert handover.hand_over_all(user("staff1"), user("admin"), user("head1"), "离职") == 1
    db.session.commit()
    complaint = fresh(complaint)
    assert complaint.owner == user("head1") and complaint.handler == user("head1")

    milder = Classification.of(complaint)
    milder.level = 3
    with pytest.raises(Refused) as refused:            # the center or the branch head only; head1 owns it now
        reclassify_complaint(complaint, user("lobby1"), milder, "x")
    db.session.rollback()
    complaint = fresh(complaint)
    concentrated = Classification.of(complaint)
    concentrated.kind = ComplaintKind.CONCENTRATED
    with pytest.raises(Refused) as refused:
        reclassify_complaint(complaint, user("center1"), concentrated, "x")
    assert refused.value.field == "kind"


def test_reclassifying_as_collective_needs_the_head_count_and_the_history_shows_it(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    refused = reclassify(staff, complaint, collective="y")
    assert refused.status_code == 422 and "5 人及以上" in refused.text
    assert reclassify(staff, complaint, collective="y", collective_count="8").status_code == 303
    complaint = fresh(complaint)
    assert complaint.is_major and complaint.collective_count == 8
    page = staff.get(f"/complaints/{complaint.id}").text
    assert "群体性（8 人）" in page and "共同投诉人数" in page
