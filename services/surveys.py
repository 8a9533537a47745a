"""The customers' opinion survey (用户意见调查表, half-yearly where the profile keeps `survey`): the
service center makes a round from a list of customers and the customers of the period's complaints,
sends each a personal link (e-mail or text, through the outbox), each answers once, and the round's
summary (用户意见调查汇总表) counts what came back. The worker reminds the center when the next round
is due. Every state change of a round or an answer is here."""
from __future__ import annotations

import calendar as month_calendar
import csv
import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from extensions import db, gettext as _
from models import Complaint, NoticeKind, SurveyItem, SurveyRecipient, SurveyRound, User
from models.survey import SCORES
from services import audit, clock, customer, identity, notify, org_settings, sms
from services.errors import Refused
from services.recipients import center_staff

RECORD = "survey"
MAX_LINES = 5000          # customers of one round
TOKEN_BYTES = 24          # 192 bits in the link: no guessing, whatever the rate limit
CUSTOMER_LOCALE = "zh_CN"
HEADER_WORDS = ("姓名", "name", "客户", "手机", "mobile", "e-mail", "email", "邮箱")


def enabled() -> bool:
    return org_settings.keeps(RECORD)


def every_months() -> Optional[int]:
    setting = org_settings.record_setting(RECORD)
    return int(setting["every_months"]) if setting else None


# ----------------------------------------------------------------------------- the list of customers

@dataclass
class Customer:
    name: str
    email: Optional[str] = None
    mobile: Optional[str] = None
    complaint_id: Optional[int] = None

    @property
    def key(self) -> str:
        return self.mobile or (self.email or "").lower()


@dataclass
class BadLine:
    line: str      # where it was: "3", or the file's "3"
    text: str
    reason: str


@dataclass
class CustomerList:
    customers: list[Customer] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)   # contact key -> where it was first

    def add(self, customer: Customer, where: str, text: str) -> None:
        first = self.seen.get(customer.key)
        if first is not None:
            self.bad.append(BadLine(where, text, _("The same customer as line %(line)s.", line=first)))
            return
        self.seen[customer.key] = where
        self.customers.append(customer)


