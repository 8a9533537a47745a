"""Complaints by e-mail: real MIME messages delivered over SMTP to the app's receiver
(services/mail_receiver.py) become complaints in the center's queue, replies land on their
complaint, and mail nobody wrote (auto-replies, bounces, loops) is dropped."""
from __future__ import annotations

import base64
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from email.header import Header
from email.policy import compat32
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from extensions import db
from models import (Attachment, Channel, Complaint, ComplaintEvent, CustomerMessage, InboundMail, MessageDirection,
                    OutboxMessage)
from services import notify
from services.mail_receiver import receiver
from tests.conftest import Client
from tests.helpers import all_at_once

INTAKE = "complaints@localhost"    # MAIL_DEFAULT_SENDER of the tests, the default complaints address
CUSTOMER = "li.na@example.cn"
ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


@pytest.fixture
def intake(app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = receiver(app, "127.0.0.1", port)
    controller.start()
    yield controller
    controller.stop()


def deliver(controller, message, mail_from: str = CUSTOMER, to: str = INTAKE) -> None:
    """Send over a real SMTP session; raises smtplib's error for anything but 250."""
    db.session.rollback()   # the test's own read transaction must not hold SQLite's lock
    # On the wire every line ends in CRLF (smtplib sends bytes as they are).
    raw = message if isinstance(message, bytes) else message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as smtp:
        smtp.sendmail(mail_from, [to], raw)
    db.session.expire_all()


def gbk_complaint(subject="投诉：城东支行柜台多收手续费", body="我于11月20日在城东支行办理转账，被多收了50元手续费，柜员态度恶劣。",
                  sender=CUSTOMER, charset="gbk") -> MIMEMultipart:
    message = MIMEMultipart()
    message["From"] = formataddr((str(Header("李娜", charset)), sender))
    message["To"] = INTAKE
    message["Subject"] = Header(subject, charset)
    message["Message-ID"] = make_msgid(domain="example.cn")
    message.attach(MIMEText(body, "plain", charset))
    return message


def only_complaint() -> Complaint:
    complaints = db.session.scalars(select(Complaint)).all()
    assert len(complaints) == 1, [c.content for c in complaints]
    return complaints[0]


def center(app) -> Client:
    client = Client(app)
    client.login("center1")
    return client


def test_a_gbk_mail_with_a_photo_becomes_a_complaint_in_the_centers_queue(app, intake):
    message = gbk_complaint()
    photo = MIMEImage(PNG, "png")
    photo.add_header("Content-Disposition", "attachment", filename=("gbk", "", "柜台照片.png"))
    message.attach(photo)
    deliver(intake, message)

    complaint = only_complaint()
    assert complaint.channel == Channel.EMAIL and complaint.customer_contact == CUSTOMER
    assert complaint.customer_name == "李娜"
    assert complaint.content.startswith("投诉：城东支行柜台多收手续费\n\n我于11月20日在城东支行办理转账，被多收了50元手续费")
    files = db.session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id)).all()
    assert [(f.original_name, f.content_type, f.uploaded_by) for f in files] == [("柜台照片.png", "image/png", None)]

    staff = center(app)
    assert complaint.number in staff.get("/center/").text
    assert complaint.number in staff.get("/ledger/").text
    page = staff.get(f"/complaints/{complaint.id}").text
    assert "柜台照片.png" in page and "多收了50元手续费" in page
    assert staff.get(f"/attachments/{files[0].id}").data == PNG
    # The sender is told the number and a tracking code, as a web complainant is.
    notice = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == CUSTOMER))
    assert notice is not None and complaint.number in notice.subject + notice.body_text


