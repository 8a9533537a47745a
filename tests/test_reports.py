"""Statistics and reports against a hand-counted November 2026: eight complaints taken through the
services at known local times, states, units, deadlines and ratings; every figure asserted exactly."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, true

from extensions import db
from models import CauseKind, Channel, ContactChannel, CorrectiveAction, DeadlineKind, Satisfaction, Unit
from services import clock as clock_module
from services import complaints, registration
from services import improvement, periods
from services import statistics as stats
from services.periods import Period
from tests.helpers import category_id, unit_id, user

NOVEMBER = periods.month(date(2026, 11, 1))
# The report is read on 2 December 2026, 10:00 in Shanghai.
READ_AT = datetime(2026, 12, 2, 10, 0)


def local(*args) -> datetime:
    return clock_module.from_local(datetime(*args))


def register(clock, who: str, at: datetime, category: str, channel: Channel, level: int, obj: str, **flags):
    """Registered at `at` (local), received 5 minutes before."""
    clock.set(local(*at))
    contact = flags.pop("contact", f"1380000{at[1]:02d}{at[2]:02d}{at[3]:02d}")
    complaint, _ = registration.register_complaint(user(who), f"t-{who}-{at}", registration.Registration(
        customer_name="客户", customer_contact=contact, channel=channel,
        received_at=clock() - timedelta(minutes=5), content="内容", demand="诉求", object_text=obj,
        category_id=category_id(category), level=level, **flags))
    db.session.flush()
    return complaint


def step(clock, *at) -> None:
    clock.set(local(*at))


def unit(code: str) -> Unit:
    return db.session.get(Unit, unit_id(code))


def handle(clock, complaint, owner, department, staff, dispatch_at, answer_at, result_at, visit_at, rating):
    step(clock, *dispatch_at)
    complaints.dispatch_complaint(complaint, user(owner), unit(department))
    step(clock, *answer_at)
    complaints.answer_complaint(complaint, user(staff), "原因", "结果", "纠正", "预防")
    db.session.flush()
    step(clock, *result_at)
    complaints.give_result(complaint, user(owner), "已告知结果。", ContactChannel.PHONE)
    step(clock, *visit_at)
    complaints.record_return_visit(complaint, user("center1"), rating, "回访")


@pytest.fixture
def november(app, clock):
    """C1..C8 in November (C6 just before it, C9 just after); hand-counted figures in the tests."""
    c = {}
    # C1, BR01: registered Monday 2 Nov 07:00 local (Sunday 23:00 UTC: the local week counts), closed A.
    c[1] = register(clock, "staff1", (2026, 11, 2, 7, 0), "waiting", Channel.COUNTER, 2, "城东支行营业厅排队")
    handle(clock, c[1], "staff1", "OPS", "dept1", (2026, 11, 2, 7, 10), (2026, 11, 3, 7, 0), (2026, 11, 3, 9, 0),
           (2026, 11, 3, 12, 0), Satisfaction.A)
    # C2, BR02: the department answers after 4 days (late), closed B.
    c[2] = register(clock, "staff2", (2026, 11, 3, 10, 0), "fees", Channel.PHONE, 3, "短信通知费")
    handle(clock, c[2], "staff2", "RETAIL", "dept2", (2026, 11, 3, 10, 20), (2026, 11, 7, 10, 20),
           (2026, 11, 7, 11, 20), (2026, 11, 7, 13, 20), Satisfaction.B)
    # C3, BR01: judged not valid after an hour.
    c[3] = register(clock, "staff1", (2026, 11, 9, 11, 0), "system_app", Channel.WEB, 1, "手机银行")
    step(clock, 2026, 11, 9, 12, 0)
    complaints.judge_invalid(c[3], user("staff1"), "不成立", "已解释")
    # C4, BR01: collective (major), dispatched, never answered: open and overdue.
    c[4] = register(clock, "staff1", (2026, 11, 10, 9, 0), "waiting", Channel.COUNTER, 2, "城东支行营业厅排队",
                    collective=True, contact="13900000004")
    step(clock, 2026, 11, 10, 9, 10)
    complaints.dispatch_complaint(c[4], user("staff1"), unit("OPS"))
    # C5, BR02: unsatisfied (D), second handling, then C.
    c[5] = register(clock, "staff2", (2026, 11, 16, 10, 0), "fees", Channel.PHONE, 2, "账户管理费")
    handle(clock, c[5], "staff2", "RETAIL", "dept2", (2026, 11, 16, 10, 10), (2026, 11, 17, 10, 0),
           (2026, 11, 17, 11, 0), (2026, 11, 17, 12, 0), Satisfaction.D)
    handle(clock, c[5], "staff2", "RETAIL", "dept2", (2026, 11, 17, 12, 10), (2026, 11, 18, 10, 0),
           (2026, 11, 18, 11, 0), (2026, 11, 18, 12, 0), Satisfaction.C)
    # C6: 31 October 23:30 local, outside November.
    c[6] = register(clock, "staff1", (2026, 10, 31, 23, 30), "other", Channel.PHONE, 3, "其他")
    # C7, the service center: withdrawn after an hour (its dispatch clock, 30 minutes, missed).
    c[7] = register(clock, "center1", (2026, 11, 20, 14, 0), "other", Channel.HOTLINE, 3, "停车位")
    step(clock, 2026, 11, 20, 15, 0)
    complaints.withdraw_complaint(c[7], user("center1"), "客户撤诉")
    # C8, BR02: received on Sunday 1 November, withdrawn after 16 days: past the 15-day ceiling.
    c[8] = register(clock, "staff2", (2026, 11, 1, 9, 0), "sales", Channel.LETTER, 3, "保险搭售")
    step(clock, 2026, 11, 17, 10, 0)
    complaints.withdraw_complaint(c[8], user("staff2"), "客户撤诉")
    # C9: 1 December 00:30 local, outside November.
    c[9] = register(clock, "staff1", (2026, 12, 1, 0, 30), "waiting", Channel.COUNTER, 3, "对公窗口")
    # Corrective actions: C1's done, C2's overdue, C5's done.
    step(clock, 2026, 11, 3, 8, 0)
    a1 = improvement.record_action(c[1], user("dept1"), CauseKind.PROCESS, "增开窗口", True, user("dept1"),
                                   date(2026, 11, 20))
    step(clock, 2026, 11, 7, 12, 0)
    improvement.record_action(c[2], user("dept2"), CauseKind.PRODUCT, "调整收费提示", False, user("dept2"),
                              date(2026, 11, 10))
    step(clock, 2026, 11, 18, 10, 30)
    a5 = improvement.record_action(c[5], user("dept2"), CauseKind.PRODUCT, "修订收费标准", True, user("dept2"),
                                   date(2026, 11, 30))
    step(clock, 2026, 11, 19, 10, 0)
    improvement.complete_action(a1, user("dept1"), "已增开")
    improvement.complete_action(a5, user("dept2"), "已修订")
    db.session.commit()
    clock.set(clock_module.from_local(READ_AT))
    return c


ALL = true()
LABELS = {"channel": {c: c.value for c in Channel}, "level": {1: "1", 2: "2", 3: "3"}, "kind": {},
          "severity": {"major": "m", "general": "g"}}


def test_summary_counts_only_the_period_in_local_time(november):
    s = stats.summary(NOVEMBER, ALL)
    assert (s.received, s.closed, s.open, s.overdue_now) == (7, 6, 1, 1)
    assert (s.closed_on_time, s.invalid, s.withdrawn, s.major, s.collective, s.reopened) == (5, 1, 2, 1, 1, 1)
    assert (s.rated, s.satisfied) == (3, 3)
    assert s.on_time_rate == pytest.approx(5 / 6)


def test_breakdowns_by_unit_category_channel_line_department_level_severity(november):
    def counts(rows):
        return {row.label: row.received for row in rows if row.received}
    assert counts(stats.by("unit", NOVEMBER, ALL)) == {"城东支行": 3, "城西支行": 3, "客户服务中心": 1}
    assert counts(stats.by("category", NOVEMBER, ALL)) == {
        "等候 / 交付时间": 2, "收费问题": 2, "系统 / App": 1, "其他": 1, "销售行为": 1}
    channels = {row.key: row.received for row in stats.by("channel", NOVEMBER, ALL, labels={"channel": {c: c.value for c in Channel}})}
    assert {k.value: v for k, v in channels.items() if v} == {"counter": 2, "phone": 2, "web": 1, "hotline": 1,
                                                              "letter": 1}
    # The business line is the department the category's routing rule names.
    assert counts(stats.by("business_line", NOVEMBER, ALL)) == {"运营管理部": 3, "个人金融部": 3, "信息科技部": 1}
    departments = {row.key: row.received for row in stats.by("department", NOVEMBER, ALL)}
    assert departments == {unit_id("OPS"): 2, unit_id("RETAIL"): 2, None: 3}
    assert {r.key: r.received for r in stats.by("level", NOVEMBER, ALL, labels={"level": {1: "1", 2: "2", 3: "3"}})} == {1: 1, 2: 3, 3: 3}
    assert {r.key: r.received for r in stats.by("severity", NOVEMBER, ALL, labels={"severity": {"major": "m", "general": "g"}})} == {
        "major": 1, "general": 6}
    west = next(r for r in stats.build_report(NOVEMBER, ALL, "zh_CN", LABELS).by["unit"] if r.label == "城西支行")
    assert (west.closed, west.closed_on_time, west.rated, west.satisfied) == (3, 2, 2, 2)
    assert west.on_time_rate == pytest.approx(2 / 3)


def test_weekly_trend_uses_local_weeks(november):
    points = stats.trend(NOVEMBER, ALL)
    assert [(day.isoformat(), n, closed) for day, n, closed in points] == [
        ("2026-10-26", 1, 1), ("2026-11-02", 2, 2), ("2026-11-09", 2, 1), ("2026-11-16", 2, 2),
        ("2026-11-23", 0, 0), ("2026-11-30", 0, 0)]
    quarter = stats.trend(periods.quarter(date(2026, 11, 1)), ALL)
    assert [(day.isoformat(), n) for day, n, _ in quarter] == [("2026-10-01", 1), ("2026-11-01", 7), ("2026-12-01", 1)]


def test_on_time_rate_per_clock(november):
    clocks = {c.kind: c for c in stats.on_time_by_clock(NOVEMBER, ALL)}
    answer = clocks[DeadlineKind.ANSWER]
    # C1 on time, C2 late, C4 open past due, C5 twice on time.
    assert (answer.judged, answer.on_time, answer.late, answer.running) == (5, 3, 2, 0)
    assert answer.rate == pytest.approx(0.6)
    final = clocks[DeadlineKind.FINAL_DECISION]
    # Six closed, C8 past its 15 days; C4's ceiling (25 November) has passed too.
    assert (final.judged, final.on_time) == (7, 5)


def test_handling_time_average_and_90th_percentile(november):
    handling = stats.handling_time(NOVEMBER, ALL)
    # Receipt to closing, in minutes: C3 65, C7 65, C1 1745, C5 3005, C2 5965, C8 23105.
    assert handling.closed == 6
    assert handling.average_hours == pytest.approx(33950 / 6 / 60, abs=0.01)
    # percentile_cont(0.9): position 4.5 between 5965 and 23105 minutes.
    assert handling.p90_hours == pytest.approx(14535 / 60, abs=0.01)
    assert stats.handling_time(periods.month(date(2026, 9, 1)), ALL).p90_hours is None


def test_satisfaction_causes_and_hot_spots(november):
    assert stats.satisfaction(NOVEMBER, ALL) == [(Satisfaction.A, 1), (Satisfaction.B, 1), (Satisfaction.C, 1),
                                                 (Satisfaction.D, 0)]
    assert stats.causes(NOVEMBER, ALL) == [(CauseKind.PRODUCT, 2, 2), (CauseKind.PROCESS, 1, 1)]
    spots = stats.hot_spots(NOVEMBER, ALL, "zh_CN")
    assert [(h.object_text, h.complaints, h.customers) for h in spots] == [("城东支行营业厅排队", 2, 2)]


def test_unit_assessment(november):
    rows = {row.unit.code: row for row in stats.assessment(NOVEMBER)}
    ops_, retail, it, csc = rows["OPS"], rows["RETAIL"], rows["IT"], rows["CSC"]
    assert (ops_.received, ops_.judged, ops_.on_time, ops_.overdue_now, ops_.actions_overdue) == (2, 2, 1, 1, 0)
    assert (retail.received, retail.judged, retail.on_time, retail.reopened, retail.actions_overdue) == (2, 3, 2, 1, 1)
    assert retail.reopen_rate == pytest.approx(0.5) and retail.satisfaction_rate == pytest.approx(1.0)
    assert (it.received, it.on_time_rate) == (0, None)
    # C7: registration, first response, resolution and ceiling met; the 30-minute dispatch clock missed.
    assert (csc.received, csc.judged, csc.on_time) == (1, 5, 4)
    assert (rows["BR01"].received, rows["BR02"].received, rows["BR02"].reopened) == (3, 3, 1)


@pytest.mark.one_backend
def test_periods_parse_and_move(app):   # the app's clock: a period may lie at most ten years ahead
    assert periods.parse_period("2026-W47") == Period("week", date(2026, 11, 16), date(2026, 11, 23))
    assert periods.parse_period("2026-Q4") == Period("quarter", date(2026, 10, 1), date(2027, 1, 1))
    assert periods.parse_period("2026-12").next() == Period("month", date(2027, 1, 1), date(2027, 2, 1))
    assert periods.parse_period(None, "2026-11-01", "2026-11-30").end == date(2026, 12, 1)
    for bad in ("2026-13", "November", "2026-W60"):
        with pytest.raises(periods.BadPeriod):
            periods.parse_period(bad)
    with pytest.raises(periods.BadPeriod):
        periods.parse_period(None, "2026-11-30", "2026-11-01")


@pytest.mark.one_backend
def test_monthly_report_is_last_month_on_the_first(app, clock):
    clock.set(local(2026, 12, 1, 8, 0))
    assert periods.latest_complete("month") == NOVEMBER
    assert periods.latest_complete("quarter").code == "2026-Q3"


# The pages


def test_statistics_page_shows_the_figures_with_charts_and_tables(november, client_for):
    page = client_for("center1").get("/reports/?period=2026-11")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="received">7<' in html
    assert 'data-testid="on-time-rate">83.3%<' in html
    assert 'data-testid="average-hours">94.3<' in html
    for name in ("trend", "unit", "category", "channel", "business_line", "severity", "level", "clocks",
                 "satisfaction", "causes"):
        assert f'data-testid="chart-{name}"' in html and f'data-testid="table-{name}"' in html


def test_units_see_their_own_figures(november, client_for):
    def received(username, query="period=2026-11"):
        html = client_for(username).get(f"/reports/?{query}").text
        return int(html.split('data-testid="received">', 1)[1].split("<", 1)[0])
    assert received("staff2") == 3          # 城西支行: C2, C5, C8
    assert received("head1") == 3           # 城东支行: C1, C3, C4
    assert received("dept2") == 2           # 个人金融部: dispatched C2, C5
    assert received("leader1") == 7
    assert received("center1", f"period=2026-11&unit={unit_id('BR02')}") == 3
    # A unit cannot widen its scope through the URL.
    assert received("staff2", f"period=2026-11&unit={unit_id('BR01')}") == 3


@pytest.mark.one_backend
def test_who_may_open_what(app, client_for):
    admin = client_for("admin")
    assert admin.get("/reports/").status_code == 403
    assert admin.get("/reports/monthly").status_code == 403
    staff = client_for("staff1")
    assert staff.get("/reports/assessment").status_code == 403
    assert staff.get("/reports/assessment.xlsx").status_code == 403
    assert staff.get("/reports/monthly").status_code == 200
    assert client_for("leader1").get("/reports/assessment").status_code == 200
    assert "/reports/" in client_for("head1").get("/branch/").text        # linked in the navigation
    assert "/reports/" not in admin.get("/admin/").text


@pytest.mark.one_backend
def test_bad_period_is_a_400_with_a_message(app, client_for):
    center = client_for("center1")
    page = center.get("/reports/?period=November")
    assert page.status_code == 400 and "2026-W47" in page.text
    assert center.get("/reports/monthly?from=2026-11-30&to=2026-11-01").status_code == 400
    assert center.get("/reports/daily").status_code == 404


def test_monthly_excel_reads_back_with_chinese_headers(november, client_for):
    response = client_for("center1").get("/reports/monthly.xlsx?period=2026-11")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.data))
    summary = book.worksheets[0]
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=5, values_only=True)}
    assert values["受理件数"] == 7 and values["办结件数"] == 6
    assert values["按时办结率（监管时限）"] == pytest.approx(5 / 6)
    assert values["处理时长 90 分位（小时）"] == pytest.approx(242.25, abs=0.01)
    category = book["按投诉类别"]
    assert [c.value for c in category[4]][:5] == ["类别", "受理件数", "办结件数", "按时办结件数", "按时办结率"]
    rows = {row[0]: row for row in category.iter_rows(min_row=5, values_only=True)}
    assert rows["收费问题"][1:4] == (2, 2, 2) and rows["合计"][1] == 7
    unit_sheet = book["按网点机构"]
    units = {row[0]: row[1] for row in unit_sheet.iter_rows(min_row=5, values_only=True)}
    assert units["城西支行"] == 3 and units["合计"] == 7
    assert "按业务条线" in book.sheetnames and "按渠道" in book.sheetnames


def test_assessment_excel(november, client_for):
    response = client_for("leader1").get("/reports/assessment.xlsx?period=2026-11")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert rows["个人金融部"][1:4] == (2, 3, 2)
    assert rows["个人金融部"][4] == pytest.approx(2 / 3)


@pytest.mark.one_backend
def test_weekly_print_view_has_the_organisation_and_signatures(november, client_for, app):
    page = client_for("head2").get("/reports/weekly/print?period=2026-W47")
    assert page.status_code == 200
    assert "示范银行股份有限公司" in page.text and "制表人" in page.text and "审核人" in page.text
    assert "css/print.css" in page.text
    assert "城西支行" in page.text          # head2's own branch only
    assert "城东支行" not in page.text
    for kind in ("monthly", "quarterly", "annual"):
        assert client_for("center1").get(f"/reports/{kind}/print?period=2026-11".replace(
            "2026-11", {"monthly": "2026-11", "quarterly": "2026-Q4", "annual": "2026"}[kind])).status_code == 200


# Corrective actions


def test_department_records_an_action_and_its_owner_marks_it_done(november, client_for, clock):
    c2 = november[2]
    dept2 = client_for("dept2")
    form = dept2.get(f"/reports/actions/new/{c2.id}")
    assert form.status_code == 200 and "纠正" in form.text
    bad = dept2.post(f"/reports/actions/new/{c2.id}", data={"cause_kind": "", "description": "", "owner": "0",
                                                           "due_date": "2026-11-01"})
    assert bad.status_code == 422 and "截止日期不能早于今天" in bad.text
    done = dept2.post(f"/reports/actions/new/{c2.id}", data={
        "cause_kind": "process", "description": "修订短信收费告知流程", "owner": str(user("dept2").id),
        "due_date": "2026-12-09"})
    assert done.status_code == 303
    action = db.session.scalar(select(CorrectiveAction).where(CorrectiveAction.description == "修订短信收费告知流程"))
    assert action.unit.code == "RETAIL" and action.done_at is None
    assert "修订短信收费告知流程" in dept2.get(f"/complaints/{c2.id}").text      # on the complaint page and its history
    # Another department and a branch may not record one; only the owner marks it done.
    assert client_for("dept1").get(f"/reports/actions/new/{c2.id}").status_code == 404
    assert client_for("staff2").get(f"/reports/actions/new/{c2.id}").status_code == 403
    assert client_for("dept1").post(f"/reports/actions/{action.id}/done", data={"note": "x"}).status_code == 404
    assert dept2.post(f"/reports/actions/{action.id}/done", data={"note": ""}).status_code == 422
    assert dept2.post(f"/reports/actions/{action.id}/done", data={"note": "已修订"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(CorrectiveAction, action.id).done_at == clock()


def test_overdue_actions_are_listed(november, client_for):
    page = client_for("center1").get("/reports/actions?status=overdue")
    assert page.status_code == 200
    assert "调整收费提示" in page.text and "增开窗口" not in page.text      # C2's is late; C1's is done
    assert "调整收费提示" not in client_for("dept1").get("/reports/actions?status=all").text
