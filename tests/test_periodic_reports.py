"""The retail chain's periodic reports (profiles/retail.yaml records: monthly_reports, quarterly_analysis):
each store's monthly report by the 3rd, operations' by the 5th, the service center's summary by the 10th,
their figures generated from October's complaints and frozen once submitted, each unit reminded once the
working day before and once on the due date; the stores' and departments' quarterly written analysis in
five parts, 500 characters at least, read by the center. Nothing of it for the bank."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models import Complaint, OutboxMessage, PeriodicReport, ReportKind
from services import clock as business_clock, jobs, periodic
from services.demo import seed_demo
from tests.conftest import Client, _wipe
from tests.helpers import category_id, dispatch, register, unit_id, user


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A local time in the business time zone, as the naive UTC the clock keeps."""
    return business_clock.from_local(datetime(year, month, day, hour))


def retail_chain(app) -> None:
    _wipe()
    seed_demo("retail")


def signed_in(app, username: str) -> Client:
    client = Client(app)
    assert client.login(username).status_code == 303
    return client


def report_of(code: str, period: str, kind: ReportKind = ReportKind.MONTHLY) -> PeriodicReport:
    db.session.expire_all()
    return db.session.scalars(select(PeriodicReport).where(
        PeriodicReport.unit_id == unit_id(code), PeriodicReport.period == period, PeriodicReport.kind == kind)).one()


def mails_to(username: str) -> list[str]:
    """The periodic reports' reminders queued for the user (the complaints' own deadline notices aside)."""
    return [subject for subject in db.session.scalars(select(OutboxMessage.subject).where(
        OutboxMessage.to_addr == user(username).email).order_by(OutboxMessage.id)) if "月度报表" in subject]


def figure(page: str, key: str) -> int:
    return int(re.search(rf'data-figure="{key}">(\d+)<', page).group(1))


def lower_row(page: str, code: str) -> str:
    return re.search(rf'<tr data-testid="lower-{unit_id(code)}".*?</tr>', page, re.DOTALL).group(0)


def octobers_complaints(app, clock) -> list[Complaint]:
    """Three complaints at 人民路店 (one dispatched to operations) and one at 中山路店, in October."""
    clock.set(at(2026, 10, 12))
    store1, store2 = signed_in(app, "store1"), signed_in(app, "store2")
    made = [register(store1, category=str(category_id(code)), object_text=about, received_at="2026-10-12T09:50")
            for code, about in (("goods_quality", "酸奶胀包"), ("goods_quality", "面包过期"), ("service", "收银员态度"))]
    assert dispatch(store1, made[2], "OPSD").status_code == 303
    made.append(register(store2, category=str(category_id("price")), object_text="结账多收",
                         received_at="2026-10-12T09:50"))
    return made


