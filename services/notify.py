"""E-mail (and texts, services.sms) through the outbox: queue_email() writes a row in the current
transaction (queue_later() many at once, rendered when sent); after the commit a delivery job is
enqueued; deliver_due() sends, claiming each row so it goes out once."""
from __future__ import annotations

import json
import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import event, or_, select, text, update
from sqlalchemy.orm import Session

from extensions import db, parsed_locale
from models import Complaint, Deadline, OutboxChannel, OutboxMessage, OutboxState, User
from services import clock, mail_format, queue, sms_gateways, sql
from services.mail_format import Connection

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(minutes=30)
CHUNK = 100            # messages claimed at once and sent over one SMTP connection
SENT_MARKS = 20        # sent messages recorded together, in one UPDATE and one commit
MAX_ATTEMPTS = 8        # about two hours of back-off; then the message is given up and shown to the administrator
# A text the provider throttled (too many to this number, or from this account) is no fault of the
# message: the attempt is not counted, it waits half its age (1 minute to 1 hour) and is given up only
# when still throttled a day after it was queued (a daily limit the provider keeps).
THROTTLE_PAUSE = (timedelta(minutes=1), timedelta(hours=1))
THROTTLE_GIVE_UP = timedelta(days=1)
_PENDING_FLAG = "outbox_pending"
_TOLD = "outbox_told"
CUSTOMER = "customer"  # in told(): the customer, by e-mail or text
UNREACHABLE = (ConnectionError, TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)
# Every character Python's e-mail library (or a mail server) could take for the end of a header line.
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
# What an e-mail rendered when sent reads: each id of its template_context, the object it names.
LATER_CONTEXT = {"complaint_id": ("complaint", Complaint), "deadline_id": ("deadline", Deadline),
                 "user_id": ("user", User)}
# A reminder asks for something before its deadline: held for the recipient's working hours while
# the deadline was met, it is dropped, not sent. Overdue and escalation notices report a miss,
# which stays true: they go out.
DROPPED_WHEN_MET = {"reminder"}


class NoLongerNeeded(Exception):
    """What an e-mail rendered when sent asks for was done before it went out (DROPPED_WHEN_MET)."""


def one_line(text: str) -> str:
    """A header value on one line: typed text reaches subjects (被投诉对象 of a major complaint), and a
    line break there would make the message unbuildable, or add a header of the sender's choosing."""
    return _LINE_BREAKS.sub(" ", text or "").strip()


def queue_email(user: User, template: str, complaint_id: int | None = None, **context) -> OutboxMessage:
    """Render templates/email/<template>.{subject.txt,txt} in the user's language and queue it."""
    note_told(user.name)
    return queue_email_to(user.email, user.locale, template, complaint_id, user=user, **context)


def queue_email_to(address: str, locale: str, template: str, complaint_id: int | None = None,
                   **context) -> OutboxMessage:
    subject, text, html = _render(template, locale, complaint_id, context)
    return queue_message(address, subject, text, html, complaint_id)


def _render(template: str, locale: str, complaint_id: int | None, context: dict) -> tuple[str, str, str]:
    context.setdefault("link", f"{current_app.config['PUBLIC_URL']}/complaints/{complaint_id}"
                       if complaint_id else current_app.config["PUBLIC_URL"])
    env = current_app.jinja_env
    with force_locale(parsed_locale(locale)):
        values = {**env.globals, **context}   # the subject and the text read the same
        subject = _fill(env, f"email/{template}.subject.txt", values).strip()
        text = _fill(env, f"email/{template}.txt", values)
        # The HTML's paragraphs, without the link (a button there), cut here: in the template each
        # method call is a Jinja call of its own, the most of the layout's time.
        link = context["link"]
        paragraphs = [(part.replace(link, "") if link else part).strip() for part in text.strip().split("\n\n")]
        html = _fill(env, "email/layout.html", {**env.globals, "subject": subject, "paragraphs": paragraphs,
                                                "link": link})
    return subject, text, html


def _fill(env, name: str, values: dict) -> str:
    """render_template without what no e-mail reads (the context processors) and without Jinja
    copying every global key by key from a ChainMap (together half of the delivery's time): `values`
    holds the environment's globals and the template's own, merged once by the caller."""
    template = env.get_template(name)
    return env.concat(template.root_render_func(template.new_context(values, shared=True)))


