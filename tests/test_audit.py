"""The audit: who viewed or changed what, when and from where; append-only; searchable and exportable."""
import csv
import io
import re

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from extensions import db
from models import AdminAuditEntry, ComplaintEvent
from tests.conftest import Client, make_app
from tests.helpers import dispatch, register, unit_id, version_of


def events_of(complaint, action=None) -> list[ComplaintEvent]:
    db.session.expire_all()
    query = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
    if action:
        query = query.where(ComplaintEvent.action == action)
    return list(db.session.scalars(query))


def test_every_view_is_recorded_with_the_address_and_a_forged_forward_header_is_ignored(client_for):
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff)
    center.get(f"/complaints/{complaint.id}", environ_base={"REMOTE_ADDR": "10.1.2.3"},
               headers={"X-Forwarded-For": "6.6.6.6"})
    [view] = events_of(complaint, "viewed")
    assert view.actor.username == "center1" and view.remote_addr == "10.1.2.3" and view.changes is None


def test_behind_a_configured_proxy_the_forwarded_address_is_recorded(database_urls, redis_url, smtp_server):
    app = make_app(database_urls["sqlite"], redis_url, smtp_server, TRUSTED_PROXIES=1)
    with app.app_context():
        staff = Client(app)
        staff.login("staff1")
        complaint = register(staff)
        staff.get(f"/complaints/{complaint.id}", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                  headers={"X-Forwarded-For": "192.168.7.20"})
        assert events_of(complaint, "viewed")[-1].remote_addr == "192.168.7.20"
        db.session.remove()
        db.engine.dispose()


def test_a_change_records_each_field_before_and_after(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    dispatch(staff, complaint, "OPS", note="请核查")
    [event] = events_of(complaint, "dispatched")
    assert event.changes["state"] == ["registered", "dispatched"]
    assert event.changes["handling_unit_id"] == [None, unit_id("OPS")]
    assert "version" not in event.changes and event.remote_addr == "127.0.0.1"


def test_the_second_entry_of_one_transition_records_only_its_own_changes(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    from tests.helpers import version_of
    staff.act(complaint.id, "withdraw", {"reason": "客户已自行解决", "version": version_of(staff, complaint.id)})
    [withdrawn] = events_of(complaint, "withdrawn")
    [closed] = events_of(complaint, "closed")
    assert set(withdrawn.changes) == {"withdrawn_at", "withdrawal_reason"}
    assert closed.changes["state"] == ["registered", "closed"] and "withdrawal_reason" not in closed.changes


def test_admin_changes_are_in_the_admin_audit(client_for):
    admin = client_for("admin")
    admin.post("/admin/rules/answer/0", data={"answer-0-period-days": "2", "answer-0-remind_before-hours": "1",
                                              "answer-0-escalate_after-hours": "1"})
    admin.post("/admin/calendar", data={"day": "2026-11-27", "workday": "0", "note": "运动会"})
    admin.post(f"/admin/units/{unit_id('BR01')}/hours", data={
        f"unit{unit_id('BR01')}-work_start": "10:00", f"unit{unit_id('BR01')}-work_end": "18:00"})
    entries = db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id)).all()
    assert [e.action for e in entries] == ["rule_changed", "calendar_changed", "unit_hours_changed"]
    assert entries[0].changes == {"period": [4320, 2880], "remind_before": [1440, 60], "escalate_after": [1440, 60]}
    assert entries[1].changes["workday"] == [None, False]
    assert entries[2].changes["work_start"] == [None, "10:00:00"]
    assert all(e.actor.username == "admin" and e.remote_addr == "127.0.0.1" for e in entries)


def _refuses_updates_and_deletes(complaint_id: int) -> None:
    for statement in (update(ComplaintEvent).values(detail="edited"),
                      delete(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id),
                      update(AdminAuditEntry).values(target="edited"), delete(AdminAuditEntry)):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()


def test_the_audit_tables_refuse_updates_and_deletes(app, client_for):
    """On both databases (the test schema is built by create_all, which adds the triggers too)."""
    complaint = register(client_for("staff1"))
    client_for("admin").post("/admin/calendar", data={"day": "2026-11-27", "workday": "0", "note": ""})
    _refuses_updates_and_deletes(complaint.id)
    assert len(events_of(complaint)) > 0 and events_of(complaint)[0].detail is None
    assert db.session.scalar(select(AdminAuditEntry.target)) == "day 2026-11-27"
    # The ORM's own UPDATE of a loaded entry is refused the same way.
    entry = db.session.scalar(select(AdminAuditEntry))
    entry.target = "edited"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_a_migrated_database_refuses_updates_and_deletes_of_the_audit(app, tmp_path):
    """`flask db upgrade` installs the same guard: PostgreSQL's trigger function, SQLite's triggers."""
    from flask_migrate import upgrade
    from app import create_app
    from tests.test_health_and_schema import ONE_COMPLAINT_IN_THE_FIRST_SCHEMA, _fresh_database_url
    url, drop = _fresh_database_url(app, tmp_path, "append_only_check")
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": app.config["REDIS_URL"]})
    try:
        with migrated.app_context():
            upgrade()
            with db.engine.begin() as conn:
                for statement in ONE_COMPLAINT_IN_THE_FIRST_SCHEMA + [
                    "INSERT INTO complaint_event (complaint_id, at, actor_id, action) "
                    "VALUES (1, '2026-11-24 01:05:00', 1, 'registered')",
                    "INSERT INTO admin_audit (at, action, target) VALUES ('2026-11-24 01:00:00', 'unit_created', 'x')",
                ]:
                    conn.exec_driver_sql(statement)
            _refuses_updates_and_deletes(1)
            assert db.session.scalar(select(AdminAuditEntry.target)) == "x"
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_the_audit_page_filters_and_pages(client_for, clock):
    staff, center = client_for("staff1"), client_for("center1")
    first = register(staff)
    clock.advance(days=2)
    second = register(staff)
    center.get(f"/complaints/{second.id}")
    page = center.get("/audit/").text
    assert first.number in page and second.number in page
    by_number = center.get(f"/audit/?number={first.number}").text
    assert first.number in by_number and second.number not in by_number
    by_user = center.get("/audit/?action=viewed&username=center1").text
    assert second.number in by_user and first.number not in by_user
    by_date = center.get("/audit/?date_from=2026-11-26&date_to=2026-11-26").text
    assert second.number in by_date and first.number not in by_date
    assert center.get("/audit/?date_from=2026-11-26&date_to=2026-11-01").status_code == 422
    assert center.get("/audit/?date_from=yesterday").status_code == 422
    for n in range(60):
        center.get(f"/complaints/{first.id}")
    page_two = center.get("/audit/?action=viewed&page=2").text
    assert 'data-testid="audit"' in page_two and first.number in page_two
    assert center.get("/audit/?action=viewed&page=3").text.count(first.number) == 0