def test_gb2312_mail_with_gbk_characters_and_gb18030_words_reads_whole(app, intake):
    # Clients label GBK text gb2312; 啰 is GBK only and must not turn into a question mark.
    body = "银行卡被吞，啰嗦了半天也没人处理。".encode("gbk")
    subject = Header("ATM吞卡𠀀", "gb18030").encode().encode()
    raw = (b"From: " + CUSTOMER.encode() + b"\r\nTo: " + INTAKE.encode() + b"\r\nSubject: " + subject +
           b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=gb2312\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n")
    deliver(intake, raw)
    complaint = only_complaint()
    assert complaint.content == "ATM吞卡𠀀\n\n银行卡被吞，啰嗦了半天也没人处理。"


def test_an_html_only_utf8_mail_is_read_as_text(app, intake):
    message = EmailMessage()
    message["From"] = "张伟 <zhang.wei@example.com>"
    message["To"] = INTAKE
    message["Subject"] = "手机银行转账失败"
    message.set_content("<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
                        "<p>转账&nbsp;显示<b>成功</b>，</p><div>对方却没有收到。</div><p>请尽快&lt;处理&gt;</p></body></html>",
                        subtype="html", cte="quoted-printable")
    deliver(intake, message, mail_from="zhang.wei@example.com")
    complaint = only_complaint()
    assert complaint.customer_name == "张伟" and complaint.customer_contact == "zhang.wei@example.com"
    assert complaint.content == "手机银行转账失败\n\n转账 显示成功，\n\n对方却没有收到。\n\n请尽快<处理>"


def test_a_reply_carrying_the_number_lands_on_the_same_complaint(app, intake):
    deliver(intake, gbk_complaint())
    complaint = only_complaint()

    reply = EmailMessage()
    reply["From"] = f"Li Na <{CUSTOMER.upper()}>"
    reply["Subject"] = f"回复：您的投诉已受理 {complaint.number}"
    reply["Message-ID"] = make_msgid(domain="example.cn")
    reply.set_content("补充：当时的柜员工号是1024。\n\n在 2026年11月24日，complaints@localhost 写道：\n> 您的投诉已受理\n",
                      charset="utf-8", cte="base64")
    reply.add_attachment(PNG, maintype="image", subtype="png", filename="receipt.png")
    deliver(intake, reply)

    assert db.session.scalar(select(func.count(Complaint.id))) == 1
    added = db.session.scalars(select(CustomerMessage).where(CustomerMessage.complaint_id == complaint.id,
                                                             CustomerMessage.direction == MessageDirection.IN)).all()
    assert [(m.channel, m.body) for m in added] == [("email", "补充：当时的柜员工号是1024。")]
    assert [a.original_name for a in db.session.scalars(
        select(Attachment).where(Attachment.complaint_id == complaint.id))] == ["receipt.png"]
    page = center(app).get(f"/complaints/{complaint.id}").text
    assert "补充：当时的柜员工号是1024。" in page and "receipt.png" in page

    # The same number from somebody else is not that customer's: it opens a complaint of its own.
    stranger = gbk_complaint(subject=f"Re: {complaint.number}", body="我也遇到同样的问题。", sender="wang@example.org")
    deliver(intake, stranger, mail_from="wang@example.org")
    complaints = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert len(complaints) == 2 and complaints[1].customer_contact == "wang@example.org"
    assert len(db.session.scalars(select(CustomerMessage).where(
        CustomerMessage.direction == MessageDirection.IN)).all()) == 1


def test_answering_the_acceptance_notice_from_a_mail_client_adds_to_the_complaint(app, intake, mailbox):
    deliver(intake, gbk_complaint())
    complaint = only_complaint()
    notify.deliver_due()
    [notice] = mailbox.to(CUSTOMER)
    assert complaint.number in notice["Subject"]

    # The notice forwarded back to the complaints address (a loop) files nothing.
    deliver(intake, notice, mail_from=INTAKE)
    assert db.session.scalar(select(func.count(Complaint.id))) == 1

    # The customer answers it, and removes the number from the subject: the answer still finds it.
    reply = EmailMessage()
    reply["From"] = CUSTOMER
    reply["Subject"] = "回复：补充材料"
    reply["In-Reply-To"] = notice["Message-ID"]
    reply["References"] = notice["Message-ID"]
    reply.set_content("ATM 编号是 0731。\n\n------------------ 原始邮件 ------------------\n" + notice.get_body().get_content())
    deliver(intake, reply)
    assert db.session.scalar(select(func.count(Complaint.id))) == 1
    assert db.session.scalars(select(CustomerMessage.body).where(
        CustomerMessage.direction == MessageDirection.IN)).all() == ["ATM 编号是 0731。"]


def test_the_same_message_delivered_twice_files_one_complaint(app, intake):
    message = gbk_complaint()
    message.attach(MIMEImage(PNG, "png"))
    deliver(intake, message)
    deliver(intake, message)
    complaint = only_complaint()
    assert db.session.scalar(select(func.count(Attachment.id))) == 1
    assert db.session.scalar(select(func.count(InboundMail.id))) == 1
    assert db.session.scalar(select(InboundMail.complaint_id)) == complaint.id


def test_the_same_message_delivered_four_times_at_once_files_one_complaint(app, intake):
    raw = gbk_complaint().as_bytes(policy=compat32.clone(linesep="\r\n"))
    db.session.rollback()

    def send() -> int:
        try:
            with smtplib.SMTP(intake.hostname, intake.port, timeout=30) as smtp:
                smtp.sendmail(CUSTOMER, [INTAKE], raw)
            return 250
        except smtplib.SMTPDataError as refused:
            return refused.smtp_code
    codes = all_at_once(app, send, 4)
    if db.engine.dialect.name == "postgresql":
        assert codes == [250] * 4   # the twins wait on the first one's row, then know it taken
    else:   # SQLite may answer "try later" to a writer that waited too long; the retry is a duplicate
        assert 250 in codes and set(codes) <= {250, 451}
    deliver(intake, raw)
    only_complaint()
    assert db.session.scalar(select(func.count(InboundMail.id))) == 1


def _auto_reply() -> EmailMessage:
    message = EmailMessage()
    message["From"] = CUSTOMER
    message["Subject"] = "自动回复：我正在休假"
    message["Auto-Submitted"] = "auto-replied"
    message.set_content("我正在休假，12月1日回来。")
    return message


def _with(header: str, value: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = CUSTOMER
    message["Subject"] = "Out of office"
    message[header] = value
    message.set_content("Away until Monday.")
    return message


def _bounce() -> MIMEMultipart:
    message = MIMEMultipart("report", report_type="delivery-status")
    message["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.cn>"
    message["Subject"] = "Undelivered Mail Returned to Sender"
    message.attach(MIMEText("This is the mail system. I'm sorry to have to inform you that your message could not "
                            "be delivered."))
    message.attach(MIMEText("Reporting-MTA: dns; mx.example.cn\n", "delivery-status"))
    return message


def _looping() -> EmailMessage:
    message = EmailMessage()
    message["From"] = CUSTOMER
    message["Subject"] = "投诉"
    for hop in range(40):
        message["Received"] = f"from relay{hop}.example.cn by relay{hop + 1}.example.cn; Mon, 30 Nov 2026 10:00:00 +0800"
    message.set_content("往返转发的邮件。")
    return message


def _our_own() -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Complaints <{INTAKE}>"
    message["Subject"] = "您的投诉已受理 TS-20261124-0001"
    message.set_content("受理通知。")
    return message


@pytest.mark.parametrize("make, mail_from, reason", [
    (_auto_reply, CUSTOMER, "auto_reply"),
    (lambda: _with("X-Autoreply", "yes"), CUSTOMER, "auto_reply"),
    (lambda: _with("Precedence", "bulk"), CUSTOMER, "auto_reply"),
    (lambda: _with("Precedence", "auto_reply"), CUSTOMER, "auto_reply"),
    (_bounce, "", "bounce"),                               # MAIL FROM:<>, multipart/report
    (_bounce, "MAILER-DAEMON@mx.example.cn", "bounce"),
    (lambda: _with("Return-Path", "<>"), CUSTOMER, "bounce"),
    (_looping, CUSTOMER, "loop"),
    (_our_own, INTAKE, "loop"),
    (lambda: _with("Message-ID", "<outbox-17@complaints>"), CUSTOMER, "loop"),
])
def test_mail_nobody_wrote_is_accepted_and_dropped(app, intake, make, mail_from, reason):
    deliver(intake, make(), mail_from=mail_from)   # 250: the sending server must not retry it
    assert db.session.scalar(select(func.count(Complaint.id))) == 0
    assert db.session.scalars(select(InboundMail.reason)).all() == [reason]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0   # nobody is answered


@pytest.mark.one_backend
def test_a_file_the_upload_checks_refuse_is_named_on_the_timeline_not_kept(app, intake):
    message = gbk_complaint()
    message.attach(MIMEApplication(b"MZ\x90\x00 not evidence", Name="setup.exe"))
    deliver(intake, message)
    complaint = only_complaint()
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    refused = db.session.scalar(select(ComplaintEvent.detail).where(ComplaintEvent.complaint_id == complaint.id,
                                                                    ComplaintEvent.action == "attachment_refused"))
    assert refused.startswith("setup.exe: ")


@pytest.mark.one_backend
def test_mail_for_another_address_or_over_the_size_limit_is_refused(app, intake):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(intake, gbk_complaint(), to="someone.else@localhost")
    assert refused.value.recipients["someone.else@localhost"][0] == 550
    app.config["MAIL_INTAKE_MAX_BYTES"] = 1000
    message = gbk_complaint(body="长" * 2000)
    small = receiver(app, "127.0.0.1", _free_port())
    small.start()
    try:
        with pytest.raises(smtplib.SMTPException) as too_big:
            deliver(small, message)
    finally:
        small.stop()
    assert "552" in str(too_big.value)
    assert db.session.scalar(select(func.count(Complaint.id))) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.one_backend
def test_with_the_database_down_the_answer_is_451_and_the_retry_files_the_complaint(app, intake, smtp_server):
    # The same app pointed at a database nobody answers: nothing may be acknowledged.
    down = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/x",
                       "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    controller = receiver(down, "127.0.0.1", _free_port())
    controller.start()
    message = gbk_complaint()
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            deliver(controller, message)
    finally:
        controller.stop()
    assert refused.value.smtp_code == 451
    # The sending server tries again later, here against the database that is back.
    deliver(intake, message)
    assert only_complaint().channel == Channel.EMAIL


def test_flask_mail_intake_takes_mail_until_sigterm(sqlite_app, database_urls, redis_url, tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_urls["sqlite"], "REDIS_URL": redis_url,
           "MAIL_INTAKE_ADDRESSES": INTAKE, "ATTACHMENTS_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "mail-intake", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert process.poll() is None and time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.1)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail(CUSTOMER, [INTAKE], gbk_complaint().as_bytes(policy=compat32.clone(linesep="\r\n")))
        db.session.expire_all()
        assert only_complaint().channel == Channel.EMAIL
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_line_breaks_and_nuls_in_the_name_and_subject_are_flattened_at_intake(app, intake):
    # Encoded words may carry any character: a line break must not reach a stored name or subject
    # (they go into notice subjects and exported cells), nor a NUL (PostgreSQL refuses it).
    name = Header("李\r\n娜\x00\u2028", "utf-8").encode()
    subject = Header("投诉\r\nBcc: x@example.com\x00\x85柜台", "utf-8").encode()
    raw = (f"From: {name} <{CUSTOMER}>\r\nTo: {INTAKE}\r\nSubject: {subject}\r\n"
           f"Message-ID: <nul-1@example.cn>\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.b64encode("多收了\x00手续费".encode()) + b"\r\n"
    deliver(intake, raw)
    complaint = only_complaint()
    assert complaint.customer_name == "李 娜"
    assert complaint.content == "投诉 Bcc: x@example.com 柜台\n\n多收了手续费"
    assert db.session.scalar(select(InboundMail.subject)) == "投诉 Bcc: x@example.com 柜台"
