"""Complaints that arrive by e-mail. A message to the complaints address becomes a complaint for the
service center to assess, as a web complaint does (services.customer.file_web_complaint): the
sender is the contact, subject and text the content, attached files the evidence, checked as
uploads are. A reply whose subject carries a complaint's number, from that complaint's customer,
is added to it instead. Auto-replies, bounces and loops are recorded and dropped. Each message is
taken once by its Message-ID. The caller (services.mail_receiver) commits."""
from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Optional

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from extensions import db, savepoint
from models import (Attachment, Category, Channel, Complaint, ComplaintNature, ComplaintState, CustomerAccess,
                    InboundMail, OutboxMessage)
from services import attachments, clock, customer, org_settings
from services.errors import Refused
from services.mail_reading import NUMBER_RE, ReadMail, read_mail, without_quotation
from services.timeline import log_event

log = logging.getLogger(__name__)

COMPLAINT, REPLY, DROPPED, DUPLICATE = "complaint", "reply", "dropped", "duplicate"
_OUR_MESSAGE_ID = re.compile(r"<outbox-(\d{1,18})@complaints>")   # services.notify's, on every notice
# A subject that starts with 建议 (or "Suggestion"), bracketed or not: a suggestion, where they are kept.
_SUGGESTION = re.compile(r"^\s*[【\[（(]?\s*(建议|suggestion\b)", re.IGNORECASE)


@dataclass
class Taken:
    outcome: str                     # complaint, reply, dropped, duplicate
    complaint_id: Optional[int] = None
    reason: Optional[str] = None
    kept: list[Attachment] = field(default_factory=list)   # files written, to remove if the commit fails


def message_key(raw: bytes, message_id: str) -> str:
    return hashlib.sha256(message_id.strip().encode() if message_id.strip() else raw).hexdigest()


def own_addresses() -> set[str]:
    config = current_app.config
    addresses = (parseaddr(address)[1] for address in (config["MAIL_DEFAULT_SENDER"], *config["MAIL_INTAKE_ADDRESSES"]))
    return {address.lower() for address in addresses if address}


def take(raw: bytes, envelope_from: Optional[str] = None) -> Taken:
    """Turn one received message into a complaint or a reply on one, or drop it; in the caller's
    transaction. The same message taken twice changes nothing the second time."""
    read = read_mail(raw, envelope_from, own_addresses(), current_app.config["MAIL_INTAKE_MAX_RECEIVED"])
    key = message_key(raw, read.message_id)
    if db.session.scalar(select(InboundMail.id).where(InboundMail.message_key == key)) is not None:
        log.info("mail %s taken already", read.message_id or key)
        return Taken(DUPLICATE)
    record = InboundMail(message_key=key, message_id=read.message_id, sender=read.sender, subject=read.subject,
                         received_at=clock.now(), outcome=DROPPED, reason=read.drop_reason)
    try:
        with savepoint():   # the same message delivered twice at once: the second stops here
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        log.info("mail %s taken already", read.message_id or key)
        return Taken(DUPLICATE)
    if read.drop_reason:
        log.info("dropped mail %s from %r: %s", read.message_id, read.sender, read.drop_reason)
        return Taken(DROPPED, reason=read.drop_reason)
    if not read.sender:
        record.reason = "no_sender"
        log.info("dropped mail %s: no sender address", read.message_id)
        return Taken(DROPPED, reason="no_sender")
    target = replied_complaint(read)
    taken = _add_reply(target, read) if target is not None else _file_complaint(read, key)
    record.outcome, record.complaint_id = taken.outcome, taken.complaint_id
    return taken


def replied_complaint(read: ReadMail) -> Optional[Complaint]:
    """The open complaint whose number the subject carries (or whose notice the message answers),
    when the sender is its customer."""
    match = NUMBER_RE.search(read.subject)
    if match is not None:
        complaint = db.session.scalar(select(Complaint).where(Complaint.number == match.group(0).upper()))
    else:
        notices = [int(found.group(1)) for found in map(_OUR_MESSAGE_ID.fullmatch, read.in_reply_to) if found]
        complaint_id = db.session.scalar(select(OutboxMessage.complaint_id).where(
            OutboxMessage.id.in_(notices), OutboxMessage.complaint_id.is_not(None)).limit(1)) if notices else None
        complaint = db.session.get(Complaint, complaint_id) if complaint_id else None
    if complaint is None or complaint.state == ComplaintState.CLOSED:
        return None
    access = db.session.scalar(select(CustomerAccess).where(CustomerAccess.complaint_id == complaint.id))
    contacts = {complaint.customer_contact.strip().lower(), ((access.email or "") if access else "").lower()}
    return complaint if read.sender in contacts else None


def _add_reply(complaint: Complaint, read: ReadMail) -> Taken:
    text = without_quotation(read.text) or read.subject
    customer.add_information(complaint, text, channel="email", subject=read.subject)
    kept = _keep_files(complaint, read.files)
    log.info("mail %s from %r added to %s", read.message_id, read.sender, complaint.number)
    return Taken(REPLY, complaint.id, kept=kept)


def _file_complaint(read: ReadMail, key: str) -> Taken:
    content = "\n\n".join(part for part in (read.subject, read.text) if part) or read.subject
    name = read.sender_name or read.sender.split("@")[0]
    # The token is also the number until the number is taken, so it fits the number's 32 characters.
    complaint, code = customer.file_web_complaint(f"mail-{key[:27]}", customer.WebComplaint(
        customer_name=name[:100], email=read.sender, phone=None, content=content, demand="", object_text="",
        category_id=_intake_category(), object_unit_id=None, language="zh_CN", channel=Channel.EMAIL,
        nature=nature_of(read.subject)))
    kept = _keep_files(complaint, read.files) if code is not None else []
    log.info("mail %s from %r filed as %s", read.message_id, read.sender, complaint.number)
    return Taken(COMPLAINT, complaint.id, kept=kept)


def nature_of(subject: str) -> ComplaintNature:
    """A suggestion when the subject starts with 建议 and the organisation keeps suggestions; else a complaint."""
    if org_settings.keeps("suggestions") and _SUGGESTION.match(subject or ""):
        return ComplaintNature.SUGGESTION
    return ComplaintNature.COMPLAINT


def _intake_category() -> int:
    """The category an e-mail is filed under until the center assesses it (MAIL_INTAKE_CATEGORY)."""
    wanted = db.session.scalar(select(Category.id).where(
        Category.code == current_app.config["MAIL_INTAKE_CATEGORY"], Category.active.is_(True)))
    return wanted or db.session.scalar(select(func.min(Category.id)).where(Category.active.is_(True)))


def _keep_files(complaint: Complaint, files: list[tuple[str, bytes]]) -> list[Attachment]:
    """Each attached file through the upload checks; a refused one is named on the timeline."""
    kept: list[Attachment] = []
    limit = current_app.config["MAIL_INTAKE_MAX_FILES"]
    try:
        for number, (name, data) in enumerate(files):
            with force_locale("zh_CN"):
                try:
                    if number >= limit:
                        raise Refused(f"> {limit}")
                    checked = attachments.check(FileStorage(stream=io.BytesIO(data), filename=name))
                except Refused as refused:
                    log_event(complaint, None, "attachment_refused", f"{name[:200]}: {refused.message or ''}")
                    continue
            kept.append(attachments.keep(complaint, checked, None))
        db.session.flush()
    except BaseException:
        attachments.discard(kept)
        raise
    return kept