def queue_later(mails: list[dict]) -> None:
    """Queue many e-mails in one multi-row INSERT, each rendered only when it is sent (the sweep's
    thousands of notices: rendering them here cost most of its time). Each mail is a dict of
    address, locale, template, context (the ids its template reads, keys of LATER_CONTEXT),
    complaint_id and next_attempt_at."""
    if not mails:
        return
    now = clock.now()
    sql.insert_rows(OutboxMessage.__table__, [
        {"to_addr": one_line(mail["address"])[:254], "subject": "", "body_text": "", "body_html": None,
         "state": OutboxState.PENDING, "created_at": now, "next_attempt_at": mail["next_attempt_at"],
         "attempts": 0, "complaint_id": mail["complaint_id"], "channel": OutboxChannel.EMAIL,
         "template": mail["template"], "locale": mail["locale"], "template_context": mail["context"]}
        for mail in mails])
    db.session.info[_PENDING_FLAG] = True


def render_later(messages) -> dict[int, tuple[str, str, str] | Exception]:
    """Render the messages queued by queue_later (rows or objects with id, template, locale,
    template_context and complaint_id): the objects their templates read loaded at once, a query
    per kind, each message in its recipient's language. A message that cannot be rendered (what it
    names is gone, its template fails) gets its exception instead, to fail alone."""
    wanted: dict[str, set] = {}
    for message in messages:
        for key, value in message.template_context.items():
            wanted.setdefault(key, set()).add(value)
    found: dict[str, dict] = {}
    for key, ids in wanted.items():
        if key in LATER_CONTEXT:
            model = LATER_CONTEXT[key][1]
            found[key] = {obj.id: obj for obj in db.session.scalars(select(model).where(sql.among(model.id, ids)))}
    rendered: dict[int, tuple[str, str, str] | Exception] = {}
    for message in messages:
        try:
            context = {}
            for key, value in message.template_context.items():
                if value not in found.get(key, {}):
                    raise LookupError(f"{key} {value} not found")
                context[LATER_CONTEXT[key][0]] = found[key][value]
            if message.template in DROPPED_WHEN_MET and context["deadline"].met_at is not None:
                raise NoLongerNeeded(f"deadline {context['deadline'].id} met")
            rendered[message.id] = _render(message.template, message.locale, message.complaint_id, context)
        except Exception as exc:  # noqa: BLE001 - the message fails alone when sent
            rendered[message.id] = exc
    return rendered


def subjects(messages) -> dict[int, str]:
    """Each message's subject as it goes out (the administrator's outbox page)."""
    later = render_later([m for m in messages if _rendered_when_sent(m)])
    return {m.id: later[m.id][0] if isinstance(later.get(m.id), tuple) else m.subject or m.template or ""
            for m in messages}


def _rendered_when_sent(message) -> bool:
    return message.template is not None and not message.body_text


def queue_message(address: str, subject: str, text: str, html: str | None = None,
                  complaint_id: int | None = None) -> OutboxMessage:
    """Queue an e-mail already rendered (the customer notices, from the administrator's templates)."""
    now = clock.now()
    message = OutboxMessage(to_addr=one_line(address)[:254], subject=one_line(subject)[:300], body_text=text, body_html=html,
                            created_at=now, next_attempt_at=now, complaint_id=complaint_id)
    db.session.add(message)
    db.session.info[_PENDING_FLAG] = True
    return message


def note_told(who: str) -> None:
    """Remember who this transaction's messages go to, so the page can say so (see told())."""
    db.session.info.setdefault(_TOLD, []).append(who)


def told() -> list[str]:
    """Whom the messages queued in the current transaction go to, each once: staff by name, and
    CUSTOMER for the customer. Read it before the commit, which forgets it."""
    return list(dict.fromkeys(db.session.info.get(_TOLD, [])))


DELIVERY_WAITING = "complaints:delivery-waiting"   # a delivery job is queued and has not started (services.queue)


@event.listens_for(Session, "after_commit")
def _enqueue_delivery_after_commit(session: Session) -> None:
    session.info.pop(_TOLD, None)
    if session.info.pop(_PENDING_FLAG, False):
        queue.enqueue_unless_waiting(DELIVERY_WAITING, "services.jobs.deliver_outbox")


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_FLAG, None)
    session.info.pop(_TOLD, None)


