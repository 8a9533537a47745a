"""The ledger (台账) as its users see it: filters, search, order, keyset pages, the URL, exports read
back, the export job run in-process, who sees what, and the printed handling form."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models import ComplaintEvent
from tests.helpers import category_id, dispatch, register, unit_id, visit
from tests.test_query_counts import statements
from tests.test_worker import run_worker

NUMBER = re.compile(r"TS-\d{8}-\d{4}")


def listed(client, url: str) -> list[str]:
    """The complaint numbers in the ledger's table, in order."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    table = response.text.split('id="ledger-results"', 1)[1]
    return NUMBER.findall(table.split("</table>", 1)[0]) if "<table" in table else []


@pytest.fixture
def cases(client_for, clock) -> dict:
    """Five complaints over two days and two branches, each different in what the filters look at."""
    staff1, staff2 = client_for("staff1"), client_for("staff2")
    made = {
        "a": register(staff1, customer_name="王建国", channel="counter", level="2", object_text="城东支行一号窗口"),
        "b": register(staff1, customer_name="李梅", channel="phone", level="1", media="y", category=category_id("fees"),
                      content="手续费扣收有误，要求退还。", object_text="城东支行收费"),
    }
    clock.advance(days=1)     # Wednesday 10:00: a and b were never dispatched and are overdue now
    today = "2026-11-25T09:55"
    made["c"] = register(staff1, customer_name="陈小红", channel="counter", level="3", object_text="城东支行大堂", received_at=today,
                         solved_on_spot="y", on_spot_result="当场解决")
    visit(client_for("center1"), made["c"], "C")
    made["d"] = register(staff2, customer_name="赵六", channel="email", level="3", kind="discovered",
                         category=category_id("system_app"), content="App 无法登录，提示网络错误。", received_at=today,
                         object_text="手机银行")
    made["e"] = register(staff2, customer_name="孙七", channel="phone", level="2", object_text="城西支行叫号机",
                         received_at=today)
    dispatch(staff2, made["e"], "OPS")
    db.session.expire_all()
    return {name: db.session.get(type(c), c.id).number for name, c in made.items()} | {"ids": {
        name: c.id for name, c in made.items()}}


def names(cases: dict, numbers: list[str]) -> str:
    by_number = {number: name for name, number in cases.items() if name != "ids"}
    return "".join(by_number[n] for n in numbers)


def test_the_center_sees_every_complaint_newest_first(client_for, cases):
    assert names(cases, listed(client_for("center1"), "/ledger/")) == "edcba"


@pytest.mark.parametrize("query, expected", [
    ("date_from=2026-11-25", "edc"), ("date_to=2026-11-24", "ba"),
    ("date_from=2026-11-24&date_to=2026-11-24", "ba"),
    ("unit={BR02}", "ed"), ("unit={OPS}", "e"), ("category={fees}", "b"),
    ("channel=phone", "eb"), ("severity=major", "b"), ("severity=general", "edca"), ("level=1", "b"),
    ("state=closed", "c"), ("state=dispatched", "e"), ("overdue=yes", "ba"), ("overdue=no", "edc"),
    ("satisfaction=C", "c"), ("kind=discovered", "d"), ("channel=phone&level=2", "e"),
    ("q=手续费", "b"), ("q=赵六", "d"), ("q=app", "d"), ("q=100%25", ""),
    ("q=错误", "d"), ("q=AP", "d"), ("q=六", "d"), ("q=赵七", ""), ("q=网络错", "d"), ("q=错网络", ""),
])
def test_each_filter_narrows_the_rows(client_for, cases, query, expected):
    query = query.format(BR02=unit_id("BR02"), OPS=unit_id("OPS"), fees=category_id("fees"))
    assert names(cases, listed(client_for("center1"), f"/ledger/?{query}")) == expected


def test_the_count_follows_the_filter_and_the_users_units(client_for, cases):
    assert ">2 笔投诉<" in client_for("center1").get("/ledger/count?channel=phone").text
    assert ">5 笔投诉<" in client_for("leader1").get("/ledger/count").text
    assert ">1 笔投诉<" in client_for("staff2").get("/ledger/count?channel=phone").text
    assert client_for("center1").get("/ledger/count?level=9").status_code == 400
    assert 'hx-get="/ledger/count?channel=phone"' in client_for("center1").get("/ledger/?channel=phone").text


