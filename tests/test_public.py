"""The customer's channel: the public complaint form, the tracking page, and the notices."""
from __future__ import annotations

import io
import os
import re
from html.parser import HTMLParser

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from extensions import db
from models import (Attachment, Channel, Complaint, ComplaintEvent, ComplaintState, CustomerAccess, CustomerMessage,
                    DeadlineKind, ReturnVisit, Satisfaction)
from services import attachments, notify
from services.queue import queue
from services.sms import gateway, queue_sms
from tests.conftest import Client
from tests.helpers import answer, category_id, dispatch, executed, fresh, give_result, register, unit_id, user

EMAIL = "wang.jianguo@example.net"
CODE_RE = re.compile(r"[A-Z2-9]{5}-[A-Z2-9]{5}")


def public_client(app) -> Client:
    client = Client(app)
    client.token = client.csrf()
    return client


def web_form(**changes) -> dict:
    data = {"submission_token": os.urandom(16).hex(), "customer_name": "王建国", "email": EMAIL,
            "phone": "", "category": str(category_id("waiting")), "branch": str(unit_id("BR01")),
            "object_text": "城东支行营业厅", "content": "周六上午排队一个多小时，只开了一个窗口。",
            "demand": "希望增开窗口并道歉。", "website": ""}
    data.update(changes)
    return data


def file_online(client, **changes) -> tuple[Complaint, str]:
    response = client.post("/complain", data=web_form(**changes))
    assert response.status_code == 200, response.text
    number = re.search(r'data-testid="complaint-number"><strong>([^<]+)<', response.text).group(1)
    code = re.search(r'data-testid="tracking-code"><strong>([^<]+)<', response.text).group(1)
    db.session.expire_all()
    return db.session.scalar(select(Complaint).where(Complaint.number == number)), code


def track(client, number, code):
    return client.post("/track", data={"number": number, "code": code})


def delivered(mailbox, address=EMAIL) -> list:
    SimpleWorker([queue()], connection=queue().connection).work(burst=True)   # e.g. the asked-for link
    notify.deliver_due()
    return mailbox.to(address)


def without_tokens(page: str) -> str:
    """The page without its CSRF tokens (each is signed with the second it was made)."""
    return re.sub(r'(<input[^>]*name="[^"]*csrf_token"[^>]*value=")[^"]+', r"\1", page)


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_customer_files_a_complaint_without_signing_in_and_gets_number_and_code_by_email(app, mailbox):
    client = public_client(app)
    form_page = client.get("/complain")
    assert form_page.status_code == 200 and "投诉" in form_page.text
    complaint, code = file_online(client)

    assert CODE_RE.fullmatch(code)
    assert complaint.channel == Channel.WEB and complaint.state == ComplaintState.REGISTERED
    assert complaint.owner == user("center1")                       # in the service center's queue
    assert complaint.object_unit_id == unit_id("BR01") and complaint.customer_contact == EMAIL
    registration = next(d for d in complaint.deadlines if d.kind == DeadlineKind.REGISTRATION)
    assert registration.met_at is not None and not registration.is_overdue(registration.met_at)
    first = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id))
    assert first.action == "registered" and first.actor is None     # the system, not a staff member
    history = client_center(app).get(f"/complaints/{complaint.id}").text
    assert '<span class="detail">网页表单</span>' in history         # the channel's name, not its code

    [mail] = delivered(mailbox)
    assert complaint.number in mail["Subject"]
    assert code in body_of(mail) and "/track?number=" + complaint.number in body_of(mail)
    # Only a hash of the code is kept, and the customer's own copy on the page masks it.
    access = db.session.scalar(select(CustomerAccess).where(CustomerAccess.complaint_id == complaint.id))
    assert code not in access.code_hash and code.replace("-", "") not in access.code_hash
    assert all(code not in m.body for m in db.session.scalars(select(CustomerMessage)))
    # The center sees it in its overview.
    assert complaint.number in client_center(app).get("/center/").text


def client_center(app) -> Client:
    client = Client(app)
    client.login("center1")
    return client