def test_the_monthly_chain_flows_up_from_the_stores_to_the_center_on_its_due_dates(app, clock):
    retail_chain(app)
    complaints = octobers_complaints(app, clock)

    # 2 November, the working day before the stores' due date: each store's people are reminded, once.
    clock.set(at(2026, 11, 2, 9))
    assert periodic.sweep() == {"report_reminders": 2}          # 人民路店, 中山路店
    assert periodic.sweep() == {"report_reminders": 0}          # a second sweep sends nothing again
    assert jobs.tick()["report_reminders"] == 0                 # nor does the worker's tick
    for username in ("store1", "storemgr1", "store2", "storemgr2"):
        assert mails_to(username) == ["提醒：人民路店 月度报表 2026-10 应于 2026-11-03 前提交"
                                      if username.endswith("1") else
                                      "提醒：中山路店 月度报表 2026-10 应于 2026-11-03 前提交"], username
    assert mails_to("opshead") == [] and mails_to("center1") == []   # their due dates are later
    store = report_of("S01", "2026-10")
    assert store.due_date.isoformat() == "2026-11-03" and store.level == 0
    assert report_of("OPSD", "2026-10").due_date.isoformat() == "2026-11-05"
    assert report_of("CSC", "2026-10").due_date.isoformat() == "2026-11-10"
    # Switched on in November: the third quarter's analyses (due 15 October) do not start out overdue.
    assert db.session.scalar(select(func.count()).select_from(PeriodicReport).where(
        PeriodicReport.kind == ReportKind.QUARTERLY)) == 0

    # 3 November: the store manager finds the report, its figures generated from October, and submits it.
    clock.set(at(2026, 11, 3, 9))
    manager = signed_in(app, "storemgr1")
    listing = manager.get("/periodic/").text
    assert f'href="/periodic/{store.id}"' in listing and "周期报表" in listing
    page = manager.get(f"/periodic/{store.id}").text
    assert figure(page, "received") == 3 and figure(page, "closed") == 0
    assert "商品质量" in page and "中山路店" not in page                # its own complaints only
    refused = manager.post(f"/periodic/{store.id}/submit", data={"comment": ""})
    assert refused.status_code == 422 and "简要" in refused.text
    assert manager.post(f"/periodic/{store.id}/submit",
                        data={"comment": "本月商品质量投诉两起，已督促供应商整改。"}).status_code == 303
    # The due-day reminder goes to 中山路店 only: 人民路店 has submitted.
    assert periodic.sweep() == {"report_reminders": 1}
    assert len(mails_to("storemgr1")) == 1 and mails_to("storemgr2")[-1].startswith("今日截止")
    assert periodic.sweep() == {"report_reminders": 0}

    # Frozen: a complaint moved to the store afterwards changes nothing in the submitted report.
    db.session.execute(update(Complaint).where(Complaint.id == complaints[3].id).values(unit_id=unit_id("S01")))
    db.session.commit()
    page = manager.get(f"/periodic/{store.id}").text
    assert figure(page, "received") == 3 and "本月商品质量投诉两起" in page and "submit-form" not in page
    assert report_of("S01", "2026-10").figures["summary"]["received"] == 3
    assert manager.post(f"/periodic/{store.id}/submit", data={"comment": "再交一次"}).status_code == 403

    # 5 November: operations sees 人民路店 on time and 中山路店 overdue, reads the one, submits its own.
    clock.set(at(2026, 11, 5, 9))
    operations = signed_in(app, "opshead")
    ops_report = report_of("OPSD", "2026-10")
    page = operations.get(f"/periodic/{ops_report.id}").text
    assert figure(page, "received") == 1                                  # the complaint dispatched to it
    assert "按时" in lower_row(page, "S01") and "3" in lower_row(page, "S01")
    assert "逾期未交" in lower_row(page, "S02")
    listing = operations.get("/periodic/").text
    assert f'href="/periodic/{store.id}"' in listing
    assert "逾期未交" in re.search(rf'data-testid="report-{report_of("S02", "2026-10").id}".*?</tr>', listing,
                              re.DOTALL).group(0)
    assert operations.post(f"/periodic/{store.id}/read").status_code == 303
    assert report_of("S01", "2026-10").read_by.username == "opshead"
    assert operations.post(f"/periodic/{ops_report.id}/submit",
                           data={"comment": "门店服务类投诉已约谈店长。"}).status_code == 303
    # A store sees neither operations' report nor the other store's.
    assert manager.get(f"/periodic/{ops_report.id}").status_code == 404
    assert manager.get(f"/periodic/{report_of('S02', '2026-10').id}").status_code == 404
    assert manager.post(f"/periodic/{store.id}/read").status_code == 403

    # 10 November: the center's summary counts every October complaint and shows the chain below it.
    clock.set(at(2026, 11, 10, 9))
    center = signed_in(app, "center1")
    summary = report_of("CSC", "2026-10")
    page = center.get(f"/periodic/{summary.id}").text
    assert figure(page, "received") == 4
    assert "按时" in lower_row(page, "OPSD") and "逾期未交" in lower_row(page, "GOODS")
    assert "按时" in lower_row(page, "S01") and "逾期未交" in lower_row(page, "S02")
    assert center.post(f"/periodic/{summary.id}/submit", data={"comment": "十月投诉汇总。"}).status_code == 303
    director = signed_in(app, "director")
    assert director.post(f"/periodic/{summary.id}/read").status_code == 303
    assert report_of("CSC", "2026-10").read_at == at(2026, 11, 10, 9)


