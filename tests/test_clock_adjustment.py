"""Moving a clock by hand: never into the past, never beyond what its rule allows; the regulatory
ceiling (最终处理决定) moves later only through extensions. A refused move keeps the form."""
from __future__ import annotations

from datetime import timedelta

from models import DeadlineKind
from services.clock import to_local
from tests.helpers import fresh, register, version_of

# Received 2026-11-24 09:55 local (tests/conftest.complaint_form): the 15-day ceiling is 2026-12-09 09:55.


def _clock(complaint, kind):
    return next(d for d in fresh(complaint).deadlines if d.kind == kind and d.met_at is None)


def _move(client, complaint, kind, new_due, reason="客户要求延后联系"):
    return client.act(complaint.id, "adjust", {"deadline": _clock(complaint, kind).id, "new_due": new_due,
                                               "reason": reason, "version": version_of(client, complaint.id)})


def test_the_regulatory_ceiling_cannot_be_moved_later_by_hand(client_for):
    center = client_for("center1")
    complaint = register(client_for("staff1"))
    before = _clock(complaint, DeadlineKind.FINAL_DECISION).due_at
    response = _move(center, complaint, DeadlineKind.FINAL_DECISION, "2026-12-20T10:00", reason="想多给些时间")
    assert response.status_code == 422
    assert "2026-12-09 09:55" in response.text and "想多给些时间" in response.text   # the latest allowed; text kept
    assert _clock(complaint, DeadlineKind.FINAL_DECISION).due_at == before
    earlier = _move(center, complaint, DeadlineKind.FINAL_DECISION, "2026-12-08T17:00")
    assert earlier.status_code == 303


def test_after_an_extension_the_ceiling_may_go_as_far_as_the_extension(client_for):
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff)
    assert staff.act(complaint.id, "extend", {"reason": "需调取多方记录", "customer_told": "y",
                                              "version": version_of(staff, complaint.id)}).status_code == 303
    assert _move(center, complaint, DeadlineKind.FINAL_DECISION, "2026-12-20T10:00").status_code == 303
    beyond = _move(center, complaint, DeadlineKind.FINAL_DECISION, "2026-12-24T10:00")   # 30 days end at 09:55
    assert beyond.status_code == 422 and "2026-12-24 09:55" in beyond.text
    assert _clock(complaint, DeadlineKind.FINAL_DECISION).due_at - fresh(complaint).received_at < timedelta(days=30)


def test_no_other_clock_goes_beyond_the_regulatory_ceiling(client_for):
    center = client_for("center1")
    complaint = register(client_for("staff1"))
    assert _move(center, complaint, DeadlineKind.FIRST_RESPONSE, "2026-12-10T10:00").status_code == 422
    assert _move(center, complaint, DeadlineKind.FIRST_RESPONSE, "2026-11-24T15:00").status_code == 303
    assert to_local(_clock(complaint, DeadlineKind.FIRST_RESPONSE).due_at).strftime("%d %H:%M") == "24 15:00"


def test_a_clock_moved_into_the_past_comes_back_as_the_form_with_the_reason_kept(client_for):
    center = client_for("center1")
    complaint = register(client_for("staff1"))
    response = _move(center, complaint, DeadlineKind.FIRST_RESPONSE, "2026-11-24T09:00", reason="客户下午方便接听")
    assert response.status_code == 422
    assert "新的到期时间必须在将来" in response.text and "客户下午方便接听" in response.text


def test_year_1_and_9999_are_refused_with_a_message(client_for):
    center = client_for("center1")
    complaint = register(client_for("staff1"))
    for moment in ("0001-01-01T00:00", "9999-12-31T23:59"):
        response = _move(center, complaint, DeadlineKind.FIRST_RESPONSE, moment)
        assert response.status_code == 422 and "2000-01-01" in response.text