def test_search_finds_a_complaint_by_its_number(client_for, cases):
    assert listed(client_for("leader1"), f"/ledger/?q={cases['d'][-6:]}") == [cases["d"]]


@pytest.mark.parametrize("sort, expected", [
    ("registered", "abcde"), ("number", "abcde"), ("-number", "edcba"), ("level", "baecd"), ("-level", "dceab"),
])
def test_the_order_can_be_chosen(client_for, cases, sort, expected):
    assert names(cases, listed(client_for("center1"), f"/ledger/?sort={sort}")) == expected


def test_pages_follow_the_last_row_not_an_offset_and_keep_the_filter(app, client_for, cases):
    app.config["PAGE_SIZE"] = 2
    center = client_for("center1")

    def links(url):
        page = center.get(url).text
        return {rel: link.replace("&amp;", "&") for link, rel in re.findall(r'<a href="([^"]+)"[^>]*rel="(next|prev)"', page)}
    assert names(cases, listed(center, "/ledger/?severity=general")) == "ed"
    first = links("/ledger/?severity=general")
    assert set(first) == {"next"} and "after=" in first["next"] and "severity=general" in first["next"]
    assert "page=" not in first["next"]
    assert names(cases, listed(center, first["next"])) == "ca"
    second = links(first["next"])
    assert set(second) == {"prev"}                    # the last page has no next
    assert names(cases, listed(center, second["prev"])) == "ed"
    assert "首页" in center.get(first["next"]).text or "First page" in center.get(first["next"]).text


@pytest.mark.one_backend
def test_a_page_link_that_was_tampered_with_is_a_400_with_the_first_page(client_for, cases):
    response = client_for("center1").get("/ledger/?after=bm90IGEgY3Vyc29y")
    assert response.status_code == 400
    assert NUMBER.findall(response.text)[:1] == [cases["e"]]


