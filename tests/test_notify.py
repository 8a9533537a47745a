"""The outbox (services/notify.py): one bad message never holds back the others, and whatever cannot
be sent is recorded, retried later, given up after a few attempts and shown to the administrator."""
from __future__ import annotations

import smtplib

from sqlalchemy import select

from extensions import db
from models import AdminAuditEntry, Complaint, OutboxMessage, OutboxState
from services import notify
from tests.helpers import all_at_once, register
from tests.test_public import public_client, web_form

POISON = "手机银行\r\nX-Probe: 1"


def _queued(address: str, subject: str) -> int:
    message = notify.queue_message(address, subject, "正文")
    db.session.commit()
    return message.id


def _legacy(address: str, subject: str) -> int:
    """A row written before subjects were flattened (or by anything that skips queue_message)."""
    message = notify.queue_message(address, "placeholder", "正文")
    db.session.flush()
    message.subject = subject
    db.session.commit()
    return message.id


def _state(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_a_line_break_in_a_subject_is_flattened_and_the_mail_goes_out(app, mailbox):
    legacy = _legacy("leader1@example.com", f"重大投诉: {POISON}")
    fresh = _queued("leader2@example.com", f"重大投诉: {POISON}")
    assert "\n" not in _state(fresh).subject

    assert notify.deliver_due() == {"sent": 2, "failed": 0, "dropped": 0}
    assert sorted(m["To"] for m in mailbox.messages) == ["leader1@example.com", "leader2@example.com"]
    for message in mailbox.messages:
        assert message["X-Probe"] is None and message["Subject"] == "重大投诉: 手机银行 X-Probe: 1"
    assert _state(legacy).state == _state(fresh).state == OutboxState.SENT


def test_public_complaints_with_a_header_in_the_object_do_not_stop_the_mail(app, mailbox):
    """The attack of the report: the repeat rule makes the third such complaint major, which mails
    the leaders with the object in the subject; before, every delivery run crashed on it."""
    client = public_client(app)
    for n in range(4):
        response = client.post("/complain", data=web_form(object_text=POISON, email=f"c{n}@example.net"))
        assert response.status_code == 200
    objects = set(db.session.scalars(select(Complaint.object_text)))
    assert objects == {"手机银行 X-Probe: 1"}                        # flattened at input, nothing else lost
    notify.deliver_due()
    assert mailbox.to("leader1@example.com"), "the major complaint's notice reached the leader"
    assert all(m["X-Probe"] is None for m in mailbox.messages)
    unsent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.state != OutboxState.SENT)).all()
    assert unsent == []


def test_a_message_that_fails_for_any_reason_does_not_hold_back_the_next(app, mailbox, clock, monkeypatch):
    bad = _queued("dept1@example.com", "坏的")
    good = _queued("dept2@example.com", "好的")
    real_send = notify._send

    def send(message, smtp):
        if message.id == bad:
            raise ValueError("cannot build this one")
        real_send(message, smtp)
    monkeypatch.setattr(notify, "_send", send)

    assert notify.deliver_due() == {"sent": 1, "failed": 1, "dropped": 0}
    assert [m["To"] for m in mailbox.messages] == ["dept2@example.com"]
    poisoned = _state(bad)
    assert poisoned.state == OutboxState.PENDING and poisoned.attempts == 1
    assert poisoned.last_error == "ValueError: cannot build this one"
    assert poisoned.next_attempt_at > clock()          # not again in the same minute
    assert _state(good).state == OutboxState.SENT


def test_after_the_last_attempt_a_message_is_given_up_and_the_administrator_retries_it(
        app, mailbox, clock, monkeypatch, client_for):
    bad = _queued("dept1@example.com", "送不出去")
    monkeypatch.setattr(notify, "_send", lambda message, smtp: (_ for _ in ()).throw(LookupError("unknown charset")))
    for _ in range(notify.MAX_ATTEMPTS):
        notify.deliver_due()
        clock.advance(hours=1)
    assert _state(bad).state == OutboxState.FAILED and _state(bad).attempts == notify.MAX_ATTEMPTS
    clock.advance(days=1)
    assert notify.deliver_due() == {"sent": 0, "failed": 0, "dropped": 0}        # given up: no more tries on its own

    admin = client_for("admin")
    page = admin.get("/admin/outbox")
    assert page.status_code == 200 and "送不出去" in page.text and "LookupError: unknown charset" in page.text
    monkeypatch.undo()
    response = admin.post(f"/admin/outbox/{bad}/retry", follow_redirects=True)
    assert "dept1@example.com" in response.text                   # the confirmation names the address
    assert _state(bad).state == OutboxState.PENDING and _state(bad).attempts == 0
    assert db.session.scalar(select(AdminAuditEntry.action).order_by(AdminAuditEntry.id.desc())) == "outbox_retried"
    assert notify.deliver_due()["sent"] == 1 and mailbox.to("dept1@example.com")
    assert "送不出去" not in admin.get("/admin/outbox").text


def test_while_the_server_is_unreachable_a_message_waits_and_is_never_given_up(app, mailbox, clock):
    message_id = _queued("dept1@example.com", "等服务器")
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1                                   # nothing listens there
    for _ in range(notify.MAX_ATTEMPTS + 2):
        notify.deliver_due()
        clock.advance(hours=1)
    assert _state(message_id).state == OutboxState.PENDING
    app.config["MAIL_PORT"] = port
    assert notify.deliver_due()["sent"] == 1