def decode_upload(data: bytes) -> str:
    """An uploaded CSV file's text: UTF-8 (with or without the byte-order mark Excel writes), else the
    GB 18030 encoding a Chinese Excel saves in. Refused when it is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:    # a spreadsheet's binary file decodes too, NULs and all
            return text
    raise Refused(_("The file is not a CSV text file (UTF-8 or GBK)."))


def read_lines(text: str, into: CustomerList, prefix: str = "") -> None:
    """Each line a customer: a name, then a mobile number or an e-mail address (comma, Chinese comma,
    semicolon or tab between them). A first line of column headings is passed over; each unusable
    line is kept with its number and the reason."""
    text = text.replace("，", ",").replace("；", ",").replace(";", ",").replace("\t", ",")
    reader = csv.reader(io.StringIO(text))
    try:
        _read_rows(reader, into, prefix)
    except csv.Error:   # a field beyond the csv module's limit, or a broken quote
        raise Refused(_("Line %(line)d cannot be read as CSV.", line=reader.line_num)) from None


def _read_rows(reader, into: CustomerList, prefix: str) -> None:
    for row in reader:
        cells = [cell.strip() for cell in row if cell.strip()]
        if not cells:
            continue
        where = f"{prefix}{reader.line_num}"
        raw = ", ".join(cells)[:300]
        if reader.line_num == 1 and _is_heading(cells):
            continue
        if len(into.customers) + len(into.bad) >= MAX_LINES:
            raise Refused(_("At most %(count)d customers in one round.", count=MAX_LINES))
        customer, reason = _customer(cells)
        if customer is None:
            into.bad.append(BadLine(where, raw, reason))
        else:
            into.add(customer, where, raw)


def _is_heading(cells: list[str]) -> bool:
    lowered = [cell.lower() for cell in cells]
    return all(_contact(cell) is None for cell in cells) and any(
        word in cell for cell in lowered for word in HEADER_WORDS)


def _contact(value: str) -> Optional[tuple[str, str]]:
    mobile = identity.mobile_in(value)
    if mobile:
        return "mobile", mobile
    if "@" in value:
        try:
            return "email", validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            return None
    return None


def _customer(cells: list[str]) -> tuple[Optional[Customer], str]:
    if len(cells) < 2:
        return None, _("Give a name and a mobile number or e-mail address.")
    name = cells[0]
    if len(name) > 100:
        return None, _("The name is longer than 100 characters.")
    if _contact(name) is not None:
        return None, _("The name comes first, then the mobile number or e-mail address.")
    contacts = dict(filter(None, (_contact(cell) for cell in cells[1:])))
    if not contacts:
        return None, _("%(value)s is neither a mainland mobile number nor an e-mail address.", value=cells[1][:60])
    return Customer(name=name, email=contacts.get("email"), mobile=contacts.get("mobile")), ""


def add_complaint_customers(start: date, end: date, into: CustomerList) -> int:
    """The customers of the complaints received in the period (local dates), each once, who left a
    mobile number or an e-mail address. Returns how many were added."""
    since = clock.from_local(datetime.combine(start, time.min))
    until = clock.from_local(datetime.combine(end + timedelta(days=1), time.min))
    rows = db.session.execute(
        select(Complaint.id, Complaint.number, Complaint.customer_name, Complaint.customer_contact,
               Complaint.customer_mobile)
        .where(Complaint.received_at >= since, Complaint.received_at < until).order_by(Complaint.id)
        .limit(MAX_LINES)).all()
    added = 0
    for complaint_id, number, name, contact, mobile in rows:
        found = ("mobile", mobile) if mobile else _contact(contact or "")
        if found is None:
            continue
        customer = Customer(name=name[:100], complaint_id=complaint_id, **{found[0]: found[1]})
        if customer.key not in into.seen:
            into.add(customer, number, name)
            added += 1
    return added


# ----------------------------------------------------------------------------- the round

def half_year(day: date) -> tuple[date, date]:
    """The half-year a day is in: January to June, or July to December."""
    if day.month <= 6:
        return date(day.year, 1, 1), date(day.year, 6, 30)
    return date(day.year, 7, 1), date(day.year, 12, 31)


def create_round(user: User, title: str, start: date, end: date, customers: CustomerList) -> SurveyRound:
    if not enabled():
        raise Refused(_("This organisation does not keep customer surveys."))
    if end < start:
        raise Refused(_("The period ends before it starts."), field="period_end")
    if not customers.customers:
        raise Refused(_("The round has no customer to send it to."), field="customers")
    survey = SurveyRound(title=title, period_start=start, period_end=end, created_at=clock.now(),
                         created_by_id=user.id,
                         left_out=[{"line": b.line, "text": b.text, "reason": b.reason} for b in customers.bad])
    survey.recipients = [SurveyRecipient(name=c.name, email=c.email, mobile=c.mobile, complaint_id=c.complaint_id)
                         for c in customers.customers]
    db.session.add(survey)
    db.session.flush()
    audit.record_admin("survey_created", title, {"round": survey.id, "customers": len(customers.customers),
                                                 "left_out": len(customers.bad)})
    return survey


def send_round(survey: SurveyRound) -> int:
    """Queue one message per customer with their personal link: an e-mail where they gave an
    address, else a text. A round is sent once (claimed by a conditional UPDATE)."""
    now = clock.now()
    claimed = db.session.execute(update(SurveyRound).where(SurveyRound.id == survey.id, SurveyRound.sent_at.is_(None))
                                 .values(sent_at=now).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise Refused(_("This round was sent already."))
    db.session.refresh(survey)
    organisation = org_settings.display_name(english=False)
    with force_locale(CUSTOMER_LOCALE):
        template = customer.usable_template(NoticeKind.SURVEY, CUSTOMER_LOCALE, _context("", organisation, ""))
        for recipient in survey.recipients:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            recipient.token_hash = _hash(token)
            recipient.sent_at = now
            _invite(recipient, template, _context(recipient.name, organisation,
                                                  f"{current_app.config['PUBLIC_URL']}/survey/{token}"))
    notify.note_told(notify.CUSTOMER)
    audit.record_admin("survey_sent", survey.title, {"round": survey.id, "customers": len(survey.recipients)})
    return len(survey.recipients)


def _context(name: str, organisation: str, link: str) -> dict:
    return dict(dict.fromkeys(customer.PLACEHOLDERS, ""), customer_name=name, organisation=organisation, link=link)


def _invite(recipient: SurveyRecipient, template: tuple[str, str], context: dict) -> None:
    """The invitation from the survey notice the administrator wrote (notices page): an e-mail, or a text
    carrying the provider's template code of the kind and its parameters."""
    subject, body = customer.render_notice(*template, context)
    if recipient.email:
        notify.queue_message(recipient.email, subject, body,
                             render_template("public/email.html", subject=subject, body=body))
    else:
        sms.queue_sms(recipient.mobile, f"{subject}. {body}", subject, None, NoticeKind.SURVEY, context)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def by_token(token: str) -> Optional[SurveyRecipient]:
    """The recipient of a personal link (None for any other text)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(SurveyRecipient).where(SurveyRecipient.token_hash == _hash(token)))


def record_answer(recipient: SurveyRecipient, scores: dict[SurveyItem, int], comment: str) -> None:
    """The customer's answer, once: a second one is refused."""
    scores = {item.value: int(score) for item, score in scores.items() if score in SCORES}
    if not scores:
        raise Refused(_("Score at least one item."), field="scores")
    written = db.session.execute(
        update(SurveyRecipient).where(SurveyRecipient.id == recipient.id, SurveyRecipient.answered_at.is_(None))
        .values(answered_at=clock.now(), scores=scores, comment=comment.strip() or None)
        .execution_options(synchronize_session=False)).rowcount
    if not written:
        raise Refused(_("You have answered this survey already. Thank you."))
    db.session.refresh(recipient)