def test_a_form_submitted_twice_files_one_complaint(app):
    client = public_client(app)
    data = web_form()
    first = client.post("/complain", data=data)
    again = client.post("/complain", data=data)
    assert first.status_code == again.status_code == 200
    assert db.session.scalar(select(db.func.count(Complaint.id))) == 1
    assert "已经提交" in again.text or "sent already" in again.text


@pytest.mark.one_backend
def test_a_bad_form_comes_back_with_messages_and_files_nothing(app):
    client = public_client(app)
    response = client.post("/complain", data=web_form(email="not-an-address", content="", category="0",
                                                        phone="call me"))
    assert response.status_code == 422
    assert "请输入有效的电子邮件地址" in response.text and "请描述投诉事由" in response.text
    assert 'value="王建国"' in response.text                        # nothing entered is lost
    assert db.session.scalar(select(db.func.count(Complaint.id))) == 0


@pytest.mark.one_backend
def test_the_form_needs_its_csrf_token(app):
    client = Client(app)
    assert client.post("/complain", data=web_form(), csrf=False).status_code == 400
    assert db.session.scalar(select(db.func.count(Complaint.id))) == 0


@pytest.mark.one_backend
def test_a_robot_filling_the_honeypot_gets_a_thank_you_and_files_nothing(app, mailbox):
    client = public_client(app)
    response = client.post("/complain", data=web_form(website="http://spam.example"))
    assert response.status_code == 200 and 'data-testid="complaint-number"' not in response.text
    assert db.session.scalar(select(db.func.count(Complaint.id))) == 0
    assert delivered(mailbox) == []


@pytest.mark.one_backend
def test_filing_is_rate_limited_per_address(app):
    app.config["PUBLIC_COMPLAINT_LIMIT"] = "2 per hour"
    client = public_client(app)
    assert client.post("/complain", data=web_form(content="")).status_code == 422   # mistakes do not count
    for _ in range(2):
        assert client.post("/complain", data=web_form()).status_code == 200
    refused = client.post("/complain", data=web_form())
    assert refused.status_code == 429 and "尝试次数过多" in refused.text
    assert db.session.scalar(select(db.func.count(Complaint.id))) == 2


@pytest.mark.one_backend
def test_an_oversized_form_is_refused(app):
    client = public_client(app)
    response = client.post("/complain", data=web_form(content="长" * 200_000))
    assert response.status_code == 413
    assert db.session.scalar(select(db.func.count(Complaint.id))) == 0


@pytest.mark.one_backend
def test_a_wrong_code_and_an_unknown_number_get_the_same_answer(app):
    client = public_client(app)
    complaint, code = file_online(client)
    other = public_client(app)
    wrong_code = track(other, complaint.number, "AAAAA-AAAAA")
    unknown = track(other, "TS-20261124-9999", code)
    assert wrong_code.status_code == unknown.status_code == 422
    strip = lambda text: without_tokens(text).replace(complaint.number, "N").replace("TS-20261124-9999", "N")  # noqa: E731
    assert strip(wrong_code.text) == strip(unknown.text)
    # Without the code the tracking page is not shown either, whether the number exists or not.
    assert other.get(f"/track/{complaint.number}").status_code == 303
    assert other.get("/track/TS-20261124-9999").status_code == 303


def test_tracking_shows_plain_state_and_commitments_but_nothing_internal(app, client_for):
    customer = public_client(app)
    complaint, code = file_online(customer)
    center = client_for("center1")
    assert dispatch(center, complaint, note="内部备注：先查监控").status_code == 303

    tracker = public_client(app)
    response = track(tracker, complaint.number.lower(), code.lower().replace("-", ""))   # forgiving input
    assert response.status_code == 303
    page = tracker.get(response.location).text
    assert "正由责任部门处理" in page
    assert "我们联系您" in page and "最迟作出处理决定" in page                   # the deadlines committed to
    for internal in ("孙悦", "运营管理部", "内部备注", "center1", "陈晨"):
        assert internal not in page
    viewed = db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                             ComplaintEvent.action == "viewed")).all()
    assert any(e.actor is None and "customer" in e.detail for e in viewed)     # the customer's view is audited


