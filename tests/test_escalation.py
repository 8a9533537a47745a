"""Escalation inside a branch: first-contact staff → lobby manager → branch head; take-over."""
from models import ComplaintState
from tests.helpers import fresh, register, user, version_of


def escalate(client, complaint, reason="客户情绪激动，需要上级出面。"):
    return client.act(complaint.id, "escalate", {
        "reason": reason, "version": version_of(client, complaint.id)})


def test_escalation_climbs_the_branch_ladder_and_the_owner_stays(client_for, mailbox):
    staff, lobby, head = client_for("staff1"), client_for("lobby1"), client_for("head1")
    complaint = register(staff)
    assert escalate(staff, complaint, "").status_code == 422          # a reason is required
    assert escalate(staff, complaint).status_code == 303
    complaint = fresh(complaint)
    assert complaint.handler == user("lobby1") and complaint.owner == user("staff1")
    assert escalate(staff, complaint).status_code == 403              # no longer the handler
    assert escalate(lobby, complaint).status_code == 303
    complaint = fresh(complaint)
    assert complaint.handler == user("head1")
    assert 'id="action-escalate"' not in head.get(f"/complaints/{complaint.id}?actions=all").text   # the top of the ladder
    page = staff.get(f"/complaints/{complaint.id}")
    assert page.status_code == 200 and "王芳" in page.text              # the owner still sees it


def test_a_supervisor_takes_over_a_case_of_the_branch(client_for):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = register(staff)
    assert head.act(complaint.id, "takeover", {
        "version": version_of(head, complaint.id)}).status_code == 303
    complaint = fresh(complaint)
    assert complaint.handler == user("head1") and complaint.state == ComplaintState.REGISTERED
    lobby = client_for("lobby1")
    assert 'id="action-takeover"' not in lobby.get(f"/complaints/{complaint.id}?actions=all").text   # not from a higher level
    other_head = client_for("head2")
    assert other_head.act(complaint.id, "takeover", {"version": 9}).status_code == 404


def test_the_handler_gets_the_owner_side_reminders_too(client_for, clock, mailbox):
    from tests.test_worker import tick
    staff = client_for("staff1")
    complaint = register(staff)
    escalate(staff, complaint)
    tick()
    mailbox.messages.clear()
    clock.advance(minutes=21)
    tick()
    assert sorted(m["To"] for m in mailbox.messages) == ["lobby1@example.com", "staff1@example.com"]