def _machine_now() -> datetime:
    """Leases are measured on the machine's clock, not the business clock (services.clock): a lease
    says how long a worker may stay silent before it is taken for dead, and when tests move the
    business clock forward a worker still sending must not lose its chunk to another."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _claim_chunk(now, size: int) -> list[int]:
    """Take up to `size` messages due by `now` for this worker (services.sql.claim: on PostgreSQL
    several delivery jobs each send their own); a message whose lease lapsed, its worker gone, is
    due again."""
    leased_at = _machine_now()
    claimable = or_(OutboxMessage.state == OutboxState.PENDING,
                    (OutboxMessage.state == OutboxState.SENDING) & (OutboxMessage.claimed_until < leased_at))
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.state != OutboxState.SENT, OutboxMessage.state != OutboxState.DROPPED,
                  OutboxMessage.state != OutboxState.FAILED,
                  OutboxMessage.next_attempt_at <= now, claimable)
           .order_by(OutboxMessage.next_attempt_at).limit(size))
    claimed = sql.claim(OutboxMessage, due, claimable,
                        {"state": OutboxState.SENDING, "claimed_until": leased_at + CLAIM_LEASE})
    db.session.commit()
    return sorted(claimed)


@dataclass(slots=True)
class _Mail:
    """An e-mail of the chunk as _send builds it: its row's, or rendered now (queue_later)."""
    id: int
    to_addr: str
    subject: str
    body_text: str
    body_html: str | None
    failure: Exception | None = None    # it could not be rendered: it fails alone


def _mails(rows) -> list[_Mail]:
    rendered = render_later([row for row in rows if _rendered_when_sent(row)])
    mails = []
    for row in rows:
        done = rendered.get(row.id)
        if isinstance(done, tuple):
            mails.append(_Mail(row.id, row.to_addr, *done))
        else:
            mails.append(_Mail(row.id, row.to_addr, row.subject, row.body_text, row.body_html, done))
    return mails


def _send(message: _Mail, smtp: "Connection") -> None:
    """Build one message and hand it to the open SMTP session."""
    if message.failure is not None:
        raise message.failure
    sender = one_line(current_app.config["MAIL_DEFAULT_SENDER"])
    to_addr, subject = one_line(message.to_addr), one_line(message.subject)[:300]
    message_id = f"<outbox-{message.id}@complaints>"
    raw = mail_format.message_bytes(sender, to_addr, subject, message.body_text, message.body_html, message_id)
    if raw is not None:
        smtp.send_bytes(mail_format.envelope_sender(sender), to_addr, raw)
        return
    # An address that is not ASCII: EmailMessage and smtplib ask the server for SMTPUTF8.
    email = EmailMessage()
    email["From"], email["To"], email["Subject"], email["Message-ID"] = sender, to_addr, subject, message_id
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    smtp.send(email)


def smtp_send(email: EmailMessage) -> None:
    """Hand one message to the configured SMTP server; raises OSError (smtplib's errors) on failure."""
    with Connection() as smtp:
        smtp.send(email)


def deliver_due(limit: int = 1000) -> dict:
    """Send what is due, a chunk at a time over one SMTP connection. Each message fails alone:
    whatever goes wrong with one (a refused address, a message that cannot be built) is recorded on
    it with a growing back-off, and after MAX_ATTEMPTS it is given up for the administrator to see;
    the others go on. An unreachable server stops the run: the rest waits for the next tick."""
    now = clock.now()
    sent = failed = dropped = 0
    while sent + failed + dropped < limit:
        ids = _claim_chunk(now, min(CHUNK, limit - sent - failed - dropped))
        if not ids:
            break
        # Plain rows, not ORM objects: the group commits below would expire objects and cost a reload each.
        rows = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.to_addr, OutboxMessage.subject, OutboxMessage.body_text,
                   OutboxMessage.body_html, OutboxMessage.channel, OutboxMessage.template_code,
                   OutboxMessage.template_params, OutboxMessage.complaint_id, OutboxMessage.template,
                   OutboxMessage.locale, OutboxMessage.template_context)
            .where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)).all()
        # Texts first and on their own: a provider that fails or is away holds back no e-mail.
        texts_sent, texts_failed = _deliver_texts([m for m in rows if m.channel == OutboxChannel.SMS], now)
        sent, failed = sent + texts_sent, failed + texts_failed
        # Those rendered when sent are rendered here, before the first commit below expires what they read.
        messages = _mails([m for m in rows if m.channel != OutboxChannel.SMS])
        needless = [m.id for m in messages if isinstance(m.failure, NoLongerNeeded)]
        if needless:
            _drop(needless)
            dropped += len(needless)
            messages = [m for m in messages if not isinstance(m.failure, NoLongerNeeded)]
        done: list[int] = []
        with Connection() as smtp:
            for position, message in enumerate(messages):
                try:
                    _send(message, smtp)
                except Exception as exc:  # noqa: BLE001 - a failure stays with its message, never the batch
                    server_down = isinstance(exc, UNREACHABLE)
                    _mark_sent(done)
                    _record_failure(message.id, exc, now, server_down)
                    failed += 1
                    if server_down:
                        _release([later.id for later in messages[position + 1:]])
                        db.session.commit()
                        return {"sent": sent, "failed": failed, "dropped": dropped}
                    db.session.commit()
                    smtp.close()   # after an error mid-message the session may be in any state
                    continue
                done.append(message.id)
                sent += 1
                if len(done) == SENT_MARKS:
                    _mark_sent(done)
            _mark_sent(done)
        if len(ids) < CHUNK:
            break
    return {"sent": sent, "failed": failed, "dropped": dropped}