def test_a_long_chinese_subject_a_named_sender_and_both_parts_arrive_as_written(app, mailbox, monkeypatch):
    """The outbox writes its messages itself (services.mail_format): a mail program must read back
    exactly what was queued, and every header line stays within 78 characters."""
    app.config["MAIL_DEFAULT_SENDER"] = "投诉处理中心 <complaints@localhost>"
    subject = "提醒：投诉 TS-20261201-0001 的派单期限将到，请营业部在今日下班前处理完毕" * 2
    text = "投诉 TS-20261201-0001 的派单期限将到。\n\n.以句点开头的一行\n" * 40
    notify.queue_message("dept1@example.com", subject, text, "<p>派单将到</p>")
    db.session.commit()
    header_lines = []
    send_bytes = notify.Connection.send_bytes

    def keep_headers(self, sender, to, raw):
        header_lines.extend(raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"))
        send_bytes(self, sender, to, raw)
    monkeypatch.setattr(notify.Connection, "send_bytes", keep_headers)
    assert notify.deliver_due() == {"sent": 1, "failed": 0, "dropped": 0}
    [message] = mailbox.messages
    assert message["Subject"] == subject and str(message["From"]) == "投诉处理中心 <complaints@localhost>"
    assert message.get_body(("plain",)).get_content() == text
    assert message.get_body(("html",)).get_content() == "<p>派单将到</p>"
    assert message["Auto-Submitted"] == "auto-generated" and message["Date"] is not None
    assert header_lines and max(len(line) for line in header_lines) <= 78


def test_an_address_that_is_not_ascii_goes_through_the_mail_library(app, mailbox, monkeypatch):
    """Such an address needs the server's SMTPUTF8: smtplib asks for it (aiosmtpd grants it)."""
    sent = []
    monkeypatch.setattr(notify.Connection, "send", lambda self, email: sent.append(email))
    _queued("张三@例子.中国", "非 ASCII 地址")
    assert notify.deliver_due() == {"sent": 1, "failed": 0, "dropped": 0}
    assert [str(email["To"]) for email in sent] == ["张三@例子.中国"] and sent[0]["Subject"] == "非 ASCII 地址"


def test_a_batch_goes_over_one_connection_and_side_by_side_deliveries_send_each_message_once(
        app, mailbox, monkeypatch):
    ids = [_queued(f"staff{n}@example.com", f"提醒 {n}") for n in range(notify.CHUNK + 30)]
    connections = []

    class Counted(smtplib.SMTP):
        def __init__(self, *args, **kwargs):
            connections.append(self)
            super().__init__(*args, **kwargs)
    monkeypatch.setattr(notify.smtplib, "SMTP", Counted)
    results = all_at_once(app, notify.deliver_due, 3)

    assert sum(r["sent"] for r in results) == len(ids)
    assert len(mailbox.messages) == len(ids)                        # none twice, none missing
    assert len({m["Message-ID"] for m in mailbox.messages}) == len(ids)
    assert len(connections) <= 2 * 3                                # a connection per chunk, not per message
    assert {_state(i).state for i in ids} == {OutboxState.SENT}


def test_a_chunk_being_sent_stays_with_its_worker_when_the_business_clock_jumps(app, mailbox, clock, monkeypatch):
    """CI caught 97 reminders sent twice: the fault test moves the business clock 6 minutes while a
    worker is sending, and leases measured on that clock lapsed under it. Leases use machine time."""
    ids = [_queued(f"staff{n}@example.com", f"提醒 {n}") for n in range(3)]
    real_send, during = notify._send, []

    def send(message, smtp):
        if not during:
            clock.advance(hours=1)
            during.append(notify.deliver_due())          # a second worker, an hour later by the business clock
        real_send(message, smtp)
    monkeypatch.setattr(notify, "_send", send)

    assert notify.deliver_due() == {"sent": 3, "failed": 0, "dropped": 0}
    assert during == [{"sent": 0, "failed": 0, "dropped": 0}]
    assert len(mailbox.messages) == len({m["Message-ID"] for m in mailbox.messages}) == 3
    assert {_state(i).state for i in ids} == {OutboxState.SENT}


def test_a_message_whose_worker_died_goes_out_when_its_lease_lapses(app, mailbox, monkeypatch):
    message_id = _queued("dept1@example.com", "没人送完")
    monkeypatch.setattr(notify, "_send", lambda message, smtp: (_ for _ in ()).throw(SystemExit()))
    try:
        notify.deliver_due()                              # the worker dies in the middle of the chunk
    except SystemExit:
        db.session.rollback()
    monkeypatch.undo()
    assert _state(message_id).state == OutboxState.SENDING
    assert notify.deliver_due()["sent"] == 0              # still leased to the dead worker
    later = notify._machine_now() + notify.CLAIM_LEASE + notify.timedelta(seconds=1)
    monkeypatch.setattr(notify, "_machine_now", lambda: later)
    assert notify.deliver_due()["sent"] == 1 and mailbox.to("dept1@example.com")


def test_single_line_fields_are_flattened_at_input_and_text_areas_keep_their_lines(client_for):
    staff = client_for("staff1")
    complaint = register(staff, object_text="城东支行\r\n二号窗口", customer_name="王\n建国",
                         content="第一行\r\n第二行")
    assert complaint.object_text == "城东支行 二号窗口" and complaint.customer_name == "王 建国"
    assert complaint.content == "第一行\r\n第二行" or complaint.content == "第一行\n第二行"


def test_staff_e_mails_carry_no_link_from_customer_text(client_for, mailbox):
    register(client_for("staff1"), media="y", object_text="请登录 http://evil.example/bank 核验",
             customer_name="王建国 www.evil.example")
    notify.deliver_due()
    [major] = mailbox.to("leader1@example.com")
    text = major.get_body(preferencelist=("plain",)).get_content()
    assert "evil.example" not in major["Subject"] and "evil.example" not in text
    assert "请登录 核验" in major["Subject"] and "王建国" in text
