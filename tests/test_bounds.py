"""Extreme values (year 1, year 9999, page 10**20) answer 400/422 with a message, never 500; the
range is services.bounds'. And the 500 page, if one happens, is the app's own."""
from __future__ import annotations

import pytest

from services import bounds
from tests.conftest import complaint_form

LATEST = "2036-11-24"      # ten years after the frozen clock's day (tests/conftest.START)
HUGE = "99999999999999999999"
DATE_MESSAGE = f"2000-01-01 至 {LATEST}"     # "Enter a date from 2000-01-01 to 2036-11-24." in Chinese

EXTREME_DATES = [
    "/ledger/?date_to=9999-12-31", "/ledger/?date_from=0001-01-01", "/ledger/count?date_to=9999-12-31",
    "/audit/?date_to=9999-12-31", "/audit/?date_from=0001-01-01", "/audit/export.csv?date_to=9999-12-31",
    "/reports/?from=9999-12-31&to=9999-12-31", "/reports/?from=0001-01-01&to=0001-01-01",
    "/reports/weekly?period=9999-W52", "/reports/annual?period=0001", "/reports/monthly.xlsx?period=9999-12",
    "/reports/weekly.xlsx?period=9999-W52", "/reports/annual/print?period=0001", "/reports/assessment?period=9999-12",
    "/reports/assessment.xlsx?period=0001-01",
]
HUGE_PAGES = {"center1": ["/audit/", "/intake/", "/center/", "/center/visits", "/center/incidents",
                          "/reports/actions", "/department/", "/ledger/"],
              "head1": ["/branch/", "/branch/approvals"], "dept1": ["/department/"],
              "admin": ["/admin/users", "/admin/calendar"]}


def test_extreme_dates_in_filters_and_reports_are_refused_with_a_message(client_for):
    center = client_for("center1")
    for url in EXTREME_DATES:
        response = center.get(url)
        assert response.status_code in (400, 422), (url, response.status_code)
        if "xlsx" not in url and "print" not in url and "export" not in url and "count" not in url:
            assert DATE_MESSAGE in response.text, url


def test_a_date_ten_years_ahead_is_still_accepted(client_for):
    center = client_for("center1")
    assert center.get(f"/ledger/?date_to={LATEST}").status_code == 200
    assert center.get("/reports/?from=2000-01-01&to=2000-12-31").status_code == 200


@pytest.mark.parametrize("page", [HUGE, str(bounds.MAX_PAGE + 1)])
def test_a_page_number_beyond_the_cap_is_refused_on_every_list(client_for, page):
    for username, urls in HUGE_PAGES.items():
        client = client_for(username)
        for url in urls:
            response = client.get(f"{url}?page={page}")
            assert response.status_code == 400, (username, url, response.status_code)
            assert "最多 10,000 页" in response.text, url


def test_page_numbers_up_to_the_cap_are_an_empty_page(client_for):
    assert client_for("center1").get(f"/center/?page={bounds.MAX_PAGE}").status_code == 200
    assert client_for("center1").get("/center/?page=-5").status_code == 200


@pytest.mark.one_backend
@pytest.mark.parametrize("received_at, message", [("0001-01-01T00:00", "早于一年前"),
                                                  ("9999-12-31T23:59", "不能晚于当前时间"),
                                                  ("2026-11-24T10:06", "不能晚于当前时间")])
def test_registering_with_an_absurd_receipt_time_keeps_the_form(client_for, received_at, message):
    """The frozen clock is 10:00 local; five minutes of a fast clock are tolerated, not six."""
    response = client_for("staff1").post("/intake/new", data=complaint_form(
        received_at=received_at, content="柜台排队一小时无人解释。"))
    assert response.status_code == 422
    assert message in response.text and "柜台排队一小时无人解释。" in response.text


@pytest.mark.one_backend
def test_a_receipt_time_a_few_minutes_ahead_is_accepted(client_for):
    response = client_for("staff1").post("/intake/new", data=complaint_form(received_at="2026-11-24T10:04"))
    assert response.status_code == 303


@pytest.mark.one_backend
def test_a_server_error_shows_the_apps_own_page_in_the_users_language(app, client_for):
    def broken():
        raise RuntimeError("a bug")
    app.add_url_rule("/test-only/broken", "test_only_broken", broken)   # in this test's app only
    app.config["PROPAGATE_EXCEPTIONS"] = False    # as in production: the handler answers, not the test client
    center = client_for("center1")
    response = center.get("/test-only/broken")
    assert response.status_code == 500
    assert "出错了" in response.text and "系统未能完成此次请求" in response.text
    assert "Internal Server Error" not in response.text
    assert 'href="/ledger/' in response.text   # the staff layout, with its menu
    center.post("/language", data={"locale": "en"})
    assert "Something went wrong" in center.get("/test-only/broken").text


def test_a_nul_character_in_a_query_string_is_refused_on_the_apps_own_page(client_for):
    """Found by the GET fuzz on PostgreSQL, which cannot compare text with NUL (the user search)."""
    response = client_for("admin").get("/admin/users?q=a%00b")
    assert response.status_code == 400 and "无法识别该请求" in response.text


@pytest.mark.one_backend
def test_an_export_with_extreme_dates_is_refused_with_a_message(client_for):
    center = client_for("center1")
    for query in ("date_to=9999-12-31", "date_from=0001-01-01"):
        response = center.post(f"/ledger/export?{query}", data={"fmt": "csv"})
        assert response.status_code in (400, 422), (query, response.status_code)
        assert DATE_MESSAGE in response.text, query
