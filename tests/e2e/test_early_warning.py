"""The early warning in a browser (issue 18): a wave of differently worded complaints about one outage
comes through two branches, the center and several channels; the center's home shows one warning
naming what they share, one click opens the incident linking them all, and a complaint's page lists
its similar cases."""
import pytest
from playwright.sync_api import expect

from services import jobs
from tests.conftest import Client
from tests.e2e.test_slice import sign_in
from tests.helpers import fresh, register
from tests.test_similarity import UNRELATED, WAVE

pytestmark = pytest.mark.e2e


def file(app, entries):
    clients, filed = {}, []
    for username, channel, contact, content, about in entries:
        if username not in clients:
            clients[username] = Client(app)
            clients[username].login(username)
        filed.append(register(clients[username], channel=channel, customer_contact=contact, content=content,
                              object_text=about, customer_name=f"客户{contact[-4:]}"))
    return filed


def test_the_center_opens_the_incident_of_a_wave_in_one_click(live_server, page, sqlite_app, tmp_path):
    noise = file(sqlite_app, UNRELATED[:2])
    wave = file(sqlite_app, WAVE)
    noise += file(sqlite_app, UNRELATED[2:])
    jobs.watch_waves()

    sign_in(page, live_server, "center1")
    warning = page.get_by_test_id("wave-warning")
    expect(warning).to_have_count(1)
    expect(warning.get_by_role("heading")).to_contain_text("5 件相似投诉")
    expect(warning.get_by_test_id("wave-words")).to_contain_text("手机银行")
    expect(warning).to_contain_text("城东支行")
    expect(warning).to_contain_text("城西支行")
    page.screenshot(path=str(tmp_path / "warning.png"), full_page=True)
    warning.get_by_test_id("open-wave-incident").click()
    expect(page.get_by_test_id("incident-count")).to_have_text("5 笔投诉")
    for complaint in wave:
        expect(page.get_by_test_id("incident-complaints")).to_contain_text(complaint.number)
        assert fresh(complaint).incident_id is not None
    assert all(fresh(c).incident_id is None for c in noise)

    page.goto(f"{live_server}/complaints/{noise[0].id}")
    expect(page.get_by_test_id("similar")).to_have_count(0)          # nothing like it
    page.goto(f"{live_server}/complaints/{wave[0].id}")
    expect(page.get_by_test_id("similar-case")).to_have_count(4)
    expect(page.get_by_test_id("similar").get_by_test_id("shared-words").first).to_contain_text("系统繁忙")
    page.screenshot(path=str(tmp_path / "similar.png"), full_page=True)
