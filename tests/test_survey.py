"""The customers' opinion survey (用户意见调查表) of the real estate profile: the service center makes a
round from a pasted or uploaded list (bad lines reported by number), sends it through the outbox, each
customer answers once through a personal link, and the summary counts sent, returned, the response
rate and each item's scores. Off (404, no menu entry) for the bank."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models import AdminAuditEntry, OutboxChannel, OutboxMessage, SurveyRecipient, SurveyRound, User
from services import jobs, notify, surveys
from services.demo import seed_demo
from tests.conftest import Client, _wipe
from tests.helpers import category_id, register

LIST = "姓名,手机或邮箱\n王建国, wang@example.com\n李娜，13900139000\n张三, 12345\n"
LINK = re.compile(r"http://complaints\.test(/survey/[A-Za-z0-9_-]+)")


@pytest.fixture
def estate(app):
    """The database holds the real estate developer, whose profile keeps `survey: {every_months: 6}`."""
    _wipe()
    seed_demo("real-estate")
    return app


def anonymous(app) -> Client:
    client = Client(app)
    client.token = client.csrf()
    return client


def make_round(client, customers=LIST, **changes):
    data = {"title": "2026年下半年用户意见调查", "period_start": "2026-07-01", "period_end": "2026-12-31",
            "customers": customers, **changes}
    return client.post("/surveys/new", data=data)


def new_round(client, **changes) -> SurveyRound:
    response = make_round(client, leave_out_bad="y", **changes)
    assert response.status_code == 303, response.text
    db.session.expire_all()
    return db.session.get(SurveyRound, int(response.location.rsplit("/", 1)[1]))


def test_a_round_from_a_list_is_sent_answered_once_and_summed_up(estate, client_for, mailbox):
    center = client_for("crc1")
    # One line is no customer: the form comes back with it named by its line number, and nothing typed is lost.
    refused = make_round(center)
    assert refused.status_code == 422
    bad = re.search(r'data-testid="bad-lines".*?</table>', refused.text, re.S).group(0)
    assert "<td>4</td>" in bad and "12345" in bad and "既不是手机号码也不是电子邮箱" in bad
    assert "王建国, wang@example.com" in refused.text and "李娜，13900139000" in refused.text
    assert db.session.scalar(select(SurveyRound)) is None

    survey = new_round(center)
    assert [(r.name, r.email, r.mobile) for r in survey.recipients] == [
        ("王建国", "wang@example.com", None), ("李娜", None, "13900139000")]
    assert survey.left_out[0]["line"] == "4"
    page = center.get(f"/surveys/{survey.id}").text
    assert 'data-testid="survey-left-out"' in page and "12345" in page

    assert center.post(f"/surveys/{survey.id}/send").status_code == 303
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.channel, m.to_addr) for m in messages] == [(OutboxChannel.EMAIL, "wang@example.com"),
                                                         (OutboxChannel.SMS, "13900139000")]
    assert LINK.search(messages[1].body_text), messages[1].body_text
    # Sending twice sends nothing more.
    assert "已经发送" in center.post(f"/surveys/{survey.id}/send", follow_redirects=True).text
    assert db.session.query(OutboxMessage).count() == 2

    notify.deliver_due()
    [mail] = mailbox.to("wang@example.com")
    assert mail["Subject"] == "锦城置业有限公司用户意见调查表"
    path = LINK.search(mail.get_body(("plain",)).get_content()).group(1)

    customer = anonymous(estate)
    form = customer.get(path)
    assert form.status_code == 200 and "王建国" in form.text and "维修及时" in form.text
    answered = customer.post(path, data={"item_property_service": "5", "item_repairs": "4",
                                         "item_cleaning": "4", "comment": "电梯维修很及时，希望绿化多修剪。"})
    assert answered.status_code == 200 and "谢谢" in answered.text
    again = customer.post(path, data={"item_property_service": "1"})
    assert again.status_code == 409 and "已经答复" in again.text
    assert customer.get(path).status_code == 200

    summary = center.get(f"/surveys/{survey.id}").text
    assert "已发出：2，收回：1，回收率：50%" in summary
    scores = re.search(r'data-testid="survey-scores".*?</table>', summary, re.S).group(0)
    assert re.search(r"物业服务</th>\s*<td>5\.00</td><td>1</td>", scores)
    assert re.search(r"维修及时</th>\s*<td>4\.00</td><td>1</td>", scores)
    assert re.search(r"安全秩序</th>\s*<td>—</td><td>0</td>", scores)
    assert "电梯维修很及时" in summary
    excel = center.get(f"/surveys/{survey.id}.xlsx")
    book = load_workbook(io.BytesIO(excel.data))
    counts, *_, repairs = list(book["用户意见调查汇总表"].iter_rows(values_only=True))[2:7]
    assert counts[0] == "已发出：2，收回：1，回收率：50%"
    assert repairs[:4] == ("维修及时", 4, 1, 0) and repairs[4] == 1   # one 4 · 满意
    [header, answer] = book["答复明细"].iter_rows(values_only=True)
    assert answer[0] == "王建国" and answer[-1] == "电梯维修很及时，希望绿化多修剪。" and answer[3:8] == (5, 4, 4, None, None)
    assert sorted(db.session.scalars(select(AdminAuditEntry.action).where(
        AdminAuditEntry.action.startswith("survey")))) == ["survey_created", "survey_sent"]
    stored = db.session.scalar(select(SurveyRecipient).where(SurveyRecipient.email == "wang@example.com"))
    db.session.refresh(stored)
    assert stored.scores == {"property_service": 5, "repairs": 4, "cleaning": 4}


def test_an_unknown_link_is_404_and_an_empty_answer_is_refused(estate, client_for):
    center = client_for("crc1")
    survey = new_round(center)
    center.post(f"/surveys/{survey.id}/send")
    customer = anonymous(estate)
    assert customer.get("/survey/not-a-token").status_code == 404
    assert customer.post("/survey/" + "x" * 300).status_code == 404
    path = LINK.search(db.session.scalar(select(OutboxMessage.body_text).where(
        OutboxMessage.channel == OutboxChannel.SMS))).group(1)
    empty = customer.post(path, data={"comment": "只写意见", "item_repairs": "9"})
    assert empty.status_code == 422 and "只写意见" in empty.text
    assert db.session.scalar(select(SurveyRecipient.answered_at).where(SurveyRecipient.mobile == "13900139000")) is None


def test_an_uploaded_gbk_csv_and_the_periods_complaint_customers_make_the_list(estate, client_for):
    desk = client_for("prop_desk")
    register(desk, category=str(category_id("post_property")), customer_name="赵敏",
             customer_contact="13700137000", x_customer_type="业主")
    csv = "姓名,联系方式\r\n钱多多,qian@example.com\r\n赵敏,13700137000\r\n".encode("gb18030")
    center = client_for("crc1")
    survey = new_round(center, customers="", from_complaints="y",
                       upload=(io.BytesIO(csv), "业主名单.csv"))
    assert sorted((r.name, r.email or r.mobile) for r in survey.recipients) == [
        ("赵敏", "13700137000"), ("钱多多", "qian@example.com")]   # the complaint's customer once
    nothing = make_round(center, customers="")
    assert nothing.status_code == 422 and "没有可发送的客户" in nothing.text
    # A spreadsheet's own file, or one line beyond what CSV reads, is refused with the typed list kept.
    binary = make_round(center, customers="孙丽, sun@example.com", upload=(io.BytesIO(b"PK\x03\x04\x00\xff"), "名单.xlsx"))
    assert binary.status_code == 422 and "不是CSV文本文件" in binary.text and "sun@example.com" in binary.text
    huge = make_round(center, customers="周, " + "x" * 200_000)
    assert huge.status_code == 422 and "第1行无法按CSV读取" in huge.text


@pytest.mark.one_backend
def test_only_the_center_makes_rounds_and_the_leader_reads_them(estate, client_for):
    center, leader, desk = client_for("crc1"), client_for("gm"), client_for("prop_desk")
    assert 'href="/surveys/"' in center.get("/center/").text
    survey = new_round(center)
    assert leader.get("/surveys/").status_code == 200 and leader.get(f"/surveys/{survey.id}").status_code == 200
    assert leader.get("/surveys/new").status_code == 403
    assert leader.post(f"/surveys/{survey.id}/send").status_code == 403
    for url in ("/surveys/", "/surveys/new", f"/surveys/{survey.id}"):
        assert desk.get(url).status_code == 403, url
    assert desk.post(f"/surveys/{survey.id}/send").status_code == 403
    assert Client(estate).get("/surveys/").location.startswith("/login")
    assert center.get("/surveys/999999").status_code == 404


@pytest.mark.one_backend
def test_nothing_of_the_survey_for_the_bank(app, client_for):
    center = client_for("center1")
    assert 'href="/surveys/"' not in center.get("/center/").text
    for url in ("/surveys/", "/surveys/new", "/surveys/1"):
        assert center.get(url).status_code == 404, url
    assert anonymous(app).get("/survey/anything").status_code == 404
    assert jobs.tick()["survey_reminders"] == 0


def test_the_center_is_reminded_once_when_the_next_round_is_due(estate, client_for, clock):
    center = client_for("crc1")
    survey = new_round(center)
    assert surveys.next_due(survey) == date(2027, 5, 24)
    notify.deliver_due()
    clock.advance(days=150)
    assert jobs.tick()["survey_reminders"] == 0
    clock.advance(days=32)      # 2027-05-25
    assert jobs.tick()["survey_reminders"] == 1
    assert jobs.tick()["survey_reminders"] == 0
    [reminder] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("调查"))).all()
    crc1 = db.session.scalar(select(User).where(User.username == "crc1"))
    assert reminder.to_addr == crc1.email and "/surveys/new" in reminder.body_text
    # A new round starts the count again.
    new_round(center)
    assert jobs.tick()["survey_reminders"] == 0


def test_random_posts_to_the_survey_forms_never_fail_with_a_server_error(estate, client_for):
    from tests.test_fuzz import field_names, fuzz_get, fuzz_post
    center = client_for("crc1")
    survey = new_round(center)
    center.post(f"/surveys/{survey.id}/send")
    fuzz_post(center, "/surveys/new", field_names(center, "/surveys/new"))
    fuzz_get(center, f"/surveys/{survey.id}", [])
    path = LINK.search(db.session.scalar(select(OutboxMessage.body_text).where(
        OutboxMessage.channel == OutboxChannel.SMS))).group(1)
    customer = anonymous(estate)
    fuzz_post(customer, path, field_names(customer, path))
