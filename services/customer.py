"""The customer's side of a complaint: filing on the web, the tracking code and the one-time link,
the notices (e-mail and SMS through the outbox) written from the administrator's
templates, and what the customer adds on the tracking page. State changes still go through
services.complaints; the notices of a change hang off its signals (services.signals), connected here."""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from flask import current_app, render_template
from flask_babel import force_locale
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Row, Select, bindparam, select

from config import LANGUAGES
from extensions import db, parsed_locale
from models import (Attachment, Channel, Complaint, ComplaintNature, ComplaintState, ContactKind, CustomerAccess,
                    CustomerMessage, DeadlineKind, MessageDirection, NoticeKind, NoticeTemplate, OutboxMessage, PlanState, Role,
                    Satisfaction, User)
from services import attachments, clock, complaints, identity, kept, notify, org_settings, signals, sms, txcache
from services.errors import Refused
from services.registration import Registration, register_complaint
from services.timeline import log_event
from services.labels import COMMITMENT_LABELS, CUSTOMER_STATE_LABELS, MATTER_LABELS
from services.links import without_links

# No 0/O or 1/I: the code is read off a phone and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10   # 50 bits: guessing is hopeless behind the rate limit
# What a customer is promised, in the order they care about it.
COMMITMENTS = (DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION, DeadlineKind.FINAL_DECISION,
               DeadlineKind.REVIEW)


class NoIntake(Exception):
    """Nobody at the service center can own web complaints (no active center account)."""


# ----------------------------------------------------------------------------- tracking codes

def new_code() -> str:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{code[:5]}-{code[5:]}"


