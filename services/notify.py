"""E-mail through the outbox: queue_email() writes a row in the current transaction; after the
commit a delivery job is enqueued; deliver_due() sends, claiming each row so it goes out once."""
from __future__ import annotations

import functools
import logging
import re
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from babel import Locale
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from extensions import db
from models import OutboxMessage, OutboxState, User
from services import clock, queue

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(minutes=30)
MAX_ATTEMPTS = 8        # about two hours of back-off; then the message is given up and shown to the administrator
_PENDING_FLAG = "outbox_pending"
UNREACHABLE = (ConnectionError, TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)
# Every character Python's e-mail library (or a mail server) could take for the end of a header line.
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    """A header value on one line: typed text reaches subjects (被投诉对象 of a major complaint), and a
    line break there would make the message unbuildable, or add a header of the sender's choosing."""
    return _LINE_BREAKS.sub(" ", text or "").strip()


def queue_email(user: User, template: str, complaint_id: int | None = None, **context) -> OutboxMessage:
    """Render templates/email/<template>.{subject.txt,txt} in the user's language and queue it."""
    return queue_email_to(user.email, user.locale, template, complaint_id, user=user, **context)


def queue_email_to(address: str, locale: str, template: str, complaint_id: int | None = None,
                   **context) -> OutboxMessage:
    context.setdefault("link", f"{current_app.config['PUBLIC_URL']}/complaints/{complaint_id}"
                       if complaint_id else current_app.config["PUBLIC_URL"])
    with force_locale(_parsed_locale(locale)):
        subject = render_template(f"email/{template}.subject.txt", **context).strip()
        text = render_template(f"email/{template}.txt", **context)
        html = render_template("email/layout.html", subject=subject, text=text, **context)
    return queue_message(address, subject, text, html, complaint_id)


def queue_message(address: str, subject: str, text: str, html: str | None = None,
                  complaint_id: int | None = None) -> OutboxMessage:
    """Queue an e-mail already rendered (the customer notices, from the administrator's templates)."""
    now = clock.now()
    message = OutboxMessage(to_addr=one_line(address)[:254], subject=one_line(subject)[:300], body_text=text, body_html=html,
                            created_at=now, next_attempt_at=now, complaint_id=complaint_id)
    db.session.add(message)
    db.session.info[_PENDING_FLAG] = True
    return message


@functools.cache
def _parsed_locale(code: str) -> Locale:
    # Babel parses a locale name by listing its locale data files; a sweep renders thousands of e-mails.
    return Locale.parse(code)


@event.listens_for(Session, "after_commit")
def _enqueue_delivery_after_commit(session: Session) -> None:
    if session.info.pop(_PENDING_FLAG, False):
        queue.enqueue_best_effort("services.jobs.deliver_outbox")


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_FLAG, None)


def _claim(message_id: int, now) -> bool:
    """Take one message for this worker; False when another worker has it or it was sent."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               or_(OutboxMessage.state == OutboxState.PENDING,
                   (OutboxMessage.state == OutboxState.SENDING) & (OutboxMessage.claimed_until < now)))
        .values(state=OutboxState.SENDING, claimed_until=now + CLAIM_LEASE)
    )
    db.session.commit()
    return result.rowcount == 1


def _send(message: OutboxMessage) -> None:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = one_line(cfg["MAIL_DEFAULT_SENDER"])
    email["To"] = one_line(message.to_addr)
    email["Subject"] = one_line(message.subject)
    email["Message-ID"] = f"<outbox-{message.id}@complaints>"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    smtp_send(email)


def smtp_send(email: EmailMessage) -> None:
    """Hand one message to the configured SMTP server; raises OSError (smtplib's errors) on failure."""
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["SMTP_TIMEOUT"]) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def deliver_due(limit: int = 200) -> dict:
    """Send what is due. Each message fails alone: whatever goes wrong with one (an unreachable server, a
    refused address, a message that cannot be built) is recorded on it with a growing back-off, and
    after MAX_ATTEMPTS it is given up for the administrator to see; the others go on."""
    now = clock.now()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.state != OutboxState.SENT, OutboxMessage.state != OutboxState.FAILED,
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at).limit(limit)
    ).all()
    sent = failed = 0
    for message_id in ids:
        if not _claim(message_id, now):
            continue
        message = db.session.get(OutboxMessage, message_id)
        message.attempts += 1
        try:
            _send(message)
        except Exception as exc:  # noqa: BLE001 - any failure stays with its message, never with the batch
            db.session.rollback()
            _record_failure(message_id, exc, now, server_down=isinstance(exc, UNREACHABLE))
            failed += 1
            if isinstance(exc, UNREACHABLE):
                break  # the server is unreachable: the rest waits for the next tick
        else:
            message.state = OutboxState.SENT
            message.sent_at = clock.now()
            db.session.commit()
            sent += 1
    return {"sent": sent, "failed": failed}


def _record_failure(message_id: int, exc: Exception, now, server_down: bool) -> None:
    message = db.session.get(OutboxMessage, message_id)
    message.attempts += 1   # the rollback undid the count taken before sending
    message.last_error = f"{type(exc).__name__}: {exc}"[:500]
    # An outage of the server is no fault of the message: it waits however long the outage lasts.
    if message.attempts >= MAX_ATTEMPTS and not server_down:
        message.state = OutboxState.FAILED
        log.error("mail %s to %s given up after %s attempts: %s", message.id, message.to_addr,
                  message.attempts, message.last_error)
    else:
        message.state = OutboxState.PENDING
        message.next_attempt_at = now + min(timedelta(minutes=2 ** (message.attempts - 1)), MAX_BACKOFF)
        log.warning("mail %s to %s failed (attempt %s): %s", message.id, message.to_addr,
                    message.attempts, message.last_error)
    db.session.commit()


def retry(message: OutboxMessage) -> None:
    """The administrator sends a given-up (or waiting) message again, at once, with a fresh count."""
    message.state = OutboxState.PENDING
    message.attempts = 0
    message.next_attempt_at = clock.now()
    message.claimed_until = None
    db.session.info[_PENDING_FLAG] = True