@pytest.mark.one_backend
def test_the_filter_lives_in_the_url_and_htmx_gets_only_the_table(client_for, cases):
    center = client_for("center1")
    page = center.get("/ledger/?channel=phone&level=2").text
    assert '<option selected value="phone">' in page and '<option selected value="2">' in page
    response = center.get("/ledger/?q=&date_from=&channel=phone&level=&sort=-registered",
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and response.text.lstrip().startswith('<div id="ledger-results">')
    assert response.headers["HX-Push-Url"] == "/ledger/?channel=phone"   # the shareable, tidy address
    assert "HX-Request" in response.headers["Vary"]
    # Back after htmx's history cache is gone: the whole page again.
    restored = center.get("/ledger/?channel=phone", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text


@pytest.mark.parametrize("query, message", [
    ("date_from=2026-13-01", "Not a valid date value"), ("date_from=2026-11-25&date_to=2026-11-24", "before"),
    ("unit=99999", "Not a valid choice"), ("sort=customer; drop", "Not a valid choice"),
    ("q=" + "x" * 101, "100"),
])
@pytest.mark.one_backend
def test_a_bad_filter_is_a_400_with_the_message(client_for, cases, query, message):
    response = client_for("center1").get(f"/ledger/?{query}")
    assert response.status_code == 400
    assert message in response.text or message in _english(client_for, query)


def _english(client_for, query):
    """The same page in English, for messages whose Chinese wording the test does not pin."""
    client = client_for("center1")
    client.post("/language", data={"locale": "en"})
    return client.get(f"/ledger/?{query}").text


def test_units_see_only_their_own_complaints(client_for, cases):
    assert names(cases, listed(client_for("staff2"), "/ledger/")) == "ed"
    assert names(cases, listed(client_for("head1"), "/ledger/")) == "cba"
    assert names(cases, listed(client_for("dept1"), "/ledger/")) == "e"
    assert listed(client_for("staff2"), "/ledger/?q=王建国") == []
    assert listed(client_for("staff2"), f"/ledger/?q={cases['a']}") == []
    assert 'name="unit"' not in client_for("staff2").get("/ledger/").text   # no other units to choose
    assert client_for("admin").get("/ledger/").status_code == 403


@pytest.mark.one_backend
def test_the_navigation_links_the_ledger_for_those_who_may_use_it(client_for):
    assert 'href="/ledger/"' in client_for("staff1").get("/intake/").text
    assert 'href="/ledger/"' in client_for("center1").get("/center/").text
    assert 'href="/ledger/"' not in client_for("admin").get("/admin/").text


@pytest.mark.parametrize("q, indexes", [
    ("王五", {"ix_complaint_customer_name_pairs", "ix_complaint_content_pairs"}),
    ("网络错误", {"ix_complaint_customer_name_trgm", "ix_complaint_content_trgm"}),
    ("ts-2026", {"ix_complaint_number_trgm", "ix_complaint_customer_name_trgm", "ix_complaint_content_trgm"}),
])
def test_a_search_reads_indexes_not_every_complaint(cases, q, indexes):
    """A name of two characters that matches nothing must not make PostgreSQL read every complaint:
    each part of the search is one an index answers (with sequential and plain index scans off, the
    plan can only be the indexes' bitmaps, or a sequential scan if one part has no index)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    from sqlalchemy import text
    from services import ledger
    from tests.helpers import plan_of, user
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    plan = plan_of(select(ledger.Complaint.id).where(*ledger.conditions(user("center1"), ledger.Filters(q=q))))
    assert "Seq Scan" not in plan and all(index in plan for index in indexes), plan
    db.session.rollback()


@pytest.mark.parametrize("frequent_pair", [1, 2000])
def test_a_two_character_search_finds_the_same_whether_its_pair_is_frequent_or_not(
        client_for, cases, monkeypatch, frequent_pair):
    """A pair many complaints hold is searched newest first, a rare one through its index."""
    from services import ledger
    monkeypatch.setattr(ledger, "FREQUENT_PAIR", frequent_pair)
    center = client_for("center1")
    for q, expected in (("错误", "d"), ("ap", "d"), ("赵六", "d"), ("李梅", "b"), ("王五", "")):
        assert names(cases, listed(center, f"/ledger/?q={q}")) == expected, q
    assert ">1 笔投诉<" in center.get("/ledger/count?q=赵六").text


def test_the_ledger_runs_a_fixed_number_of_queries(client_for, cases):
    center = client_for("center1")
    few = statements(center, "/ledger/?date_to=2026-11-24")
    many = statements(center, "/ledger/")
    assert few == many and many <= 10


def _export(client, query: str, fmt: str):
    return client.post(f"/ledger/export?{query}", data={"fmt": fmt})


def test_a_small_excel_export_downloads_at_once_in_chinese_and_local_time(client_for, cases):
    response = _export(client_for("center1"), "channel=phone", "xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"] and ".xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("投诉编号", "受理时间", "登记时间", "客户")
    assert [row[0] for row in rows[1:]] == [cases["e"], cases["b"]]
    e = dict(zip(header, rows[1]))
    assert e["登记时间"] == datetime(2026, 11, 25, 10, 0)          # 02:00 UTC shown in Shanghai time
    assert e["渠道"] == "电话" and e["状态"] == "承办单位处理中" and e["处理部门"] == "运营管理部"
    b = dict(zip(header, rows[2]))
    assert b["严重程度"] == "重大投诉" and b["已超时"] == "是" and b["等级"] == 1


def test_a_csv_export_has_a_bom_and_never_a_formula(client_for, cases):
    staff1 = client_for("staff1")
    register(staff1, customer_name="周八", content='=HYPERLINK("http://evil.example","点我")', object_text="网银")
    response = _export(staff1, "sort=registered", "csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "投诉编号"
    assert [row[0] for row in rows[1:]] == [cases["a"], cases["b"], cases["c"], NUMBER.search(rows[-1][0]).group()]
    assert rows[-1][rows[0].index("投诉事由")].startswith("'=HYPERLINK")
    assert rows[1][rows[0].index("登记时间")] == "2026-11-24 10:00"


def test_a_branch_export_has_only_the_branchs_rows(client_for, cases):
    rows = list(csv.reader(io.StringIO(_export(client_for("staff2"), "", "csv").data.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [cases["e"], cases["d"]]


@pytest.mark.one_backend
def test_a_bad_export_request_is_refused(client_for, cases):
    center = client_for("center1")
    assert _export(center, "", "pdf").status_code == 400
    assert _export(center, "date_from=yesterday", "csv").status_code == 400
    assert center.post("/ledger/export", data={"fmt": "csv"}, csrf=False).status_code == 400


def test_a_large_export_is_a_job_with_progress_then_a_file_for_its_owner_only(app, client_for, cases, clock, tmp_path):
    app.config.update(LEDGER_EXPORT_SYNC_ROWS=3, LEDGER_EXPORT_DIR=str(tmp_path))
    center = client_for("center1")
    response = _export(center, "sort=registered", "xlsx")
    assert response.status_code == 303
    job_id = re.search(r"export=([0-9a-f]{32})", response.location).group(1)
    page = center.get(response.location).text
    assert 'data-state="running"' in page and 'hx-trigger="every 1s"' in page
    status_url = f"/ledger/exports/{job_id}"
    assert 'data-state="running"' in center.get(status_url).text

    run_worker()
    status = center.get(status_url).text
    assert 'data-state="done"' in status and "hx-trigger" not in status      # polling stops
    download = center.get(f"{status_url}/download")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [cases[n] for n in "abcde"]
    stored = list(Path(tmp_path).iterdir())
    assert [p.name for p in stored] == [f"{job_id}.xlsx"]
    assert "static" not in str(stored[0])

    other = client_for("center1")                # the same role, another session: still the owner
    assert other.get(f"{status_url}/download").status_code == 200
    for username in ("leader1", "head1"):        # anybody else: as if it did not exist
        intruder = client_for(username)
        assert intruder.get(status_url).status_code == 404
        assert intruder.get(f"{status_url}/download").status_code == 404
    assert center.get("/ledger/exports/not-a-job/download").status_code == 404

    clock.advance(hours=1, minutes=1)            # expired: gone, and the file deleted
    assert center.get(f"{status_url}/download").status_code == 404
    assert list(Path(tmp_path).iterdir()) == []


def test_a_branch_users_export_job_writes_only_the_branchs_rows(app, client_for, cases, tmp_path):
    app.config.update(LEDGER_EXPORT_SYNC_ROWS=1, LEDGER_EXPORT_DIR=str(tmp_path))
    staff2 = client_for("staff2")
    job_id = re.search(r"export=([0-9a-f]{32})", _export(staff2, "", "csv").location).group(1)
    run_worker()
    data = staff2.get(f"/ledger/exports/{job_id}/download").data.decode("utf-8-sig")
    assert [row[0] for row in list(csv.reader(io.StringIO(data)))[1:]] == [cases["e"], cases["d"]]
    assert client_for("staff1").get(f"/ledger/exports/{job_id}/download").status_code == 404


@pytest.mark.one_backend
def test_an_export_without_redis_says_so_instead_of_failing(app, client_for, cases):
    app.config.update(LEDGER_EXPORT_SYNC_ROWS=1, REDIS_URL="redis://127.0.0.1:1/0")
    app.extensions.pop("redis", None)
    center = client_for("center1")
    response = _export(center, "channel=phone", "csv")
    assert response.status_code == 303 and "channel=phone" in response.location
    assert "任务队列无响应，导出未能开始" in center.get(response.location).text


@pytest.mark.one_backend
def test_the_handling_form_prints_with_the_organisation_and_signature_lines(app, client_for, cases):
    center = client_for("center1")
    complaint_id = cases["ids"]["b"]
    response = center.get(f"/ledger/{complaint_id}/print")
    assert response.status_code == 200
    page = response.text
    assert "示范银行股份有限公司" in page and "客户投诉处理单" in page and cases["b"] in page
    assert "手续费扣收有误" in page and "print.css" in page
    assert page.count('class="signatures"') == 1 and "客户服务中心" in page
    viewed = db.session.scalars(select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == complaint_id)).all()
    assert "viewed" in viewed
    assert client_for("staff2").get(f"/ledger/{complaint_id}/print").status_code == 404
    assert f"/ledger/{complaint_id}/print" in center.get("/ledger/").text


def test_the_print_stylesheet_sets_a4():
    css = (Path(__file__).parent.parent / "static" / "css" / "print.css").read_text()
    assert "size: A4" in css and ".handling-form" in css


def test_the_workers_purge_deletes_export_files_past_their_time_and_keeps_the_rest(app, tmp_path):
    import os
    import time

    from services.queue import queue
    app.config.update(LEDGER_EXPORT_DIR=str(tmp_path))
    expired, fresh = tmp_path / ("a" * 32 + ".xlsx"), tmp_path / ("b" * 32 + ".csv")
    expired.write_bytes(b"old")
    fresh.write_bytes(b"new")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(expired, (two_hours_ago, two_hours_ago))
    queue().enqueue("services.jobs.purge_expired")      # what the cron enqueues every PURGE_SECONDS
    run_worker()
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name]
