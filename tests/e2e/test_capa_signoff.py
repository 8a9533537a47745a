"""The hotline's 分管领导 finds the department's 纠正及预防措施记录表 in their work list, sends it back with
a reason, and signs off the fixed one; the print shows the sign-off."""
import pytest
from playwright.sync_api import expect

from models import CapaState
from services.demo import seed_demo
from tests.conftest import Client, _wipe
from tests.e2e.test_slice import sign_in
from tests.helpers import CAPA_RECORD, answer, capa_record_of, category_id, dispatch, fresh, register

pytestmark = pytest.mark.e2e


def signed_in(app, username):
    client = Client(app)
    client.login(username)
    return client


def test_the_leader_sends_the_record_back_then_signs_it_off(live_server, page, sqlite_app):
    _wipe()
    seed_demo("hotline")
    complaint = register(signed_in(sqlite_app, "hotline1"), category=str(category_id("billing")),
                         object_text="燃气表走字过快", x_address="幸福路 8 号 3-201")
    dispatch(signed_in(sqlite_app, "csdhead"), complaint, "METER")
    meter = signed_in(sqlite_app, "meter1")
    answer(meter, complaint)
    assert meter.post(f"/reports/capa/new/{complaint.id}", data=CAPA_RECORD).status_code == 303

    sign_in(page, live_server, "vp")
    signoff = page.get_by_test_id("work-signoff")
    signoff.get_by_role("link", name=complaint.number).click()
    page.get_by_test_id("capa-link").click()
    expect(page.get_by_test_id("capa-record")).to_contain_text(CAPA_RECORD["preventive"])
    page.get_by_label("退回原因").fill("预防措施不具体，请写明抽查比例。")
    page.get_by_role("button", name="退回责任部门").click()
    expect(page.get_by_test_id("capa-state")).to_have_text("已退回责任部门")
    expect(page.get_by_test_id("capa-returned")).to_contain_text("预防措施不具体")
    assert capa_record_of(complaint).state == CapaState.RETURNED

    fixed = {**CAPA_RECORD, "preventive": "每日抽查 10% 的抄表记录。"}
    assert meter.post(f"/reports/capa/new/{complaint.id}", data=fixed).status_code == 303
    page.reload()
    page.get_by_role("button", name="审核通过").click()
    expect(page.get_by_test_id("capa-state")).to_have_text("分管领导已审核")
    expect(page.get_by_test_id("capa-signed-by")).to_contain_text("夏禹")
    page.get_by_test_id("capa-print-link").click()
    expect(page.get_by_test_id("capa-print")).to_contain_text("每日抽查 10% 的抄表记录。")
    expect(page.get_by_test_id("capa-signed-by")).to_contain_text("夏禹 · 分管领导")
    assert capa_record_of(fresh(complaint)).state == CapaState.SIGNED_OFF