def test_the_whole_customer_journey_with_notices_and_the_survey(app, client_for, mailbox):
    customer = public_client(app)
    complaint, code = file_online(customer)
    center, dept = client_for("center1"), client_for("dept1")
    dispatch(center, complaint)
    answer(dept, complaint)
    assert give_result(center, complaint, result="已为您增开周六窗口，并向您致歉。", channel="email").status_code == 303
    subjects = [m["Subject"] for m in delivered(mailbox)]
    assert subjects == [f"您的投诉已受理：{complaint.number}", f"投诉 {complaint.number} 的处理结果"]

    page = customer.get(f"/track/{complaint.number}").text
    assert "已为您增开周六窗口" in page and 'data-testid="survey-form"' in page
    assert customer.post(f"/track/{complaint.number}/survey", data={"rating": "B", "comment": "还算满意"}).status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.CLOSED and complaint.satisfaction == Satisfaction.B
    [visit] = db.session.scalars(select(ReturnVisit).where(ReturnVisit.complaint_id == complaint.id)).all()
    assert visit.visitor is None and visit.rating == Satisfaction.B and visit.comment == "还算满意"
    assert delivered(mailbox)[-1]["Subject"] == f"投诉 {complaint.number} 已办结"
    page = customer.get(f"/track/{complaint.number}").text
    assert "已办结" in page and "B · 满意" in page and 'data-testid="survey-form"' not in page
    # Staff see the online answer among the return visits, and the notices sent.
    staff_page = center.get(f"/complaints/{complaint.id}").text
    assert "客户在查询页面" in staff_page and f"投诉 {complaint.number} 的处理结果" in staff_page
    # Answering again changes nothing.
    again = customer.post(f"/track/{complaint.number}/survey", data={"rating": "D", "comment": ""})
    assert again.status_code == 303 and fresh(complaint).state == ComplaintState.CLOSED


def test_an_unsatisfied_answer_online_reopens_for_the_second_handling(app, client_for):
    customer = public_client(app)
    complaint, _code = file_online(customer)
    center = client_for("center1")
    give_result(center, complaint, result="已解释排队原因。")
    bad = customer.post(f"/track/{complaint.number}/survey", data={"comment": "没选"})
    assert bad.status_code == 422 and "请选择一项" in bad.text
    customer.post(f"/track/{complaint.number}/survey", data={"rating": "D", "comment": "没有解决问题"})
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.REGISTERED and complaint.round == 2


def test_the_customer_adds_information_and_the_owner_hears_of_it(app, mailbox):
    customer = public_client(app)
    complaint, _code = file_online(customer)
    delivered(mailbox)
    mailbox.messages.clear()
    empty = customer.post(f"/track/{complaint.number}/information", data={"text": " "})
    assert empty.status_code == 422
    customer.post(f"/track/{complaint.number}/information", data={"text": "补充：当天是 11 月 21 日上午 10 点。"})
    assert "补充：当天是 11 月 21 日" in customer.get(f"/track/{complaint.number}").text
    [mail] = delivered(mailbox, "center1@example.com")
    assert complaint.number in mail["Subject"] and "11 月 21 日" in body_of(mail)
    event = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.action == "customer_added"))
    assert event.complaint_id == complaint.id


def test_the_one_time_link_works_once_and_expires(app, clock, mailbox):
    complaint, _code = file_online(public_client(app))
    delivered(mailbox)
    mailbox.messages.clear()
    stranger = public_client(app)
    wrong = stranger.post("/track/link", data={"link-number": complaint.number, "link-email": "other@example.net"})
    after_wrong = stranger.get("/track").text
    right = stranger.post("/track/link", data={"link-number": complaint.number, "link-email": EMAIL.upper()})
    after_right = stranger.get("/track").text
    assert wrong.status_code == right.status_code == 303
    assert "链接已发送至该地址" in after_wrong and without_tokens(after_wrong) == without_tokens(after_right)
    [mail] = delivered(mailbox)
    link = re.search(r"http://complaints\.test(/track/link/\S+)", body_of(mail)).group(1)

    visitor = public_client(app)
    assert visitor.get(link).status_code == 200                     # a confirmation page: scanners spend nothing
    used = visitor.post(link)
    assert used.status_code == 303 and used.location.endswith(f"/track/{complaint.number}")
    assert visitor.get(f"/track/{complaint.number}").status_code == 200
    again = public_client(app).post(link)
    assert again.location.endswith("/track")                          # spent

    stranger.post("/track/link", data={"link-number": complaint.number, "link-email": EMAIL})
    late = re.search(r"(/track/link/\S+)", body_of(delivered(mailbox)[-1])).group(1)
    clock.advance(hours=49)
    assert public_client(app).post(late).location.endswith("/track")  # expired