def _deliver_texts(messages: list, now) -> tuple[int, int]:
    """Send each text through the SMS provider, one at a time; a failure stays with its text. An
    unreachable provider (or a timeout: the text may have gone, so a retry can duplicate it, never
    lose it) ends this run's texts: the rest wait, uncounted, for the next tick."""
    sent = failed = 0
    for position, message in enumerate(messages):
        try:
            reference = sms_gateways.gateway().send(message.to_addr, message.body_text, message.template_code,
                                                    json.loads(message.template_params or "{}"))
        except Exception as exc:  # noqa: BLE001 - a failure stays with its message, never the batch
            error = (exc if isinstance(exc, sms_gateways.SmsError)
                     else sms_gateways.SmsError(type(exc).__name__, str(exc)))
            _record_failure(message.id, exc, now, error.unreachable, throttled=error.throttled,
                            provider_code=error.code)
            failed += 1
            if error.unreachable:
                _release([later.id for later in messages[position + 1:]])
                db.session.commit()
                break
            db.session.commit()
            continue
        _without_waiting_for_disk()
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                           .values(state=OutboxState.SENT, sent_at=clock.now(), attempts=OutboxMessage.attempts + 1,
                                   provider_code=(reference or "")[:100] or None)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        sent += 1
    return sent, failed


def _mark_sent(ids: list[int]) -> None:
    """Record a group of sent messages in one statement and commit it. A worker that dies after
    sending and before this commit leaves at most SENT_MARKS messages to go out a second time when
    their claim lapses: a duplicate, never a loss (a round trip per e-mail held delivery to ~90/s)."""
    if not ids:
        return
    _without_waiting_for_disk()
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                       .values(state=OutboxState.SENT, sent_at=clock.now(), attempts=OutboxMessage.attempts + 1)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    ids.clear()


def _drop(ids: list[int]) -> None:
    """Messages no longer needed (NoLongerNeeded): kept for the record, never sent."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                       .values(state=OutboxState.DROPPED, claimed_until=None)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _without_waiting_for_disk() -> None:
    """On PostgreSQL, the delivery's own commits do not wait for the WAL to reach the disk. Should
    the database server itself crash, the last fraction of a second of 'sent' marks can be lost and
    those e-mails are sent again: a duplicate, never a loss."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _release(ids: list[int]) -> None:
    """Claimed but not tried (the server went away): due again at once, no attempt counted."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                       .values(state=OutboxState.PENDING, claimed_until=None)
                       .execution_options(synchronize_session=False))


def _record_failure(message_id: int, exc: Exception, now, server_down: bool, throttled: bool = False,
                    provider_code: str | None = None) -> None:
    message = db.session.get(OutboxMessage, message_id)
    message.last_error = f"{type(exc).__name__}: {exc}"[:500]
    message.provider_code = provider_code
    if throttled:
        message.claimed_until = None
        if now - message.created_at >= THROTTLE_GIVE_UP:
            message.state = OutboxState.FAILED
            log.error("text %s to %s given up, throttled for a day: %s", message.id, message.to_addr,
                      message.last_error)
        else:
            message.state = OutboxState.PENDING
            low, high = THROTTLE_PAUSE
            message.next_attempt_at = now + min(max((now - message.created_at) / 2, low), high)
            log.warning("text %s to %s throttled: %s", message.id, message.to_addr, message.last_error)
        return
    message.attempts += 1
    # An outage of the server is no fault of the message: it waits however long the outage lasts.
    if message.attempts >= MAX_ATTEMPTS and not server_down:
        message.state = OutboxState.FAILED
        log.error("message %s to %s given up after %s attempts: %s", message.id, message.to_addr,
                  message.attempts, message.last_error)
    else:
        message.state = OutboxState.PENDING
        message.next_attempt_at = now + min(timedelta(minutes=2 ** (message.attempts - 1)), MAX_BACKOFF)
        log.warning("message %s to %s failed (attempt %s): %s", message.id, message.to_addr,
                    message.attempts, message.last_error)


def retry(message: OutboxMessage) -> None:
    """The administrator sends a given-up (or waiting) message again, at once, with a fresh count."""
    message.state = OutboxState.PENDING
    message.attempts = 0
    message.next_attempt_at = clock.now()
    message.claimed_until = None
    message.provider_code = None
    db.session.info[_PENDING_FLAG] = True
