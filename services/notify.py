"""E-mail through the outbox: queue_email() writes a row in the current transaction; after the
commit a delivery job is enqueued; deliver_due() sends, claiming each row so it goes out once."""
from __future__ import annotations

import functools
import logging
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
_PENDING_FLAG = "outbox_pending"
UNREACHABLE = (ConnectionError, TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


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
    message = OutboxMessage(to_addr=address, subject=subject[:300], body_text=text, body_html=html,
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
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to_addr
    email["Subject"] = message.subject
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
    """Send what is due. A failure keeps the message with a growing back-off; nothing is dropped."""
    now = clock.now()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.state != OutboxState.SENT, OutboxMessage.next_attempt_at <= now)
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
        except OSError as exc:  # smtplib's errors are OSErrors too
            message.state = OutboxState.PENDING
            message.last_error = str(exc)[:500]
            message.next_attempt_at = now + min(timedelta(minutes=2 ** (message.attempts - 1)), MAX_BACKOFF)
            db.session.commit()
            failed += 1
            log.warning("mail %s to %s failed (attempt %s): %s", message.id, message.to_addr,
                        message.attempts, exc)
            if isinstance(exc, UNREACHABLE):
                break  # the server is unreachable: the rest waits for the next tick
        else:
            message.state = OutboxState.SENT
            message.sent_at = clock.now()
            db.session.commit()
            sent += 1
    return {"sent": sent, "failed": failed}