def test_asking_for_a_link_costs_the_same_for_a_wrong_address_as_for_the_right_one(app, mailbox):
    """The answer's timing must not confirm who complained: the request does the same database and
    queue work either way, and the link goes out afterwards, from the worker."""
    from services import jobs
    complaint, _code = file_online(public_client(app))
    number = complaint.number
    delivered(mailbox)
    mailbox.messages.clear()
    work = {}
    for address in ("other@example.net", EMAIL):
        with executed() as runs:
            answer = public_client(app).post("/track/link", data={"link-number": number, "link-email": address})
        assert answer.status_code == 303
        work[address] = [run.statement.split()[0] for run in runs], [job.func_name for job in queue().get_jobs()]
        queue().empty()
    assert work["other@example.net"] == work[EMAIL]
    assert work[EMAIL][1] == ["services.jobs.send_tracking_link"] and not mailbox.messages
    assert jobs.send_tracking_link(number, EMAIL) is True
    assert jobs.send_tracking_link(number, "other@example.net") is False
    assert [m["To"] for m in delivered(mailbox, EMAIL)] == [EMAIL]


def test_tracking_pages_are_not_cached_and_reloads_are_audited_once_an_hour(app, clock):
    customer = public_client(app)
    filed = customer.post("/complain", data=web_form())
    assert filed.status_code == 200 and "no-store" in filed.headers["Cache-Control"]    # shows the code
    number = re.search(r'data-testid="complaint-number"><strong>([^<]+)<', filed.text).group(1)
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
    views = lambda: db.session.scalar(select(func.count()).select_from(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "viewed"))
    for _ in range(5):
        page = customer.get(f"/track/{number}")
        assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    assert views() == 1
    clock.advance(minutes=59)
    customer.get(f"/track/{number}")
    assert views() == 1
    clock.advance(minutes=2)
    customer.get(f"/track/{number}")
    assert views() == 2


def test_notices_use_the_templates_the_administrator_edits(app, client_for, mailbox):
    admin = client_for("admin")
    assert admin.get("/admin/notice-templates/").status_code == 200
    assert client_for("center1").get("/admin/notice-templates/").status_code == 403
    assert Client(app).get("/admin/notice-templates/").status_code == 302   # sign in first
    broken = admin.post("/admin/notice-templates/acceptance/zh_CN", data={
        "acceptance-zh_CN-subject": "受理 {{ number", "acceptance-zh_CN-body": "x"})
    assert broken.status_code == 422 and "无法使用" in broken.text
    wrong_type = admin.post("/admin/notice-templates/acceptance/zh_CN", data={
        "acceptance-zh_CN-subject": "受理", "acceptance-zh_CN-body": "{{ number + 1 }}"})
    assert wrong_type.status_code == 422 and "无法使用" in wrong_type.text
    saved = admin.post("/admin/notice-templates/acceptance/zh_CN", data={
        "acceptance-zh_CN-subject": "【示范银行】已受理 {{ number }}",
        "acceptance-zh_CN-body": "{{ number }}：查询码 {{ tracking_code }}"})
    assert saved.status_code == 303
    complaint, code = file_online(public_client(app))
    [mail] = delivered(mailbox)
    assert mail["Subject"] == f"【示范银行】已受理 {complaint.number}" and body_of(mail).strip() == f"{complaint.number}：查询码 {code}"


PHISHING = "请立即登录 http://evil.example/bank 核验账户"