def _hash_code(code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


_NO_HASH = _hash_code("no such complaint")


def access_for(complaint_id: int) -> Optional[CustomerAccess]:
    granted = txcache.get(_granted(complaint_id))   # granted in this transaction, not yet written
    if granted is not None:
        return granted
    return db.session.scalar(select(CustomerAccess).where(CustomerAccess.complaint_id == complaint_id))


def _granted(complaint_id: int) -> str:
    return f"customer_access:{complaint_id}"


def find_by_code(number: str, code: str) -> Optional[Complaint]:
    """The complaint when number and code belong together. An unknown number costs the same
    comparison as a wrong code, so the answer says nothing about which numbers exist."""
    access = db.session.scalar(select(CustomerAccess).join(Complaint, Complaint.id == CustomerAccess.complaint_id)
                               .where(Complaint.number == number.strip().upper()))
    matches = hmac.compare_digest(access.code_hash if access else _NO_HASH, _hash_code(code))
    return db.session.get(Complaint, access.complaint_id) if access and matches else None


def grant_access(complaint: Complaint, email: Optional[str], phone: Optional[str],
                 language: str = "zh_CN") -> str:
    """A new tracking code for the complaint; only its hash is kept, so it is shown once."""
    code = new_code()
    access = CustomerAccess(complaint_id=complaint.id, code_hash=_hash_code(code), email=email,
                            phone=phone, language=language if language in LANGUAGES else "zh_CN",
                            link_nonce=secrets.token_hex(16), created_at=clock.now())
    db.session.add(access)
    # Found by access_for until a flush writes it (then it is read back): the notice that follows
    # needs neither a flush of its own nor a query.
    txcache.put(_granted(complaint.id), CustomerAccess, access)
    return code


# ----------------------------------------------------------------------------- one-time links

class _ClockSigner(TimestampSigner):
    """Link age measured on the app's clock, so expiry follows the controllable clock in tests."""

    def get_timestamp(self) -> int:
        return int(clock.now().replace(tzinfo=timezone.utc).timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tracking-link", signer=_ClockSigner)


def link_url(access: CustomerAccess) -> str:
    token = _serializer().dumps({"c": access.complaint_id, "n": access.link_nonce})
    return f"{current_app.config['PUBLIC_URL']}/track/link/{token}"


def use_link(token: str) -> Optional[Complaint]:
    """The complaint of a valid, unexpired, unused link; using it spends it (and every older link)."""
    max_age = int(current_app.config["TRACK_LINK_MAX_AGE"].total_seconds())
    try:
        data = _serializer().loads(token, max_age=max_age)
        complaint_id, nonce = int(data["c"]), str(data["n"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    access = access_for(complaint_id)
    if access is None or not hmac.compare_digest(access.link_nonce, nonce):
        return None
    access.link_nonce = secrets.token_hex(16)
    return db.session.get(Complaint, complaint_id)


def send_link(number: str, email: str) -> bool:
    """E-mail a one-time link when the e-mail is the complaint's contact. The caller tells the
    customer the same thing either way."""
    access = db.session.scalar(select(CustomerAccess).join(Complaint, Complaint.id == CustomerAccess.complaint_id)
                               .where(Complaint.number == number.strip().upper()))
    given = email.strip().lower().encode()
    if access is None or not access.email or not hmac.compare_digest(access.email.lower().encode(), given):
        return False
    complaint = db.session.get(Complaint, access.complaint_id)
    send_notice(complaint, NoticeKind.LINK, link=link_url(access), record=False)
    return True


# ----------------------------------------------------------------------------- filing on the web

@dataclass
class WebComplaint:
    customer_name: str
    email: str
    phone: Optional[str]
    content: str
    demand: str
    object_text: str
    category_id: int
    object_unit_id: Optional[int]
    language: str
    evidence: list[attachments.Checked] = field(default_factory=list)   # checked before filing
    id_number: Optional[str] = None     # normalised (services.identity), like the phone's mobile number
    account: Optional[str] = None
    channel: Channel = Channel.WEB      # e-mail for a complaint sent to the complaints address
    nature: ComplaintNature = ComplaintNature.COMPLAINT   # a suggestion, where the organisation keeps them


def intake_owner() -> User:
    """Web complaints land in the service center's queue, owned by its first active account."""
    owner = db.session.scalar(select(User).where(User.role == Role.CENTER, User.active.is_(True))
                              .order_by(User.id).limit(1))
    if owner is None:
        raise NoIntake()
    return owner


def file_web_complaint(token: str, data: WebComplaint) -> tuple[Complaint, Optional[str]]:
    """Register a complaint from the public form (channel web, received and registered now) with
    the customer's evidence files, in one transaction. Returns it with its tracking code; a
    resubmitted form returns the first complaint and None (and keeps no second copy of the files)."""
    now = clock.now()
    complaint, created = register_complaint(intake_owner(), token, Registration(
        customer_name=data.customer_name, customer_contact=data.email, channel=data.channel, received_at=now,
        content=data.content, demand=data.demand, object_text=data.object_text, category_id=data.category_id,
        level=current_app.config["WEB_COMPLAINT_LEVEL"], object_unit_id=data.object_unit_id,
        customer_mobile=identity.mobile_in(data.phone or ""), customer_id_number=data.id_number,
        customer_account=data.account, nature=data.nature),
        filed_by_customer=True)
    if not created:
        return complaint, None
    kept = []
    try:
        for checked in data.evidence:
            kept.append(attachments.keep(complaint, checked, None))
        db.session.flush()
    except BaseException:
        # The caller's rollback drops the rows; the files written so far go too.
        attachments.discard(kept)
        raise
    code = grant_access(complaint, data.email, identity.mobile_in(data.phone or ""), data.language)
    db.session.flush()
    send_notice(complaint, NoticeKind.ACCEPTANCE, code=code)
    return complaint, code


@signals.complaint_registered.connect
def accept(complaint: Complaint, filed_by_customer: bool = False) -> None:
    """A complaint registered by staff: when the contact is an e-mail address or a mobile number (or
    a mobile number was given beside a landline), the customer gets the acceptance notice with a
    tracking code; a customer with only a landline is told by phone (see needs_phone_call). (A
    complaint filed on the web got its code from file_web_complaint.)"""
    if filed_by_customer:
        return
    contact = complaint.customer_contact.strip()
    email = contact if sms.contact_kind(contact) == ContactKind.EMAIL else None
    phone = identity.mobile_in(contact) or complaint.customer_mobile
    code = grant_access(complaint, email, phone)
    send_notice(complaint, NoticeKind.ACCEPTANCE, code=code)


# ----------------------------------------------------------------------------- notices

NOTICE_TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "notices" / "defaults"


def _read_default(name: str) -> str:
    text = (NOTICE_TEMPLATE_DIR / name).read_text(encoding="utf-8")
    return text[:-1] if text.endswith("\n") else text   # the file's own last newline is not the template's


# The notices as shipped, (subject, body) by kind and language; the administrator's rows override them.
DEFAULT_TEMPLATES = {(kind, language): (_read_default(f"{kind.value}.{language}.subject.txt"),
                                        _read_default(f"{kind.value}.{language}.txt"))
                     for kind in NoticeKind for language in LANGUAGES}
PLACEHOLDERS = ("customer_name", "number", "received_at", "state", "resolution_due", "final_due", "plan",
                "result", "decision", "closed_at", "tracking_code", "track_url", "link", "link_hours",
                "extension_reason", "matter", "organisation")
_sandbox = SandboxedEnvironment(autoescape=False)
# What a template the administrator wrote may raise when rendered: a syntax or sandbox error, or an
# operation on the wrong type ("{{ number + 1 }}").
TEMPLATE_ERRORS = (TemplateError, TypeError, ValueError, LookupError, ArithmeticError)


def notice_kinds() -> list[NoticeKind]:
    """The notices this organisation sends: the survey invitation only where the profile keeps surveys."""
    return [kind for kind in NoticeKind if kind != NoticeKind.SURVEY or org_settings.keeps("survey")]


def notice_template(kind: NoticeKind, language: str) -> tuple[str, str]:
    def load():
        row = db.session.scalar(select(NoticeTemplate).where(NoticeTemplate.kind == kind,
                                                             NoticeTemplate.language == language))
        return (row.subject, row.body) if row else DEFAULT_TEMPLATES[(kind, language)]
    return kept.kept(f"notice_template:{kind.value}:{language}", NoticeTemplate, load)


def render_notice(subject: str, body: str, context: dict) -> tuple[str, str]:
    """Raises one of TEMPLATE_ERRORS on a broken template (the admin page shows it)."""
    rendered_subject = " ".join(_compiled(subject).render(context).split())
    return rendered_subject, _compiled(body).render(context).strip() + "\n"


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    # Compiling costs far more than rendering, and each notice renders its template three times.
    return _sandbox.from_string(source)


def sample_context() -> dict:
    """What the admin page renders a template with to check it."""
    return {name: f"[{name}]" for name in PLACEHOLDERS}


def _due(complaint: Complaint, kind: DeadlineKind) -> str:
    deadline = next((d for d in reversed(complaint.deadlines) if d.kind == kind), None)
    return _local(deadline.due_at) if deadline else ""


def _local(moment: Optional[datetime]) -> str:
    return f"{clock.to_local(moment):%Y-%m-%d %H:%M}" if moment else ""


def _context(complaint: Complaint, code: Optional[str], link: Optional[str]) -> dict:
    plan = complaint.current_plan
    return {
        "customer_name": without_links(complaint.customer_name), "number": complaint.number,
        "received_at": _local(complaint.received_at), "state": str(CUSTOMER_STATE_LABELS[complaint.state]),
        "resolution_due": _due(complaint, DeadlineKind.RESOLUTION), "final_due": _due(complaint, DeadlineKind.FINAL_DECISION),
        "plan": plan.steps if plan and plan.state == PlanState.APPROVED else "", "result": complaint.result or "",
        "decision": complaint.decision or "", "closed_at": _local(complaint.closed_at),
        "tracking_code": code or "", "track_url": f"{current_app.config['PUBLIC_URL']}/track?number={complaint.number}",
        "link": link or "", "link_hours": int(current_app.config["TRACK_LINK_MAX_AGE"].total_seconds() // 3600),
        "extension_reason": complaint.extensions[-1].reason if complaint.extensions else "",
        "matter": str(MATTER_LABELS[complaint.nature]),   # 投诉, or 建议 where suggestions are kept
        "organisation": org_settings.display_name(),
    }


def send_notice(complaint: Complaint, kind: NoticeKind, code: Optional[str] = None, link: Optional[str] = None,
                record: bool = True) -> None:
    """E-mail (and text) the customer the notice of `kind`, when they gave us an address; the
    copy on the tracking page never shows the tracking code or a link."""
    access = access_for(complaint.id)
    mobile = identity.mobile_in(access.phone or "") if access else None   # a landline kept before contacts were typed
    if access is None or not (access.email or mobile):
        return
    with force_locale(parsed_locale(access.language)):   # parsed once per process
        context = _context(complaint, code, link)
        if kind == NoticeKind.ACCEPTANCE:
            # First contact, to an address nobody has proven yet: nothing the sender typed goes in it.
            context["customer_name"] = ""
        template = usable_template(kind, access.language, context)
        subject, body = render_notice(*template, context)
        notify.note_told(notify.CUSTOMER)
        if access.email:
            html = render_template("public/email.html", subject=subject, body=body)
            notify.queue_message(access.email, subject, body, html, complaint.id)
        if mobile:
            sms.queue_sms(mobile, f"{subject}. {body}", subject, complaint.id, kind, context)
        if record:
            kept_subject, kept_body = render_notice(*template, dict(context, tracking_code="*" * len(code or ""),
                                                                    link=""))
            db.session.add(CustomerMessage(complaint_id=complaint.id, at=clock.now(), direction=MessageDirection.OUT,
                                           channel="email" if access.email else "sms", subject=kept_subject,
                                           body=kept_body))


def usable_template(kind: NoticeKind, language: str, context: dict) -> tuple[str, str]:
    """The administrator's template of the notice, or the default when theirs broke since it was saved."""
    template = notice_template(kind, language)
    return template if _renders(template, context) else DEFAULT_TEMPLATES[(kind, language)]


def _renders(template: tuple[str, str], context: dict) -> bool:
    try:
        render_notice(*template, context)
        return True
    except TEMPLATE_ERRORS:
        return False


# What the customer hears of a transition, sent as the transition's signal arrives.

@signals.plan_approved.connect
def _tell_plan(complaint: Complaint) -> None:
    send_notice(complaint, NoticeKind.PLAN)


@signals.result_given.connect
def _tell_result(complaint: Complaint) -> None:
    send_notice(complaint, NoticeKind.RESULT)


@signals.complaint_closed.connect
def _tell_closure(complaint: Complaint) -> None:
    send_notice(complaint, NoticeKind.CLOSURE)


@signals.ceiling_extended.connect
def _tell_extension(complaint: Complaint) -> None:
    send_notice(complaint, NoticeKind.EXTENSION)


# ----------------------------------------------------------------------------- the tracking page

def needs_phone_call(access: CustomerAccess | None) -> bool:
    """No notice can reach the customer of this access (access_for) by itself: they left a landline
    (or WeChat…), no mobile number or e-mail address, so whoever handles the case tells them by phone."""
    return access is not None and not (access.email or access.phone)


def to_tell_by_phone(limit: int = 10) -> list[Row]:
    """Open complaints whose customer no notice reaches (only a landline or WeChat): the service
    center's calls to make, the most urgent first, with what the list shows of each (not the whole
    complaint). One query; the page shows the first `limit`."""
    return list(db.session.execute(_to_tell_by_phone(), {"shown": limit + 1}))


@functools.cache
def _to_tell_by_phone() -> Select:
    """to_tell_by_phone's statement, built once (the overview asks it on every request)."""
    return (select(Complaint.id, Complaint.number, Complaint.customer_name, Complaint.customer_contact, Complaint.state)
            .join(CustomerAccess, CustomerAccess.complaint_id == Complaint.id)
            .where(Complaint.state != ComplaintState.CLOSED, CustomerAccess.email.is_(None),
                   CustomerAccess.phone.is_(None))
            .order_by(Complaint.next_due_at, Complaint.id).limit(bindparam("shown")))


def deliveries(complaint: Complaint, access: CustomerAccess | None) -> list[OutboxMessage]:
    """The e-mails and texts to the customer about this complaint (its access: access_for), with how
    each went (newest first)."""
    addresses = [address for address in (access.email, access.phone) if address] if access else []
    if not addresses:
        return []
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id,
                                                               OutboxMessage.to_addr.in_(addresses))
                                   .order_by(OutboxMessage.id.desc()).limit(20)))


def messages(complaint: Complaint) -> list[CustomerMessage]:
    return list(db.session.scalars(select(CustomerMessage).where(CustomerMessage.complaint_id == complaint.id)
                                   .order_by(CustomerMessage.id).limit(200)))


def own_files(complaint: Complaint) -> list[Attachment]:
    """The files the customer sent (names and sizes only: the tracking page offers no download)."""
    return list(db.session.scalars(
        select(Attachment).where(Attachment.complaint_id == complaint.id, Attachment.uploaded_by_id.is_(None))
        .order_by(Attachment.id).limit(20)))


def commitments(complaint: Complaint) -> list[tuple]:
    """(label, due, met_at) of the latest clock of each kind the company committed to."""
    latest = {}
    for deadline in complaint.deadlines:
        if deadline.kind in COMMITMENTS:
            latest[deadline.kind] = deadline
    return [(COMMITMENT_LABELS[kind], latest[kind].due_at, latest[kind].met_at) for kind in COMMITMENTS
            if kind in latest]


def record_view(complaint: Complaint) -> None:
    log_event(complaint, None, "viewed", "customer · tracking page")


def add_information(complaint: Complaint, text: str, channel: str = "web", subject: str = "") -> CustomerMessage:
    """More from the customer (on the tracking page, or by e-mail): on their page, on the case's
    timeline, and to whoever handles it."""
    if complaint.state == ComplaintState.CLOSED:
        raise Refused()
    message = CustomerMessage(complaint_id=complaint.id, at=clock.now(), direction=MessageDirection.IN,
                              channel=channel, subject=subject[:300], body=text)
    db.session.add(message)
    log_event(complaint, None, "customer_mailed" if channel == "email" else "customer_added", text)
    recipients = {complaint.owner_id: complaint.owner}
    if complaint.handler is not None:
        recipients[complaint.handler.id] = complaint.handler
    for user in recipients.values():
        if user.active:
            notify.queue_email(user, "customer_added", complaint_id=complaint.id, complaint=complaint, added=text)
    return message


def answer_survey(complaint: Complaint, rating: Satisfaction, comment: str) -> None:
    complaints.record_customer_survey(complaint, rating, comment)