PART_NAMES = ("causes", "methods", "successes", "improvements", "support")


def test_the_quarterly_analysis_needs_five_parts_and_500_characters_and_is_read_by_the_center(app, clock):
    retail_chain(app)
    clock.set(at(2027, 1, 6))
    manager = signed_in(app, "storemgr1")
    manager.get("/periodic/")
    report = report_of("S01", "2026-Q4", ReportKind.QUARTERLY)
    assert report.due_date.isoformat() == "2027-01-15"
    page = manager.get(f"/periodic/{report.id}").text
    assert all(f'name="{name}"' in page for name in PART_NAMES) and "主要原因" in page

    short = {name: f"第{index}部分：商品质量问题较多，需加强验收。" for index, name in enumerate(PART_NAMES, 1)}
    refused = manager.post(f"/periodic/{report.id}/submit", data=short)
    assert refused.status_code == 422
    assert "至少需要 500 字" in refused.text and "第3部分：商品质量问题较多，需加强验收。" in refused.text
    missing = dict(short, support="")
    assert manager.post(f"/periodic/{report.id}/submit", data=missing).status_code == 422
    assert report_of("S01", "2026-Q4", ReportKind.QUARTERLY).submitted_at is None

    long = {name: text * 6 for name, text in short.items()}   # 5 × 6 × 20 = 600 characters
    assert manager.post(f"/periodic/{report.id}/submit", data=long).status_code == 303
    submitted = report_of("S01", "2026-Q4", ReportKind.QUARTERLY)
    assert submitted.parts == long and submitted.submitted_by.username == "storemgr1"

    # Operations sees it but does not mark it read: the center does.
    assert signed_in(app, "opshead").post(f"/periodic/{report.id}/read").status_code == 403
    center = signed_in(app, "center1")
    page = center.get(f"/periodic/{report.id}").text
    assert "第5部分" in page and 'data-testid="read-form"' in page
    assert center.post(f"/periodic/{report.id}/read").status_code == 303
    assert report_of("S01", "2026-Q4", ReportKind.QUARTERLY).read_by.username == "center1"
    # The center writes no quarterly analysis of its own here.
    assert db.session.scalar(select(func.count()).select_from(PeriodicReport).where(
        PeriodicReport.kind == ReportKind.QUARTERLY, PeriodicReport.unit_id == unit_id("CSC"))) == 0


@pytest.mark.one_backend
def test_the_bank_keeps_no_periodic_reports(app, client_for, clock):
    clock.set(at(2026, 11, 2, 9))
    assert periodic.sweep() == {"report_reminders": 0}
    assert db.session.scalar(select(func.count()).select_from(PeriodicReport)) == 0
    center = client_for("center1")
    assert center.get("/periodic/").status_code == 404
    assert "/periodic/" not in center.get("/work/").text
    assert center.get("/periodic/1").status_code == 404
    assert client_for("admin").get("/periodic/").status_code == 403


# Who sees, writes and reads which report (the matrix of tests/test_matrix.py runs on the bank, where
# these pages are 404 for everyone). GET of the report page, then an empty submission.
SEES = {"store1": {"S01"}, "storemgr1": {"S01"}, "store2": {"S02"}, "opshead": {"S01", "S02", "OPSD"},
        "goods1": {"S01", "S02", "GOODS"}, "center1": {"S01", "S02", "OPSD", "GOODS", "CSC"},
        "director": {"S01", "S02", "OPSD", "GOODS", "CSC"}}