def test_a_stranger_cannot_make_the_bank_mail_their_text_to_someone_else(app, client_for, mailbox):
    """Anyone may file with anyone's e-mail address: the first e-mail greets without the typed name,
    even with a template naming it, and no later notice carries a link from what the customer typed."""
    complaint, _code = file_online(public_client(app), customer_name=PHISHING)
    [mail] = delivered(mailbox)
    text, html = body_of(mail), mail.get_body(preferencelist=("html",)).get_content()
    assert text.startswith("您好：") and "请立即登录" not in text + html and "evil.example" not in text + html
    client_for("admin").post("/admin/notice-templates/acceptance/zh_CN", data={
        "acceptance-zh_CN-subject": "已受理 {{ number }}", "acceptance-zh_CN-body": "{{ customer_name }}您好"})
    file_online(public_client(app), customer_name=PHISHING)
    assert "请立即登录" not in body_of(delivered(mailbox)[-1])

    center = client_for("center1")
    dispatch(center, complaint)
    answer(client_for("dept1"), complaint)
    give_result(center, complaint, result="已为您增开周六窗口。", channel="email")
    result = delivered(mailbox)[-1]
    assert result["Subject"] == f"投诉 {complaint.number} 的处理结果"
    assert "evil.example" not in body_of(result) and "请立即登录 核验账户" in body_of(result)


def test_a_customer_filing_in_english_gets_english_notices(app, mailbox):
    client = public_client(app)
    client.post("/language", data={"locale": "en"})
    page = client.get("/complain").text
    assert "Make a complaint" in page and 'lang="en"' in page
    complaint, _code = file_online(client)
    assert delivered(mailbox)[0]["Subject"] == f"Your complaint is registered: {complaint.number}"


def test_staff_registered_complaints_notify_by_sms_or_email(app, client_for, mailbox):
    sms = gateway()
    sms.sent.clear()
    staff = client_for("staff1")
    by_phone = register(staff, customer_contact="13800138000")
    assert sms.sent == [], "the text waits in the outbox for the commit and the delivery job"
    notify.deliver_due()
    [(phone, text)] = sms.sent
    assert phone == "13800138000" and by_phone.number in text and CODE_RE.search(text)
    by_mail = register(staff, customer_contact="li.na@example.net")
    [mail] = delivered(mailbox, "li.na@example.net")
    assert by_mail.number in mail["Subject"] and CODE_RE.search(body_of(mail))


def test_no_sms_is_sent_for_a_change_that_was_rolled_back(app):
    sms = gateway()
    sms.sent.clear()
    db.session.execute(select(Complaint.id))   # inside a transaction, as every change is
    queue_sms("13800138000", "never")
    db.session.rollback()
    db.session.commit()
    assert sms.sent == []


class _PageCheck(HTMLParser):
    """What the staff pages are held to: a language, one h1, every visible field labelled."""

    def __init__(self):
        super().__init__()
        self.lang, self.h1, self.labels, self.fields = None, 0, set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "radio", "submit"):
            self.fields.append(attrs.get("id"))


@pytest.mark.parametrize("path", ["/complain", "/track", "TRACKED"])
@pytest.mark.one_backend
def test_public_pages_have_a_language_one_heading_and_labelled_fields(app, path):
    client = public_client(app)
    if path == "TRACKED":
        complaint, code = file_online(client)
        path = f"/track/{complaint.number}"
    page = client.get(path)
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers and 'name="viewport"' in page.text
    check = _PageCheck()
    check.feed(page.text)
    assert check.lang == "zh-CN" and check.h1 == 1
    assert check.fields and all(field in check.labels for field in check.fields)


# Evidence sent with the complaint (services/attachments.py checks and keeps the files).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00" + bytes(100)


@pytest.fixture
def storage(app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    return tmp_path / "attachments"


def with_files(data: dict, *files: tuple[bytes, str]) -> dict:
    return {**data, "evidence": [(io.BytesIO(content), name) for content, name in files]}


def post_with_files(client, data: dict, *files: tuple[bytes, str]):
    return client.post("/complain", data=with_files(data, *files), content_type="multipart/form-data")


def stored_files(storage) -> list:
    return sorted(storage.iterdir()) if storage.exists() else []


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(db.func.count(model.id)))