def rounds() -> list[SurveyRound]:
    return list(db.session.scalars(select(SurveyRound).order_by(SurveyRound.created_at.desc(), SurveyRound.id.desc())
                                   .limit(200)))


# ----------------------------------------------------------------------------- the summary (汇总表)

@dataclass
class ItemSummary:
    item: SurveyItem
    answers: int
    average: Optional[float]
    distribution: dict[int, int]    # score -> how many gave it


@dataclass
class Summary:
    sent: int
    returned: int
    rate: Optional[int]             # percent of those sent, rounded
    items: list[ItemSummary]
    comments: list[SurveyRecipient]


def summary(survey: SurveyRound) -> Summary:
    sent = [r for r in survey.recipients if r.sent_at is not None]
    answered = [r for r in sent if r.answered_at is not None]
    items = []
    for item in SurveyItem:
        given = [int(r.scores[item.value]) for r in answered if (r.scores or {}).get(item.value) in SCORES]
        items.append(ItemSummary(item, len(given), round(sum(given) / len(given), 2) if given else None,
                                 {score: given.count(score) for score in SCORES}))
    return Summary(sent=len(sent), returned=len(answered),
                   rate=round(100 * len(answered) / len(sent)) if sent else None, items=items,
                   comments=[r for r in sorted(answered, key=lambda r: r.answered_at) if r.comment])


# ----------------------------------------------------------------------------- the next round's reminder

def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def next_due(survey: SurveyRound) -> Optional[date]:
    months = every_months()
    return add_months(clock.to_local(survey.created_at).date(), months) if months else None


def latest_round() -> Optional[SurveyRound]:
    return db.session.scalar(select(SurveyRound).order_by(SurveyRound.created_at.desc(), SurveyRound.id.desc())
                             .limit(1))


def remind_due() -> int:
    """The worker's check: when the next round is due (every_months after the latest one), the
    service center is told, once (claimed on the latest round). Returns how many were told."""
    if not enabled():
        return 0
    latest = latest_round()
    if latest is None or latest.next_reminded_at is not None:
        return 0
    due = next_due(latest)
    if clock.to_local(clock.now()).date() < due:
        return 0
    claimed = db.session.execute(
        update(SurveyRound).where(SurveyRound.id == latest.id, SurveyRound.next_reminded_at.is_(None))
        .values(next_reminded_at=clock.now()).execution_options(synchronize_session=False)).rowcount
    told = 0
    if claimed:
        for user in center_staff():
            # The page's address is in the text: the e-mail layout's button opens a complaint.
            notify.queue_email(user, "survey_due", survey=latest, due=due, link=None,
                               page=f"{current_app.config['PUBLIC_URL']}/surveys/new")
            told += 1
    db.session.commit()
    return told