@pytest.mark.one_backend
def test_each_unit_sees_its_own_reports_and_those_of_the_levels_below(app, clock):
    retail_chain(app)
    clock.set(at(2026, 11, 2))
    periodic.ensure_reports()
    db.session.commit()
    reports = {code: report_of(code, "2026-10").id for code in ("S01", "S02", "OPSD", "GOODS", "CSC")}
    wrong = []
    for username, sees in SEES.items():
        client = signed_in(app, username)
        if client.get("/periodic/").status_code != 200:
            wrong.append(f"{username} index")
        for code, report_id in reports.items():
            shown = client.get(f"/periodic/{report_id}").status_code
            submitted = client.post(f"/periodic/{report_id}/submit", data={}).status_code
            read = client.post(f"/periodic/{report_id}/read").status_code
            # Its own unit's report: the form's message (422); one above it: read-only (403); else 404.
            own = user(username).unit.code == code
            want = (200, 422 if own else 403, 403) if code in sees else (404, 404, 404)
            if (shown, submitted, read) != want:
                wrong.append(f"{username} on {code}: {(shown, submitted, read)}, expected {want}")
    admin = signed_in(app, "admin")
    assert admin.get("/periodic/").status_code == 403 and admin.get(f"/periodic/{reports['S01']}").status_code == 403
    assert not wrong, "\n".join(wrong)


@pytest.mark.one_backend
def test_random_text_in_the_report_forms_never_fails_with_a_server_error(app, clock):
    from tests.test_fuzz import field_names, fuzz_post
    retail_chain(app)
    clock.set(at(2027, 1, 2))
    manager = signed_in(app, "storemgr1")
    manager.get("/periodic/")
    for kind, period in ((ReportKind.MONTHLY, "2026-12"), (ReportKind.QUARTERLY, "2026-Q4")):
        page = f"/periodic/{report_of('S01', period, kind).id}"
        fuzz_post(manager, f"{page}/submit", field_names(manager, page))


def test_the_centers_annual_report_is_due_in_january_and_read_by_the_leaders(app, clock):
    retail_chain(app)
    clock.set(at(2027, 1, 19, 9))
    assert periodic.sweep() == {"report_reminders": 1}     # the working day before 20 January: the center
    assert [s for s in db.session.scalars(select(OutboxMessage.subject).where(
        OutboxMessage.to_addr == user("center1").email))] == ["提醒：客户服务中心 年度报告 2026 应于 2027-01-20 前提交"]
    report = report_of("CSC", "2026", ReportKind.ANNUAL)
    center = signed_in(app, "center1")
    assert center.post(f"/periodic/{report.id}/submit", data={"comment": " "}).status_code == 422
    assert center.post(f"/periodic/{report.id}/submit",
                       data={"comment": "全年受理投诉以商品质量为主，门店整改到位。"}).status_code == 303
    assert signed_in(app, "opshead").get(f"/periodic/{report.id}").status_code == 404
    assert center.post(f"/periodic/{report.id}/read").status_code == 403
    director = signed_in(app, "director")
    assert "全年受理投诉以商品质量为主" in director.get(f"/periodic/{report.id}").text
    assert director.post(f"/periodic/{report.id}/read").status_code == 303
    assert report_of("CSC", "2026", ReportKind.ANNUAL).read_by.username == "director"
    assert db.session.scalar(select(func.count()).select_from(PeriodicReport).where(
        PeriodicReport.kind == ReportKind.ANNUAL)) == 1       # the center's alone


def test_a_unit_added_later_gets_its_report_of_the_running_period(app, clock):
    from models import Unit, UnitKind
    retail_chain(app)
    clock.set(at(2026, 11, 2))
    periodic.ensure_reports()
    db.session.add(Unit(code="S03", name="解放路店", name_en="Jiefang Road Store", kind=UnitKind.BRANCH,
                        parent_id=unit_id("HQ")))
    db.session.commit()
    clock.set(at(2026, 11, 4))
    assert periodic.ensure_reports() == 1
    db.session.commit()
    assert periodic.status(report_of("S03", "2026-10")) == "overdue"   # its due date passed: the level above sees it
    assert periodic.ensure_reports() == 0