def test_photos_and_documents_sent_with_the_complaint_reach_the_center(app, storage):
    client = public_client(app)
    form_page = client.get("/complain").text
    assert 'enctype="multipart/form-data"' in form_page and 'name="evidence"' in form_page
    data = web_form()
    response = post_with_files(client, data, (PNG, "柜台照片.png"), (PDF, "回单.pdf"))
    assert response.status_code == 200, response.text
    number = re.search(r'data-testid="complaint-number"><strong>([^<]+)<', response.text).group(1)
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
    files = db.session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id)
                               .order_by(Attachment.id)).all()
    assert [(f.original_name, f.content_type, f.uploaded_by) for f in files] == [
        ("柜台照片.png", "image/png", None), ("回单.pdf", "application/pdf", None)]
    assert len(stored_files(storage)) == 2

    center = client_center(app)
    page = center.get(f"/complaints/{complaint.id}").text
    table = page[page.index('data-testid="attachments"'):]
    table = table[:table.index("</table>")]
    assert "柜台照片.png" in table and "回单.pdf" in table
    assert table.count("The customer") + table.count("客户") == 2               # both from the customer
    download = center.get(f"/attachments/{files[0].id}")
    assert download.status_code == 200 and download.data == PNG
    assert client_for_staff2(app).get(f"/attachments/{files[0].id}").status_code == 404   # another branch's staff

    # The customer sees the names of the files on the tracking page; there is nothing to download there.
    code = re.search(r'data-testid="tracking-code"><strong>([^<]+)<', response.text).group(1)
    tracker = public_client(app)
    status = tracker.get(track(tracker, number, code).headers["Location"]).text
    assert "柜台照片.png" in status and "回单.pdf" in status and "/attachments/" not in status

    # The same form sent again (a double click): still one complaint with its two files.
    again = post_with_files(client, data, (PNG, "柜台照片.png"), (PDF, "回单.pdf"))
    assert again.status_code == 200
    assert count(Complaint) == 1 and count(Attachment) == 2 and len(stored_files(storage)) == 2


def client_for_staff2(app) -> Client:
    client = Client(app)
    client.login("staff2")
    return client


@pytest.mark.one_backend
def test_a_file_that_is_not_evidence_sends_the_form_back_and_files_nothing(app, storage):
    client = public_client(app)
    response = post_with_files(client, web_form(), (PNG, "photo.png"), (EXE, "photo2.png"))
    assert response.status_code == 422
    message = re.search(r'id="evidence-error"[^>]*>([^<]*)<', response.text).group(1)
    assert "photo2.png" in message and "PDF" in message
    assert 'value="王建国"' in response.text
    assert count(Complaint) == 0 and count(Attachment) == 0 and stored_files(storage) == []


@pytest.mark.one_backend
def test_too_many_files_send_the_form_back(app, storage):
    client = public_client(app)
    response = post_with_files(client, web_form(), *[(PNG, f"{i}.png") for i in range(4)])
    assert response.status_code == 422
    assert " 3 " in re.search(r'id="evidence-error"[^>]*>([^<]*)<', response.text).group(1)   # at most 3
    assert count(Complaint) == 0 and stored_files(storage) == []


@pytest.mark.one_backend
def test_an_oversized_file_gets_a_message_or_a_clear_413(app, storage):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    client = public_client(app)
    response = post_with_files(client, web_form(), (PNG + bytes(2000), "big.png"))
    assert response.status_code == 422
    assert "1000 B" in re.search(r'id="evidence-error"[^>]*>([^<]*)<', response.text).group(1)
    app.config["PUBLIC_MAX_UPLOAD"] = 2000      # the form's text; with 3 files of 1000 B: 5000 B in all
    response = post_with_files(client, web_form(), *[(PNG + bytes(2000), f"{i}.png") for i in range(3)])
    assert response.status_code == 413 and "1000 B" in response.text
    assert count(Complaint) == 0 and count(Attachment) == 0 and stored_files(storage) == []


def test_when_keeping_a_file_fails_nothing_is_filed(app, storage, monkeypatch):
    real_keep = attachments.keep
    calls = []

    def keep_then_fail(complaint, checked, uploader):
        calls.append(checked.original_name)
        if len(calls) == 2:
            raise OSError("No space left on device")
        return real_keep(complaint, checked, uploader)

    monkeypatch.setattr(attachments, "keep", keep_then_fail)
    client = public_client(app)
    with pytest.raises(OSError):
        post_with_files(client, web_form(), (PNG, "a.png"), (PDF, "b.pdf"))
    assert calls == ["a.png", "b.pdf"]
    assert count(Complaint) == 0 and count(Attachment) == 0 and stored_files(storage) == []