def test_a_name_nobody_has_finds_nothing_not_the_systems_entries(client_for, clock):
    from services import reminders
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff)
    clock.advance(days=10)
    assert reminders.sweep()["overdue"] >= 1          # entries by the system: no one's name
    assert complaint.number in center.get("/audit/").text
    assert complaint.number not in center.get("/audit/?username=nobody").text
    assert complaint.number not in center.get("/audit/?username=nobody&action=viewed").text


@pytest.mark.one_backend
def test_who_may_see_the_audit(client_for):
    client_for("admin").post("/admin/calendar", data={"day": "2026-11-27", "workday": "0", "note": "运动会"})
    complaint = register(client_for("staff1"))
    for username in ("staff1", "head1", "dept1"):
        assert client_for(username).get("/audit/").status_code == 403
    admin_view = client_for("admin").get("/audit/?source=complaints").text
    assert "day 2026-11-27" in admin_view and complaint.number not in admin_view    # admin changes only
    leader_view = client_for("leader1").get("/audit/?source=admin").text
    assert "day 2026-11-27" in leader_view


def test_the_export_is_csv_with_the_filters_and_no_formulas(client_for):
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff)
    dispatch(staff, complaint, "OPS", note="=HYPERLINK(\"http://evil\")")
    response = center.get(f"/audit/export.csv?number={complaint.number}", buffered=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1 + len(events_of(complaint))
    assert {row[3] for row in rows[1:]} == {complaint.number}
    dispatched = next(row for row in rows if row[4] == "dispatched")
    assert "staff1" in dispatched[1] and '"state": ["registered", "dispatched"]' in dispatched[6]
    assert all(not cell.startswith("=") for row in rows for cell in row)
    assert client_for("staff1").get("/audit/export.csv").status_code == 403


def _timeline(client, complaint) -> str:
    page = client.get(f"/complaints/{complaint.id}").text
    return re.search(r'<ol class="timeline" data-testid="timeline">.*?</ol>', page, re.S).group(0)


def test_the_complaint_page_shows_what_each_change_did(client_for):
    staff, dept = client_for("staff1"), client_for("dept1")
    complaint = register(staff)
    dispatch(staff, complaint, "OPS")
    timeline = _timeline(staff, complaint)
    assert "<span class=\"field\">处理部门</span>：— → 运营管理部" in timeline       # names, not ids
    assert "<span class=\"field\">状态</span>：已登记 → 承办单位处理中" in timeline        # labels, not codes
    # A plan with compensation makes the complaint major: the page says so, in words.
    response = dept.act(complaint.id, "plan", {
        "steps": "向客户致歉并退还手续费。", "responsible": "陈晨", "due_date": "2026-11-26",
        "compensation": "50.00", "version": version_of(dept, complaint.id)})
    assert response.status_code == 303
    timeline = _timeline(staff, complaint)
    assert "<span class=\"field\">严重程度</span>：一般 → 重大投诉" in timeline
    assert "<span class=\"field\">涉及赔偿</span>：否 → 是" in timeline
    assert "version" not in timeline and "handling_unit_id" not in timeline


def test_changed_text_shows_escaped_on_the_timeline(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    response = staff.act(complaint.id, "withdraw", {"reason": "<script>alert(1)</script>",
                                                    "version": version_of(staff, complaint.id)})
    assert response.status_code == 303
    timeline = _timeline(staff, complaint)
    assert "撤诉原因</span>：— → &lt;script&gt;alert(1)&lt;/script&gt;" in timeline
    assert "<script>alert(1)" not in timeline


def test_the_audit_page_says_what_changed_in_words_like_the_complaint_page(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    dispatch(staff, complaint, "OPS")
    page = client_for("center1").get(f"/audit/?number={complaint.number}").text
    assert "<span class=\"field\">处理部门</span>：— → 运营管理部" in page
    assert "<span class=\"field\">状态</span>：已登记 → 承办单位处理中" in page
    assert "handling_unit_id" not in page
