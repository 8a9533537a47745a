"""What the user typed survives a refusal: a stale form (409) shows it next to what changed meanwhile,
a dispatch to a person of another department comes back as the form with a message."""
from __future__ import annotations

import re

from models import ComplaintState, DeadlineKind
from tests.helpers import dispatch, fresh, register, unit_id, user, version_of


def test_dispatch_to_a_person_of_another_department_keeps_the_form(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    response = staff.act(complaint.id, "dispatch", {
        "unit": unit_id("OPS"), "assignee": user("dept2").id, "note": "请核对当日排队记录XJ-77",
        "version": version_of(staff, complaint.id)})
    assert response.status_code == 422
    assert "请核对当日排队记录XJ-77" in response.text
    assert "黄丽 不属于" in response.text
    assert fresh(complaint).state == ComplaintState.REGISTERED


def test_a_stale_form_that_is_no_longer_possible_shows_the_typed_text_and_what_changed(client_for):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = register(staff)
    seen = version_of(staff, complaint.id)
    assert dispatch(head, complaint, "RETAIL", note="行长先行转办").status_code == 303
    late = staff.act(complaint.id, "dispatch", {"unit": unit_id("OPS"), "assignee": 0,
                                                "note": "我写的转办说明QQ-12", "version": seen})
    assert late.status_code == 409
    typed = late.text.split('data-testid="conflict-typed"')[1].split('data-testid="conflict-stored"')[0]
    stored = late.text.split('data-testid="conflict-stored"')[1].split("</section>")[0]
    assert "我写的转办说明QQ-12" in typed and "运营管理部" in typed     # the unit chosen, by its name
    assert "行长先行转办" in stored                                  # the head's dispatch, made meanwhile


def test_a_stale_form_still_possible_keeps_the_text_in_the_form_and_sends_on_the_second_try(client_for):
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff)
    seen = version_of(staff, complaint.id)
    first_response = next(d for d in complaint.deadlines if d.kind == DeadlineKind.FIRST_RESPONSE)
    assert center.act(complaint.id, "adjust", {"deadline": first_response.id, "new_due": "2026-11-24T15:00",
                                               "reason": "客户午后方便", "version": seen}).status_code == 303
    data = {"unit": unit_id("OPS"), "assignee": 0, "note": "排队超时请核查ZZ-9", "version": seen}
    late = staff.act(complaint.id, "dispatch", data)
    assert late.status_code == 409
    form = late.text.split('id="action-dispatch"')[1].split("</form>")[0]
    assert "排队超时请核查ZZ-9" in form                                # the text is back in the form
    assert "客户午后方便" in late.text.split('data-testid="conflict-stored"')[1]
    kept_version = re.search(r'name="dispatch-version" type="hidden" value="(\d+)"', form).group(1)
    again = staff.act(complaint.id, "dispatch", {**data, "version": kept_version})   # sent again, on purpose
    assert again.status_code == 303 and fresh(complaint).state == ComplaintState.DISPATCHED
